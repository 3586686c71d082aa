"""Contexts for phase letters: every amount, date and party a letter shows.

The contexts hold `Decimal` amounts and `date` values, because formatting is the
template's job. The fields follow what a letter to a debtor must contain under the Wet
kwaliteit incassodienstverlening (Wki) and its Besluit (Bki §3-4):

- creditor, collector and debtor;
- the basis of each claim with invoice number, invoice date and due date;
- the original principal and the total;
- the interest with its rates and periods, and the collection costs;
- how to pay, how to dispute or complain, and how to reach the collector.

`letter_context` builds the context of any letter of either track from the same
account (`phases.account`) that the engine and the staff calculator use.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from phases.account import Account, account, announced_costs, nominal_term_end, with_letter
from phases.balance import ClaimBalance
from phases.bik import BikScale, default_bik_scale
from phases.calendar import AtwCalendar, default_calendar
from phases.court_costs import CATEGORY_LABELS, CourtCostTables, default_court_cost_tables
from phases.facts import Channel, Claim, DossierFacts, SentLetter
from phases.money import ZERO, format_percent
from phases.rates import RateTable
from phases.rules import BUSINESS_TRACK, Phase, PhaseRule
from phases.track_config import TrackConfig, default_track_config

INGEBREKESTELLING = BUSINESS_TRACK[0]

# The 14-day term in the wording courts accept (HR 25 November 2016, ECLI:NL:HR:2016:2704):
# counted from the day after delivery, never from the letter date or sending.
VEERTIEN_DAGEN_WORDING = "binnen veertien dagen vanaf de dag nadat deze brief bij u is bezorgd"


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


def letter_context(
    facts: DossierFacts,
    rule: PhaseRule,
    *,
    today: date,
    channel: Channel,
    agency: AgencyInfo,
    client: ClientInfo,
    debtor: DebtorInfo,
    rates: RateTable,
    calendar: AtwCalendar | None = None,
    config: TrackConfig | None = None,
    bik_scale: BikScale | None = None,
    court_tables: CourtCostTables | None = None,
) -> dict[str, Any]:
    """Build the context of the letter of `rule`, issued `today` through `channel`.

    The amounts are the dossier's account on `today` as if this letter were issued. For
    a business ingebrekestelling the BIK is due from today. A consumer's 14-dagenbrief
    announces the BIK that becomes due after its term. `letter.term_end` is the last day
    of the term under the Algemene termijnenwet, counted for a consumer from the assumed
    day of receipt.
    """
    if not facts.claims:
        raise ValueError(f"dossier {facts.dossier_number}: no claims to demand")
    calendar = calendar or default_calendar()
    config = config or default_track_config()
    scale = bik_scale or default_bik_scale()
    consumer = facts.is_consumer
    is_announcement = consumer and rule.phase == Phase.INGEBREKESTELLING

    announced = announced_costs(facts, today, rates, scale=scale) if is_announcement else None
    sent = SentLetter(rule.phase, channel, today, rule.template, announced.result.total if announced else None)
    preview = with_letter(facts, sent)
    current: Account = account(preview, today, rates, calendar, config, scale=scale)
    balance = current.balance

    term_end = nominal_term_end(preview, sent, calendar, config)
    assert term_end is not None
    receipt = config.assumed_receipt(today, channel, calendar) if rule.term_from == "receipt" else None
    claims = [_claim_context(claim, item, today) for claim, item in _pair_claims(facts.claims, balance.claims)]

    vat_rate = scale.vat_rate_percent if facts.terms.vat_on_costs else None
    cost_items = [
        {"label": item.label, "due_on": item.due_on, "amount": item.amount, "vat": item.vat, "total": item.total}
        for item in balance.costs
    ]
    costs_amount = sum((item.amount for item in balance.costs), ZERO)
    costs_vat = sum((item.vat for item in balance.costs), ZERO)
    total = balance.total_open

    context: dict[str, Any] = {
        "letter": {
            "kind": rule.template,
            "phase": int(rule.phase),
            "title": rule.title,
            "date": today,
            "term_days": rule.term_days,
            "term_end": term_end,
            "term_from": rule.term_from,
            "receipt_assumed": receipt,
            "channel": channel,
            "term_wording": VEERTIEN_DAGEN_WORDING if is_announcement else "",
        },
        "dossier_number": facts.dossier_number,
        "agency": agency,
        "client": client,
        "debtor": debtor,
        "debtor_profile": {
            "consumer": consumer,
            "natural_person_nl": facts.debtor.natural_person_nl,
        },
        "claims": claims,
        "history": [
            {"phase": item.phase, "kind": item.kind, "date": item.sent_on, "channel": item.channel}
            for item in sorted(facts.letters, key=lambda item: (item.sent_on, item.phase))
        ],
        "interest": {
            "kind": current.interest_kind,
            "legal_basis": current.interest_rule.legal_basis,
            "contractual": facts.terms.contract_rate_percent is not None,
            "through": today,
            "total": balance.interest_accrued,
            "open": balance.interest_open,
            "compounded": balance.capitalised > 0,
        },
        "bik": {
            "base": balance.principal_open if is_announcement else current.cost_base,
            "amount": costs_amount,
            "vat": costs_vat,
            "vat_rate": vat_rate,
            "total": costs_amount + costs_vat,
            "items": cost_items,
            "method": "beding" if facts.terms.cost_clause_percent is not None and not consumer else "staffel",
            "legal_basis": "artikel 6:96 Burgerlijk Wetboek en het Besluit vergoeding voor buitengerechtelijke incassokosten",
            "announced": None
            if announced is None
            else {"amount": announced.result.amount, "vat": announced.result.vat, "total": announced.result.total},
        },
        "payments": [
            {
                "received_on": item.received_on,
                "amount": item.amount,
                "to_costs": item.to_costs,
                "to_interest": item.to_interest,
                "to_principal": item.to_principal,
            }
            for item in balance.allocations
        ],
        "totals": {
            "principal": balance.principal,
            "principal_open": balance.principal_open,
            "interest": balance.interest_accrued,
            "interest_open": balance.interest_open,
            "costs": costs_amount + costs_vat,
            "paid": balance.paid,
            "total": total,
            "total_after_term": total + (announced.result.total if announced else ZERO),
        },
        "payment": {
            "amount": total,
            "iban": agency.iban,
            "bic": agency.bic,
            "beneficiary": agency.name,
            "reference": facts.dossier_number,
            "pay_by": term_end,
        },
        "court": None,
    }

    notes = list(current.notes)
    if announced is not None:
        notes.extend(announced.notes)
    if rule.phase == Phase.AANKONDIGING_DAGVAARDING:
        tables = court_tables or default_court_cost_tables()
        estimate = tables.estimate(total, facts.terms.claimant_category, today)
        context["court"] = {
            "claim_value": estimate.claim_value,
            "claimant_category": CATEGORY_LABELS[estimate.claimant_category],
            "griffierecht": estimate.griffierecht,
            "bailiff": estimate.bailiff,
            "salaris": estimate.salaris,
            "points": estimate.points,
            "value_per_point": estimate.value_per_point,
            "total": estimate.total,
        }
        notes.extend(estimate.notes)
    context["review_notes"] = _review_notes(claims, today, term_end, rates, calendar, current.interest_kind) + notes
    return context


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
    channel: Channel = "post",
) -> dict[str, Any]:
    """Build the context of the phase-1 ingebrekestelling to a business debtor.

    VAT is added to the BIK when `client.cannot_deduct_vat`. Raises ValueError for a
    consumer debtor, who gets the 14-dagenbrief instead, and for a dossier without claims.
    """
    if facts.is_consumer:
        raise ValueError(f"dossier {facts.dossier_number}: the ingebrekestelling is for business debtors only")
    scale = bik_scale or default_bik_scale()
    scale = replace(scale, vat_rate_percent=vat_rate)
    facts = replace(facts, terms=replace(facts.terms, vat_on_costs=facts.terms.vat_on_costs or client.cannot_deduct_vat))
    return letter_context(
        facts,
        INGEBREKESTELLING,
        today=today,
        channel=channel,
        agency=agency,
        client=client,
        debtor=debtor,
        rates=rates,
        calendar=calendar,
        bik_scale=scale,
    )


def _pair_claims(claims: tuple[Claim, ...], balances: tuple[ClaimBalance, ...]) -> list[tuple[Claim, ClaimBalance]]:
    """Match each claim with its balance, in the ledger's order (oldest due date first)."""
    by_number = {claim.invoice_number: claim for claim in claims}
    return [(by_number[item.invoice_number], item) for item in balances]


def _claim_context(claim: Claim, item: ClaimBalance, today: date) -> dict[str, Any]:
    return {
        "invoice_number": claim.invoice_number,
        "invoice_date": claim.invoice_date,
        "due_date": claim.due_date,
        "basis": claim.basis,
        "principal": claim.principal,
        "principal_open": item.principal_open,
        "interest_start": item.interest_start,
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
            for period in item.periods
        ],
        "interest_total": item.interest_accrued,
        "interest_paid": item.interest_paid,
        "interest_open": item.interest_open,
        "interest_capitalised": item.capitalised,
        "total": claim.principal + item.interest_accrued,
    }


def _review_notes(
    claims: list[dict[str, Any]],
    today: date,
    term_end: date,
    rates: RateTable,
    calendar: AtwCalendar,
    kind: str = "commercial",
) -> list[str]:
    """Collect Dutch notes for staff about figures that rest on unverified or stale tables."""
    notes: list[str] = []

    coverage = rates.coverage_warning(today)
    if coverage:
        notes.append(coverage)

    label = "handelsrente" if kind == "commercial" else "wettelijke rente"
    unverified = {
        (period["start"], period["rate_percent"], period["rate_confidence"])
        for item in claims
        for period in item["interest_periods"]
        if period["rate_confidence"] not in ("verified-page", "contract")
    }
    entries = {rates.entry_on(kind, start) for start, _, _ in unverified}  # type: ignore[arg-type]
    for entry in sorted(entries, key=lambda item: item.start_date):
        notes.append(
            f"De {label} van {format_percent(entry.rate_percent)} vanaf "
            f"{entry.start_date.strftime('%d-%m-%Y')} is niet in een officiële bron "
            f"gecontroleerd ({entry.confidence})."
        )

    if not calendar.covers(term_end):
        notes.append(
            f"De betaaltermijn eindigt na {calendar.known_through.strftime('%d-%m-%Y')}; "
            "controleer of er nieuwe gelijkgestelde dagen (Algemene termijnenwet) zijn."
        )
    return notes
