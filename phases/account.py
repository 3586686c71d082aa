"""A dossier's account: interest rule, terms with pauses, costs and the balance on a day.

Everything here is a pure function of `DossierFacts` and a date, shared by the phase
engine, the letters, the staff calculator and the dossier read model, so each shows the
same figures.

How a paused term resumes: a hold (dispute, payment arrangement, staff hold) that
starts while a letter's term runs stops the clock on its first day. When it is lifted,
the days that were left run again: the term end moves forward by the number of days the
hold lasted, and then to the next working day under the Algemene termijnenwet. A hold
that starts after the term has lapsed does not move it, so the next step is due the day
the hold is lifted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from phases.balance import Balance, ClaimInput, CostItem, compute_balance
from phases.bik import BikScale
from phases.calendar import AtwCalendar
from phases.costs import CostDecision, dossier_costs
from phases.facts import Arrangement, DossierFacts, Pause, Payment, SentLetter
from phases.interest import InterestRule, anniversary
from phases.money import ZERO, format_euro
from phases.rates import InterestKind, RateTable
from phases.rules import rule_of
from phases.track_config import TrackConfig

ONE_DAY = timedelta(days=1)

COSTS_LABEL = "Buitengerechtelijke incassokosten"
RECOMPUTED_LABEL = "Herberekening incassokosten over hoofdsom met bijgeschreven rente"


@dataclass(frozen=True)
class ArrangementState:
    """Where a payment arrangement stands on a day.

    `state`: ``active``, ``breached``, ``completed`` or ``ended`` (cancelled by staff).
    `resumes_on` is the first day the track runs again, None while active.
    """

    arrangement: Arrangement
    state: str
    resumes_on: date | None
    missed_instalment: int | None = None


@dataclass(frozen=True)
class Account:
    """The balance on `balance.on`, with notes for staff about how costs were set."""

    balance: Balance
    interest_kind: InterestKind
    interest_rule: InterestRule
    notes: tuple[str, ...]
    cost_base: Decimal | None = None  # the principal the first cost item was computed over


def interest_kind(facts: DossierFacts) -> InterestKind:
    """Consumer claims get art. 6:119 BW interest, all others handelsrente (6:119a BW)."""
    return "consumer" if facts.is_consumer else "commercial"


def interest_rule(facts: DossierFacts, rates: RateTable) -> InterestRule:
    return InterestRule(interest_kind(facts), rates, facts.terms.contract_rate_percent)


def claim_inputs(facts: DossierFacts) -> tuple[ClaimInput, ...]:
    """Return each claim with its first day of interest.

    Commercial: the day after the due date (art. 6:119a lid 1 BW). Consumer: from
    default (art. 6:119 lid 1 BW), which is the day after the due date when the invoice
    term was a fixed term (art. 6:83 sub a BW), or the default day staff recorded.
    """
    inputs = []
    for claim in facts.claims:
        start = claim.due_date + ONE_DAY
        if facts.is_consumer and facts.terms.default_on is not None:
            start = max(start, facts.terms.default_on)
        inputs.append(ClaimInput(claim.invoice_number, claim.due_date, claim.principal, start))
    return tuple(inputs)


def payment_pairs(payments: tuple[Payment, ...]) -> tuple[tuple[date, Decimal], ...]:
    return tuple((payment.received_on, payment.amount) for payment in payments)


def arrangement_state(arrangement: Arrangement, payments: tuple[Payment, ...], today: date) -> ArrangementState:
    """Check the instalments due so far against the payments since the agreement.

    Breach: `grace_days` after an instalment's due date, the payments received since the
    agreement are below the sum of the instalments due through that one. The track then
    resumes the day after that grace period.
    """
    if arrangement.ended_on is not None and arrangement.ended_on <= today:
        return ArrangementState(arrangement, "ended", arrangement.ended_on)

    counted = [payment for payment in payments if arrangement.agreed_on <= payment.received_on <= today]
    owed = ZERO
    for index, instalment in enumerate(sorted(arrangement.instalments, key=lambda item: item.due_on)):
        owed += instalment.amount
        deadline = instalment.due_on + timedelta(days=arrangement.grace_days)
        if deadline >= today:
            break
        paid_by_deadline = sum((p.amount for p in counted if p.received_on <= deadline), ZERO)
        if paid_by_deadline < owed:
            return ArrangementState(arrangement, "breached", deadline + ONE_DAY, index + 1)

    total = sum((instalment.amount for instalment in arrangement.instalments), ZERO)
    running = ZERO
    for payment in sorted(counted, key=lambda item: item.received_on):
        running += payment.amount
        if running >= total:
            return ArrangementState(arrangement, "completed", payment.received_on + ONE_DAY)
    return ArrangementState(arrangement, "active", None)


def all_pauses(facts: DossierFacts, today: date) -> tuple[Pause, ...]:
    """Return the staff holds and disputes plus one pause per payment arrangement."""
    pauses = list(facts.pauses)
    for arrangement in facts.arrangements:
        state = arrangement_state(arrangement, facts.payments, today)
        pauses.append(Pause("arrangement", arrangement.agreed_on, state.resumes_on))
    return tuple(sorted(pauses, key=lambda pause: pause.start))


def active_pauses(facts: DossierFacts, today: date) -> tuple[Pause, ...]:
    return tuple(pause for pause in all_pauses(facts, today) if pause.covers(today))


def nominal_term_end(
    facts: DossierFacts, letter: SentLetter, calendar: AtwCalendar, config: TrackConfig
) -> date | None:
    """Return the Atw term end of `letter` before any pause, or None for a phase without term."""
    rule = rule_of(facts.is_consumer, letter.phase)
    if rule is None:
        return None
    if rule.term_from == "receipt":
        start = config.assumed_receipt(letter.sent_on, letter.channel, calendar)
    else:
        start = letter.sent_on
    return calendar.term_end(start, rule.term_days)


def term_end(
    facts: DossierFacts, letter: SentLetter, today: date, calendar: AtwCalendar, config: TrackConfig
) -> date | None:
    """Return the last day of `letter`'s term, moved by the holds that paused it.

    Returns None while a hold that paused the term is still in force, and for a phase
    without a term.
    """
    end = nominal_term_end(facts, letter, calendar, config)
    if end is None:
        return None
    for pause in all_pauses(facts, today):
        paused_from = max(pause.start, letter.sent_on + ONE_DAY)
        if paused_from > end:
            continue
        if pause.end is None:
            return None
        paused_days = (pause.end - paused_from).days
        if paused_days > 0:
            end = calendar.next_working_day(end + timedelta(days=paused_days))
    return end


def announced_costs(facts: DossierFacts, on: date, rates: RateTable, *, scale: BikScale | None = None) -> CostDecision:
    """Return the costs over the principal still open on `on`, before any costs are due."""
    before = compute_balance(claim_inputs(facts), payment_pairs(facts.payments), (), on, interest_rule(facts, rates))
    return dossier_costs(facts, before.principal_open, scale=scale)


def cost_items(
    facts: DossierFacts,
    on: date,
    rates: RateTable,
    calendar: AtwCalendar,
    config: TrackConfig,
    *,
    scale: BikScale | None = None,
) -> tuple[tuple[CostItem, ...], tuple[str, ...], Decimal | None]:
    """Return the cost items due by `on`, notes for staff and the principal they are based on.

    Business: the BIK is due from the ingebrekestelling, over the principal open that
    day. Consumer: from the day after the 14-dagenbrief's term, over the principal
    still open at the end of the term (HR 25 November 2016, ECLI:NL:HR:2016:2704), and
    never more than the letter announced. After each full year the costs are recomputed
    over the principal plus the capitalised interest (Nota van Toelichting Besluit BIK,
    point 5, as summarised by nvi.nl), again capped for consumers by the announced amount.
    """
    first = facts.first_letter_of_phase(1)
    if first is None:
        return (), (), None

    rule = interest_rule(facts, rates)
    claims = claim_inputs(facts)
    payments = payment_pairs(facts.payments)
    notes: list[str] = []

    if facts.is_consumer:
        end = term_end(facts, first, on, calendar, config)
        if end is None or end >= on:
            return (), (), None
        due_on = end + ONE_DAY
        base = compute_balance(claims, payments, (), end, rule).principal_open
        announced = first.costs if first.costs is not None else announced_costs(facts, first.sent_on, rates, scale=scale).result.total
    else:
        due_on = first.sent_on
        base = compute_balance(claims, payments, (), first.sent_on, rule).principal_open
        announced = None

    if base <= 0 or due_on > on:
        return (), (), None

    decision = dossier_costs(facts, base, scale=scale)
    notes.extend(decision.notes)
    amount, vat = decision.result.amount, decision.result.vat
    if announced is not None and decision.result.total > announced:
        amount, vat = _split_like(announced, decision)
        notes.append(f"Incassokosten begrensd op het in de 14-dagenbrief genoemde bedrag van {format_euro(announced)}.")
    items = [CostItem(due_on, amount, vat, COSTS_LABEL)]

    first_start = min(claim.interest_start for claim in claims)
    year = 1
    while (anniversary_day := anniversary(first_start, year)) <= on:
        year += 1
        if anniversary_day <= due_on or not rule.compound:
            continue
        capitalised = compute_balance(claims, payments, items, anniversary_day - ONE_DAY, rule).capitalised
        if capitalised <= 0:
            continue
        target = dossier_costs(facts, base + capitalised, scale=scale).result
        if announced is not None and target.total > announced:
            target_amount, target_vat = _split_like(announced, decision)
        else:
            target_amount, target_vat = target.amount, target.vat
        extra_amount = target_amount - sum((item.amount for item in items), ZERO)
        extra_vat = target_vat - sum((item.vat for item in items), ZERO)
        if extra_amount > 0:
            items.append(CostItem(anniversary_day, extra_amount, max(extra_vat, ZERO), RECOMPUTED_LABEL))
    return tuple(items), tuple(notes), base


def _split_like(total: Decimal, decision: CostDecision) -> tuple[Decimal, Decimal]:
    """Split a capped total into amount and VAT in the proportion of `decision`."""
    if decision.result.vat == 0:
        return total, ZERO
    amount = (total * decision.result.amount / decision.result.total).quantize(Decimal("0.01"))
    return amount, total - amount


def account(
    facts: DossierFacts,
    on: date,
    rates: RateTable,
    calendar: AtwCalendar,
    config: TrackConfig,
    *,
    scale: BikScale | None = None,
) -> Account:
    """Return the dossier's balance on `on` with the costs due by then."""
    items, notes, base = cost_items(facts, on, rates, calendar, config, scale=scale)
    rule = interest_rule(facts, rates)
    balance = compute_balance(claim_inputs(facts), payment_pairs(facts.payments), items, on, rule)
    return Account(balance, interest_kind(facts), rule, notes, base)


def with_letter(facts: DossierFacts, letter: SentLetter) -> DossierFacts:
    """Return `facts` as if `letter` had been issued too (for the letter being prepared)."""
    return replace(facts, letters=(*facts.letters, letter))
