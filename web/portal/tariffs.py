"""The client's own costs per dossier under its tariff (subscription or single assignment).

The plans and which client has which plan are set in config/tariffs.toml (or the file
named by INCASSO_TARIFFS). A dossier's costs are the plan's dossier fee, its success
fee as a percentage of what was collected, and its court fee once the dossier reached
the court phase. These are the agency's fees to its client. They are separate from
the collection costs (BIK) and interest that the debtor owes.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from daemon.settings import PROJECT_ROOT
from dossiers.models import Client

logger = logging.getLogger(__name__)

DEFAULT_FILE = PROJECT_ROOT / "config" / "tariffs.toml"
CENT = Decimal("0.01")
COURT_PHASE = 4


class TariffError(ValueError):
    """The tariff file is missing a plan or holds an invalid amount."""


@dataclass(frozen=True)
class Plan:
    key: str
    label: str
    dossier_fee: Decimal
    success_fee_percent: Decimal
    court_fee: Decimal


@dataclass(frozen=True)
class TariffTable:
    plans: dict[str, Plan]
    default_plan: str
    clients: dict[str, str]  # client e-mail (lower case) or KvK number -> plan key

    def plan_for(self, client: Client) -> Plan:
        key = self.clients.get((client.email or "").lower()) or (self.clients.get(client.kvk) if client.kvk else None)
        return self.plans[key or self.default_plan]


@dataclass(frozen=True)
class CostLine:
    label: str
    amount: Decimal


@dataclass(frozen=True)
class ClientCosts:
    plan: Plan
    lines: tuple[CostLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def _amount(plan: str, name: str, value: object) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise TariffError(f"tariff plan {plan!r}: {name} {value!r} is not an amount") from None
    if amount < 0:
        raise TariffError(f"tariff plan {plan!r}: {name} {value!r} is negative")
    return amount


def parse_table(raw: dict[str, object]) -> TariffTable:
    """Build the table from a parsed TOML document; raise TariffError when it is inconsistent."""
    plans_raw = raw.get("plans")
    if not isinstance(plans_raw, dict) or not plans_raw:
        raise TariffError("tariff file has no [plans.NAME] section")
    plans = {}
    for key, values in plans_raw.items():
        if not isinstance(values, dict):
            raise TariffError(f"tariff plan {key!r} is not a table")
        plans[key] = Plan(
            key=key,
            label=str(values.get("label", key)),
            dossier_fee=_amount(key, "dossier_fee", values.get("dossier_fee", "0")),
            success_fee_percent=_amount(key, "success_fee_percent", values.get("success_fee_percent", "0")),
            court_fee=_amount(key, "court_fee", values.get("court_fee", "0")),
        )
    default_plan = str(raw.get("default_plan", ""))
    if default_plan not in plans:
        raise TariffError(f"default_plan {default_plan!r} is not one of the plans: {', '.join(sorted(plans))}")
    clients_raw = raw.get("clients") or {}
    if not isinstance(clients_raw, dict):
        raise TariffError("[clients] must map a client to a plan")
    clients = {}
    for client_key, plan in clients_raw.items():
        if plan not in plans:
            raise TariffError(f"client {client_key!r} has unknown plan {plan!r}")
        clients[str(client_key).strip().lower()] = str(plan)
    return TariffTable(plans, default_plan, clients)


@lru_cache(maxsize=4)
def _load(path: str, modified: float) -> TariffTable:
    with open(path, "rb") as handle:
        return parse_table(tomllib.load(handle))


def load_tariffs(path: Path | None = None) -> TariffTable:
    """Read the tariff file; a changed file is read again on the next call."""
    chosen = path or Path(os.environ.get("INCASSO_TARIFFS") or DEFAULT_FILE)
    return _load(str(chosen), chosen.stat().st_mtime)


def dossier_costs(plan: Plan, collected: Decimal, phase: int) -> ClientCosts:
    """Compute the client's costs for one dossier under `plan`."""
    lines = [CostLine("Dossierkosten", plan.dossier_fee)]
    if plan.success_fee_percent > 0:
        fee = (collected * plan.success_fee_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        percent = f"{plan.success_fee_percent.normalize():f}".replace(".", ",")
        lines.append(CostLine(f"Succesprovisie {percent} % over het geïnde bedrag", fee))
    if phase >= COURT_PHASE and plan.court_fee > 0:
        lines.append(CostLine("Behandeling gerechtelijke fase", plan.court_fee))
    return ClientCosts(plan, tuple(lines))
