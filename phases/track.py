"""The collection track: which letter a dossier needs next.

`next_action` is a pure function of the dossier's facts and today's date. Applying its
result must be idempotent on the caller's side (at most one letter per dossier, phase and
channel). Business debtors follow the phases below, each after the previous letter's
term has lapsed under the Algemene termijnenwet. Only the phases listed in
`AUTOMATED_PHASES` are sent without staff; the others wait for a later release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import IntEnum

from phases.calendar import AtwCalendar, default_calendar
from phases.facts import DossierFacts

CONSUMER_NOT_AUTOMATED = (
    "Consumentendossier: de 14-dagenbrief wordt nog niet automatisch verstuurd"
)


class Phase(IntEnum):
    INGEBREKESTELLING = 1
    SOMMATIE = 2
    AANKONDIGING_DAGVAARDING = 3


@dataclass(frozen=True)
class PhaseRule:
    """A letter of the business track: its template and the payment term it sets, in days."""

    phase: Phase
    template: str
    term_days: int


BUSINESS_TRACK: tuple[PhaseRule, ...] = (
    PhaseRule(Phase.INGEBREKESTELLING, "ingebrekestelling", 7),
    PhaseRule(Phase.SOMMATIE, "sommatie", 5),
    PhaseRule(Phase.AANKONDIGING_DAGVAARDING, "aankondiging_dagvaarding", 5),
)

AUTOMATED_PHASES: frozenset[Phase] = frozenset({Phase.INGEBREKESTELLING})


@dataclass(frozen=True)
class SendLetter:
    """A request to render and send the letter of `rule.phase` today."""

    rule: PhaseRule

    @property
    def phase(self) -> Phase:
        return self.rule.phase


@dataclass(frozen=True)
class HoldForReview:
    """A request for staff review. `reason` is the Dutch text shown to staff."""

    reason: str


Action = SendLetter | HoldForReview


def due_phase(
    facts: DossierFacts,
    today: date,
    *,
    calendar: AtwCalendar | None = None,
) -> PhaseRule | None:
    """Return the business-track letter that is due today, or None when none is.

    The first letter is due at once. Each later one is due once the term of the last
    letter sent lapsed, that is on the first day after its Atw term end.
    """
    sent_phases = {letter.phase for letter in facts.letters}
    if not sent_phases:
        return BUSINESS_TRACK[0]

    last_phase = max(sent_phases)
    position = next((index for index, rule in enumerate(BUSINESS_TRACK) if rule.phase == last_phase), None)
    if position is None or position + 1 >= len(BUSINESS_TRACK):
        return None

    current = BUSINESS_TRACK[position]
    first_sent = min(letter.sent_on for letter in facts.letters_of_phase(last_phase))
    term_end = (calendar or default_calendar()).term_end(first_sent, current.term_days)
    if today <= term_end:
        return None
    return BUSINESS_TRACK[position + 1]


def next_action(
    facts: DossierFacts,
    today: date,
    *,
    calendar: AtwCalendar | None = None,
) -> Action | None:
    """Decide what the phase engine must do for the dossier today; None means nothing."""
    if not facts.is_open:
        return None

    if facts.debtor_kind == "consumer":
        return HoldForReview(CONSUMER_NOT_AUTOMATED)

    if not facts.claims:
        return HoldForReview("Het dossier bevat geen facturen; er kan geen brief worden opgesteld.")

    not_due = [claim.invoice_number for claim in facts.claims if claim.due_date >= today]
    if not_due:
        return HoldForReview(_not_due_reason(not_due))

    rule = due_phase(facts, today, calendar=calendar)
    if rule is None or rule.phase not in AUTOMATED_PHASES:
        return None
    return SendLetter(rule)


def _not_due_reason(invoice_numbers: list[str]) -> str:
    if len(invoice_numbers) == 1:
        subject = f"Factuur {invoice_numbers[0]} is"
    else:
        subject = f"De facturen {', '.join(invoice_numbers)} zijn"
    return f"{subject} nog niet vervallen. Een ingebrekestelling kan pas na de vervaldatum."
