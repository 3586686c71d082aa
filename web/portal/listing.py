"""The client's dossier list: one row per dossier of its own client, filters and CSV export.

The status a client sees is derived from the same read model as the staff desk
(`dossiers.ledger.account_detail`), so both always agree on where a dossier stands.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.ledger import account_detail
from dossiers.models import Dossier
from dossiers.queries import claim_total
from phases.rules import rule_of

STATUS_LABELS = {
    "controle": "In behandeling (controle)",
    "actief": "Actief",
    "aangehouden": "Aangehouden",
    "betaald": "Betaald",
    "gesloten": "Gesloten",
    "rechter": "Bij de rechter",
}
# Track states of phases.track.TrackStatus that a client reads as "on hold".
_HELD_STATES = ("paused", "waiting_consent")
# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PortalRow:
    number: str
    debtor: str
    invoices: tuple[str, ...]
    principal: Decimal
    collected: Decimal
    balance: Decimal | None
    phase: int
    phase_label: str
    next_step_on: date | None
    next_step: str
    status: str
    opened_on: date

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def phase_label(dossier: Dossier, phase: int) -> str:
    """Return the Dutch name of the phase, such as "Sommatie"."""
    if phase <= 0:
        return "Nog niet gestart"
    rule = rule_of(dossier.debtor.kind == "consumer", phase)
    if rule is not None:
        return rule.title
    return "Gerechtelijke procedure"


def portal_status(dossier: Dossier, account: dict[str, Any]) -> str:
    """Map the dossier and its computed track state to one of STATUS_LABELS."""
    state = account["track"]["state"]
    if dossier.status == "review":
        return "controle"
    if dossier.status == "closed":
        balance = account.get("balance")
        paid = Decimal(account.get("paid") or "0")
        return "betaald" if paid > 0 and balance is not None and Decimal(balance) <= 0 else "gesloten"
    if state == "paid":
        return "betaald"
    if state == "court" or dossier.phase >= 4:
        return "rechter"
    if state in _HELD_STATES:
        return "aangehouden"
    if state == "review":
        return "controle"
    return "actief"


def portal_row(session: Session, dossier: Dossier, today: date) -> PortalRow:
    account = account_detail(session, dossier, today)
    track = account["track"]
    deadline = track.get("deadline")
    return PortalRow(
        number=dossier.number,
        debtor=dossier.debtor.name,
        invoices=tuple(claim.invoice_number for claim in dossier.claims),
        principal=claim_total(dossier.claims),
        collected=Decimal(account.get("paid") or "0"),
        balance=Decimal(account["balance"]) if account.get("balance") is not None else None,
        phase=dossier.phase,
        phase_label=phase_label(dossier, dossier.phase),
        next_step_on=date.fromisoformat(deadline) if deadline else None,
        next_step=track.get("description") or "",
        status=portal_status(dossier, account),
        opened_on=dossier.opened_on,
    )


def client_rows(session: Session, client_id: int, today: date, *, text: str = "", status: str = "", phase: str = "") -> list[PortalRow]:
    """Return the rows of this client's dossiers only, newest first, after the filters.

    `text` matches the dossiernummer, the debtor's name or an invoice number
    (case-insensitive); `status` is a key of STATUS_LABELS; `phase` a phase number.
    """
    query = select(Dossier).where(Dossier.client_id == client_id).order_by(Dossier.id.desc())
    needle = text.strip().lower()
    rows = []
    for dossier in session.execute(query).scalars():
        if phase.isdigit() and dossier.phase != int(phase):
            continue
        if needle and not _matches(dossier, needle):
            continue
        row = portal_row(session, dossier, today)
        if status and row.status != status:
            continue
        rows.append(row)
    return rows


def _matches(dossier: Dossier, needle: str) -> bool:
    haystack = [dossier.number.lower(), dossier.debtor.name.lower(), *(claim.invoice_number.lower() for claim in dossier.claims)]
    compact = needle.replace(" ", "")
    return any(needle in value or compact in value.replace("-", "") for value in haystack)


def safe_cell(value: object) -> str:
    """Return the cell text, quoted with a leading apostrophe when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def rows_csv(rows: list[PortalRow]) -> str:
    """Write the rows as CSV with a semicolon separator, as Dutch spreadsheet programs expect."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Dossiernummer", "Debiteur", "Facturen", "Hoofdsom", "Geïnd", "Openstaand", "Fase", "Volgende stap", "Status", "Geopend"])
    for row in rows:
        writer.writerow(
            [
                safe_cell(row.number),
                safe_cell(row.debtor),
                safe_cell(", ".join(row.invoices)),
                _amount(row.principal),
                _amount(row.collected),
                _amount(row.balance) if row.balance is not None else "",
                safe_cell(row.phase_label),
                row.next_step_on.isoformat() if row.next_step_on else "",
                row.status_label,
                row.opened_on.isoformat(),
            ]
        )
    return buffer.getvalue()


def _amount(value: Decimal) -> str:
    # Dutch decimal comma. A negative amount (an overpayment) gets the same formula quote.
    return safe_cell(f"{value:.2f}".replace(".", ","))
