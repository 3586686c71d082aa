"""The collection track: where a dossier stands today and what must happen next.

`evaluate` is a pure function of the dossier's facts and today's date. The caller
applies its action idempotently (at most one letter per dossier, phase and channel) and
may call it as often as it likes: after every staff event and in the daily sweep.

Order of the checks:

1. a closed dossier gets nothing;
2. a dossier without claims goes to staff;
3. a dossier whose balance is paid in full is closed (and the client told);
4. before the first letter, every claim must be past its due date, and a consumer in
   default;
5. a hold (dispute, payment arrangement, staff hold) pauses the track;
6. while the last letter's term runs, nothing happens;
7. after the term of the phase-3 letter, the dossier waits for the client's consent,
   then moves to phase 4 (court), which staff carry out;
8. otherwise the next letter is due, issued only on a working day (letters go to the
   post in daily batches, and a consumer's receipt day is counted from that day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from phases.account import Account, account, active_pauses, term_end
from phases.calendar import AtwCalendar, default_calendar
from phases.facts import Channel, DossierFacts
from phases.rates import RateTable, default_rate_table
from phases.rules import BUSINESS_TRACK, CONSUMER_TRACK, Phase, PhaseRule, rule_of, track_for
from phases.track_config import TrackConfig, default_track_config

__all__ = [
    "BUSINESS_TRACK",
    "CONSUMER_TRACK",
    "ClosePaid",
    "Decision",
    "HoldForReview",
    "Phase",
    "PhaseRule",
    "SendLetter",
    "StartCourt",
    "TrackStatus",
    "WaitForConsent",
    "evaluate",
    "next_action",
]

PAUSE_LABELS = {"dispute": "betwisting", "arrangement": "betalingsregeling", "staff": "stop door medewerker"}


@dataclass(frozen=True)
class SendLetter:
    """Render and issue the letter of `rule` today through `channel`."""

    rule: PhaseRule
    channel: Channel

    @property
    def phase(self) -> Phase:
        return self.rule.phase


@dataclass(frozen=True)
class HoldForReview:
    """Staff must look at the dossier. `reason` is the Dutch text shown to them."""

    reason: str


@dataclass(frozen=True)
class ClosePaid:
    """The balance is paid in full: close the dossier and tell the client."""


@dataclass(frozen=True)
class WaitForConsent:
    """The phase-3 term lapsed: the dossier waits on the staff list for the client's consent."""


@dataclass(frozen=True)
class StartCourt:
    """The client consented and the phase-3 term lapsed: phase 4, carried out by staff."""


Action = SendLetter | HoldForReview | ClosePaid | WaitForConsent | StartCourt


@dataclass(frozen=True)
class TrackStatus:
    """Where the dossier stands, for staff and the read model.

    `state`: ``closed``, ``review``, ``paid``, ``not_started``, ``letter_due``,
    ``running`` (a term runs until `deadline`), ``paused``, ``waiting_consent`` or
    ``court``. `description` is the Dutch line shown to staff.
    """

    state: str
    phase: int
    deadline: date | None
    description: str
    paused_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    action: Action | None
    status: TrackStatus
    account: Account | None = None


def letter_channel(facts: DossierFacts) -> Channel:
    """E-mail when an address is known, but for a consumer only with their consent."""
    if not facts.debtor_has_email:
        return "post"
    if facts.is_consumer and not facts.debtor.email_consent:
        return "post"
    return "email"


def evaluate(
    facts: DossierFacts,
    today: date,
    *,
    rates: RateTable | None = None,
    calendar: AtwCalendar | None = None,
    config: TrackConfig | None = None,
) -> Decision:
    """Decide what the track needs today; see the module docstring for the order."""
    rates = rates or default_rate_table()
    calendar = calendar or default_calendar()
    config = config or default_track_config()
    phase = facts.last_phase

    if not facts.is_open:
        return Decision(None, TrackStatus("closed", phase, None, "Dossier gesloten"))

    if not facts.claims:
        reason = "Het dossier bevat geen facturen; er kan geen brief worden opgesteld."
        return Decision(HoldForReview(reason), TrackStatus("review", phase, None, reason))

    current = account(facts, today, rates, calendar, config)
    if facts.payments and current.balance.is_paid:
        return Decision(ClosePaid(), TrackStatus("paid", phase, None, "Volledig betaald"), current)

    if phase == 0:
        hold = _not_ready_reason(facts, today)
        if hold:
            return Decision(HoldForReview(hold), TrackStatus("review", phase, None, hold), current)

    pauses = active_pauses(facts, today)
    if pauses:
        kinds = tuple(dict.fromkeys(pause.kind for pause in pauses))
        label = "Gepauzeerd: " + ", ".join(PAUSE_LABELS[kind] for kind in kinds)
        return Decision(None, TrackStatus("paused", phase, None, label, kinds), current)

    if phase >= Phase.GERECHTELIJKE_PROCEDURE:
        return Decision(None, TrackStatus("court", phase, None, "Gerechtelijke procedure (medewerker)"), current)

    if phase == 0:
        due = track_for(facts.is_consumer)[0]
    else:
        letter = facts.first_letter_of_phase(phase)
        assert letter is not None
        deadline = term_end(facts, letter, today, calendar, config)
        if deadline is not None and today <= deadline:
            status = TrackStatus("running", phase, deadline, f"Termijn fase {phase} loopt tot en met {deadline:%d-%m-%Y}")
            return Decision(None, status, current)
        if phase == Phase.AANKONDIGING_DAGVAARDING:
            if facts.court_consent_on is None:
                status = TrackStatus("waiting_consent", phase, deadline, "Wacht op toestemming van de opdrachtgever voor een procedure")
                return Decision(WaitForConsent(), status, current)
            return Decision(StartCourt(), TrackStatus("court", phase, deadline, "Toestemming ontvangen: procedure starten"), current)
        next_rule = rule_of(facts.is_consumer, phase + 1)
        assert next_rule is not None
        due = next_rule

    if config.letters_on_working_days_only and not calendar.is_working_day(today):
        status = TrackStatus("letter_due", phase, None, f"{due.title} wordt op de eerstvolgende werkdag verstuurd")
        return Decision(None, status, current)
    status = TrackStatus("letter_due", phase, None, f"{due.title} wordt vandaag verstuurd")
    return Decision(SendLetter(due, letter_channel(facts)), status, current)


def _not_ready_reason(facts: DossierFacts, today: date) -> str | None:
    not_due = [claim.invoice_number for claim in facts.claims if claim.due_date >= today]
    if not_due:
        if len(not_due) == 1:
            subject = f"Factuur {not_due[0]} is"
        else:
            subject = f"De facturen {', '.join(not_due)} zijn"
        return f"{subject} nog niet vervallen. Een aanmaning kan pas na de vervaldatum."
    default_on = facts.terms.default_on
    if facts.is_consumer and default_on is not None and default_on > today:
        return f"De debiteur is pas vanaf {default_on:%d-%m-%Y} in verzuim; de 14-dagenbrief mag pas daarna."
    return None


def next_action(
    facts: DossierFacts,
    today: date,
    *,
    calendar: AtwCalendar | None = None,
    rates: RateTable | None = None,
) -> Action | None:
    """Return only the action of `evaluate`."""
    return evaluate(facts, today, rates=rates, calendar=calendar).action
