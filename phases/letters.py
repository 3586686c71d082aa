"""Contexts for phase letters: every amount, date and party a letter shows.

The contexts hold `Decimal` amounts and `date` values, because formatting is the
template's job. The fields follow what a letter to a debtor must contain under the Wet
kwaliteit incassodienstverlening (Wki) and its Besluit (Bki §3-4):

- creditor, collector and debtor;
- the basis of each claim with invoice number, invoice date and due date;
- the original principal and the total;
- the interest with its rates and periods, and the collection costs;
- how to pay, how to dispute or complain, and how to reach the collector.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from phases.bik import BikScale, bik
from phases.calendar import AtwCalendar, default_calendar
from phases.facts import Claim, DossierFacts
from phases.interest import InterestResult, commercial_interest_start, statutory_interest
from phases.money import ZERO, format_percent
from phases.rates import RateTable
from phases.track import BUSINESS_TRACK, Phase

INGEBREKESTELLING = next(rule for rule in BUSINESS_TRACK if rule.phase == Phase.INGEBREKESTELLING)


@dataclass(frozen=True)
class AgencyInfo:
    """The incassobureau as it appears in the letterhead, footer and payment details.

    `wki_registration` is the number in the Justis register of incassodienstverleners.
    """

    name: str
    street: str
    postcode: str
    city: str
    phone: str
    email: str
    iban: str
    kvk: str
    wki_registration: str = ""
    website: str = ""
    bic: str = ""
    contact_hours: str = "maandag tot en met vrijdag van 9.00 tot 17.00 uur"
    complaints_url: str = ""


@dataclass(frozen=True)
class ClientInfo:
    """The creditor (opdrachtgever).

    `cannot_deduct_vat` is True only when the client has declared that it cannot deduct
    the VAT on the agency's fee. Only then may VAT be added to the BIK (Besluit BIK
    art. 2 lid 3).
    """

    name: str
    street: str = ""
    postcode: str = ""
    city: str = ""
    cannot_deduct_vat: bool = False


@dataclass(frozen=True)
class DebtorInfo:
    """The debtor's postal address block and how to address them."""

    name: str
    street: str
    postcode: str
    city: str
    contact: str = ""  # shown as "t.a.v. …"
    country: str = ""  # empty for the Netherlands
    salutation: str = ""  # "Geachte heer Jansen"; empty gives "Geachte heer, mevrouw"


def ingebrekestelling_context(
    facts: DossierFacts,
    *,
    today: date,
    agency: AgencyInfo,
    client: ClientInfo,
    debtor: DebtorInfo,
    rates: RateTable,
    vat_rate: Decimal = Decimal("21"),
    calendar: AtwCalendar | None = None,
    bik_scale: BikScale | None = None,
) -> dict[str, Any]:
    """Build the context of the phase-1 ingebrekestelling to a business debtor.

    Each claim gets commercial interest (art. 6:119a BW) from the day after its due date
    through `today`. The BIK is computed once over the summed principal, with `vat_rate`
    added only when the client cannot deduct VAT. The letter demands payment within 7
    days; `term_end` is the last day under the Algemene termijnenwet.

    Raises ValueError for a consumer debtor or a dossier without claims: the consumer
    track needs the 14-dagenbrief, which this letter is not.
    """
    if facts.debtor_kind != "business":
        raise ValueError(f"dossier {facts.dossier_number}: the ingebrekestelling is for business debtors only")
    if not facts.claims:
        raise ValueError(f"dossier {facts.dossier_number}: no claims to demand")

    calendar = calendar or default_calendar()
    claims = [_claim_context(claim, today, rates) for claim in facts.claims]

    principal_total = sum((item["principal"] for item in claims), ZERO)
    interest_total = sum((item["interest_total"] for item in claims), ZERO)
    costs = bik(
        principal_total,
        vat_rate=vat_rate if client.cannot_deduct_vat else None,
        scale=bik_scale,
    )
    total = principal_total + interest_total + costs.total
    term_end = calendar.term_end(today, INGEBREKESTELLING.term_days)

    return {
        "letter": {
            "kind": INGEBREKESTELLING.template,
            "phase": int(INGEBREKESTELLING.phase),
            "title": "Ingebrekestelling",
            "date": today,
            "term_days": INGEBREKESTELLING.term_days,
            "term_end": term_end,
        },
        "dossier_number": facts.dossier_number,
        "agency": agency,
        "client": client,
        "debtor": debtor,
        "claims": claims,
        "interest": {
            "kind": "commercial",
            "legal_basis": "artikel 6:119a Burgerlijk Wetboek",
            "through": today,
            "total": interest_total,
            "compounded": any(item["interest_capitalised"] > 0 for item in claims),
        },
        "bik": {
            "base": principal_total,
            "amount": costs.amount,
            "vat": costs.vat,
            "vat_rate": vat_rate if client.cannot_deduct_vat else None,
            "total": costs.total,
            "legal_basis": "artikel 6:96 Burgerlijk Wetboek en het Besluit vergoeding voor buitengerechtelijke incassokosten",
        },
        "totals": {
            "principal": principal_total,
            "interest": interest_total,
            "costs": costs.total,
            "total": total,
        },
        "payment": {
            "amount": total,
            "iban": agency.iban,
            "bic": agency.bic,
            "beneficiary": agency.name,
            "reference": facts.dossier_number,
            "pay_by": term_end,
        },
        "review_notes": _review_notes(claims, today, term_end, rates, calendar),
    }


def _claim_context(claim: Claim, today: date, rates: RateTable) -> dict[str, Any]:
    start = commercial_interest_start(claim.due_date)
    interest: InterestResult = statutory_interest(claim.principal, start, today, "commercial", rates)
    return {
        "invoice_number": claim.invoice_number,
        "invoice_date": claim.invoice_date,
        "due_date": claim.due_date,
        "basis": claim.basis,
        "principal": claim.principal,
        "interest_start": start,
        "interest_end": today,
        "interest_periods": [
            {
                "start": period.start,
                "end": period.end,
                "days": period.days,
                "rate_percent": period.rate_percent,
                "base": period.base,
                "amount": period.amount,
                "rate_confidence": period.rate_confidence,
            }
            for period in interest.periods
        ],
        "interest_total": interest.total,
        "interest_capitalised": interest.capitalised,
        "total": claim.principal + interest.total,
    }


def _review_notes(
    claims: list[dict[str, Any]],
    today: date,
    term_end: date,
    rates: RateTable,
    calendar: AtwCalendar,
) -> list[str]:
    """Collect Dutch notes for staff about figures that rest on unverified or stale tables."""
    notes: list[str] = []

    coverage = rates.coverage_warning(today)
    if coverage:
        notes.append(coverage)

    entries_used = {
        rates.entry_on("commercial", period["start"])
        for item in claims
        for period in item["interest_periods"]
    }
    for entry in sorted(entries_used, key=lambda item: item.start_date):
        if entry.verified:
            continue
        notes.append(
            f"De handelsrente van {format_percent(entry.rate_percent)} vanaf "
            f"{entry.start_date.strftime('%d-%m-%Y')} is niet in een officiële bron "
            f"gecontroleerd ({entry.confidence})."
        )

    if not calendar.covers(term_end):
        notes.append(
            f"De betaaltermijn eindigt na {calendar.known_through.strftime('%d-%m-%Y')}; "
            "controleer of er nieuwe gelijkgestelde dagen (Algemene termijnenwet) zijn."
        )
    return notes
