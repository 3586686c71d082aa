"""The collection costs a dossier may charge: BIK, cost clauses, the cumulation cap.

- Consumers: the BIK scale is mandatory (art. 6:96 lid 5 BW); a cost clause is ignored.
- Businesses: the scale is the default; an agreed cost clause (a percentage of the
  principal) replaces it, but never below the € 40 minimum of art. 6:96 lid 4 BW. A court
  may moderate such a clause, also of its own motion (HR 10 July 2015,
  ECLI:NL:HR:2015:1868), so letters built on one carry a note for staff.
- VAT is added only when the client declared it cannot deduct it (Besluit BIK art. 2
  lid 3), also on the minimum and on a clause amount.
- Small instalments: for a consumer's instalment claims each below € 266,67, the costs
  are capped at € 140 per six months (Besluit BIK as amended per 2024-10-01).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from phases.bik import DEFAULT_BIK_FILE, BikResult, BikScale, bik, default_bik_scale
from phases.facts import Claim, DossierFacts
from phases.legal_config import LegalConfigError
from phases.money import ZERO, format_euro, format_percent, to_cents


@dataclass(frozen=True)
class CumulationRule:
    in_force_from: date
    instalment_below: Decimal
    cap: Decimal
    window_months: int


@dataclass(frozen=True)
class CostDecision:
    """The costs for one principal base, with Dutch notes for staff."""

    result: BikResult
    method: str  # "staffel", "beding" or "staffel_cumulatie"
    notes: tuple[str, ...] = ()


def load_cumulation_rule(path: Path = DEFAULT_BIK_FILE) -> CumulationRule:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)["cumulation"]
        rule = CumulationRule(
            in_force_from=data["in_force_from"],
            instalment_below=Decimal(data["instalment_below_eur"]),
            cap=Decimal(data["cap_eur"]),
            window_months=int(data["window_months"]),
        )
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LegalConfigError(f"cannot read the cumulation rule in {path}: {exc}") from exc
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise LegalConfigError(f"{path}: invalid [cumulation] table: {exc!r}") from exc
    if type(rule.in_force_from) is not date or rule.window_months < 1:
        raise LegalConfigError(f"{path}: [cumulation] needs a TOML date and window_months >= 1")
    return rule


@lru_cache(maxsize=1)
def default_cumulation_rule() -> CumulationRule:
    return load_cumulation_rule()


def cumulation_cap(claims: tuple[Claim, ...], rule: CumulationRule) -> Decimal | None:
    """Return the cost cap for small instalment claims, or None when the rule does not apply.

    The cap is € 140 for each six-month window that holds a due date, windows counted
    from the earliest due date.
    NOTE: the article text was not read. The window anchor (earliest due date), the cap
    before VAT and "every instalment below the threshold" are this product's reading of
    the government's description; costs already charged in other dossiers of the same
    agreement are not counted.
    """
    if not claims or any(claim.principal >= rule.instalment_below for claim in claims):
        return None
    if max(claim.due_date for claim in claims) < rule.in_force_from:
        return None

    first = min(claim.due_date for claim in claims)
    windows = {
        ((claim.due_date.year - first.year) * 12 + claim.due_date.month - first.month
         - (1 if claim.due_date.day < first.day else 0)) // rule.window_months
        for claim in claims
    }
    return rule.cap * len(windows)


def dossier_costs(
    facts: DossierFacts,
    base: Decimal,
    *,
    vat_rate: Decimal | None = None,
    scale: BikScale | None = None,
    cumulation: CumulationRule | None = None,
) -> CostDecision:
    """Compute the collection costs over the principal `base` for this dossier.

    `vat_rate` is the VAT percentage, used only when the client declared it cannot
    deduct VAT (`Terms.vat_on_costs`). Default: the rate of the BIK scale file.
    """
    scale = scale or default_bik_scale()
    vat: Decimal | None = None
    if facts.terms.vat_on_costs:
        vat = vat_rate if vat_rate is not None else scale.vat_rate_percent
    clause = facts.terms.cost_clause_percent

    if clause is not None and not facts.is_consumer:
        amount = max(to_cents(base * clause / 100), scale.minimum)
        vat_amount = ZERO if vat is None else to_cents(amount * vat / 100)
        staffel = bik(base, scale=scale).amount
        notes = [
            f"Incassokosten volgens het incassobeding van {format_percent(clause)} in plaats van de staffel "
            f"({format_euro(staffel)}); de rechter kan een beding matigen."
        ]
        return CostDecision(BikResult(amount, vat_amount, amount + vat_amount), "beding", tuple(notes))

    result = bik(base, vat_rate=vat, scale=scale)
    if not (facts.is_consumer and facts.terms.instalment_claims):
        return CostDecision(result, "staffel")

    rule = cumulation or default_cumulation_rule()
    cap = cumulation_cap(facts.claims, rule)
    if cap is None or result.amount <= cap:
        return CostDecision(result, "staffel")
    capped_vat = ZERO if vat is None else to_cents(cap * vat / 100)
    note = (
        f"Incassokosten begrensd op {format_euro(cap)} door de cumulatieregel voor kleine termijnbedragen; "
        "controleer of in andere dossiers van dezelfde overeenkomst al kosten zijn berekend."
    )
    return CostDecision(BikResult(cap, capped_vat, cap + capped_vat), "staffel_cumulatie", (note,))
