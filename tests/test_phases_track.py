"""The phase engine: which step is due, for business and consumer debtors."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from phases.facts import Arrangement, Claim, DebtorProfile, DossierFacts, Instalment, Pause, Payment, SentLetter
from phases.track import (
    ClosePaid,
    HoldForReview,
    Phase,
    SendLetter,
    StartCourt,
    WaitForConsent,
    evaluate,
    next_action,
)

TODAY = date(2026, 12, 4)  # a Friday
CLAIM = Claim("F-1", date(2026, 10, 1), date(2026, 10, 31), Decimal("500.00"))


def facts(**changes: object) -> DossierFacts:
    values: dict[str, object] = {"dossier_number": "2026-000001", "debtor_kind": "business", "claims": (CLAIM,)}
    values.update(changes)
    return DossierFacts(**values)  # type: ignore[arg-type]


def letter(phase: int, sent_on: date, channel: str = "post", costs: str | None = None) -> SentLetter:
    return SentLetter(phase, channel, sent_on, "", Decimal(costs) if costs else None)  # type: ignore[arg-type]


def test_business_without_letter_gets_phase_1() -> None:
    action = next_action(facts(), TODAY)
    assert isinstance(action, SendLetter)
    assert action.phase == Phase.INGEBREKESTELLING
    assert action.rule.template == "ingebrekestelling"
    assert action.rule.term_days == 7
    assert action.channel == "post"


def test_business_with_email_gets_email() -> None:
    action = next_action(facts(debtor_has_email=True), TODAY)
    assert isinstance(action, SendLetter)
    assert action.channel == "email"


def test_consumer_gets_14_dagenbrief_by_post_without_consent() -> None:
    action = next_action(facts(debtor_kind="consumer", debtor_has_email=True), TODAY)
    assert isinstance(action, SendLetter)
    assert action.rule.template == "veertiendagenbrief"
    assert action.rule.term_days == 14
    assert action.rule.term_from == "receipt"
    assert action.channel == "post"


def test_consumer_with_email_consent_gets_email() -> None:
    profile = DebtorProfile(consumer=True, natural_person_nl=True, email_consent=True)
    action = next_action(facts(debtor_kind="consumer", debtor_has_email=True, profile=profile), TODAY)
    assert isinstance(action, SendLetter)
    assert action.channel == "email"


def test_profile_overrides_kind() -> None:
    # A sole trader recorded by intake as "consumer" but marked a business by staff.
    profile = DebtorProfile(consumer=False, natural_person_nl=True)
    action = next_action(facts(debtor_kind="consumer", profile=profile), TODAY)
    assert isinstance(action, SendLetter)
    assert action.rule.template == "ingebrekestelling"


def test_phase_1_sent_once_per_dossier() -> None:
    for channel in ("post", "email"):
        assert next_action(facts(letters=(letter(1, date(2026, 12, 1), channel),)), TODAY) is None


def test_closed_dossier_gets_nothing() -> None:
    assert next_action(facts(is_open=False), TODAY) is None
    assert next_action(facts(is_open=False, debtor_kind="consumer"), TODAY) is None


def test_claim_not_yet_due_held() -> None:
    # Due today: interest and default start only tomorrow.
    due_today = Claim("F-2", date(2026, 11, 4), TODAY, Decimal("10.00"))
    action = next_action(facts(claims=(CLAIM, due_today)), TODAY)
    assert isinstance(action, HoldForReview)
    assert action.reason.startswith("Factuur F-2 is nog niet vervallen.")


def test_dossier_without_claims_held() -> None:
    action = next_action(facts(claims=()), TODAY)
    assert isinstance(action, HoldForReview)
    assert "geen facturen" in action.reason


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        # Phase 1 sent Friday 2026-12-04: the 7-day term ends Friday 2026-12-11.
        (date(2026, 12, 11), None),
        # Saturday 12-12 and Sunday 13-12: due, but letters go out on working days only.
        (date(2026, 12, 12), None),
        (date(2026, 12, 13), None),
        (date(2026, 12, 14), Phase.SOMMATIE),
    ],
)
def test_business_sommatie_after_term(today: date, expected: Phase | None) -> None:
    decision = evaluate(facts(letters=(letter(1, TODAY),)), today)
    action = decision.action
    assert (action.phase if isinstance(action, SendLetter) else None) == expected
    if today == date(2026, 12, 11):
        assert decision.status.state == "running"
        assert decision.status.deadline == date(2026, 12, 11)
    if today == date(2026, 12, 12):
        assert decision.status.state == "letter_due"


def test_business_phase_3_after_sommatie_term() -> None:
    # Sommatie sent Friday 2026-12-18: 5 days -> Wednesday 23-12, a working day.
    sent = facts(letters=(letter(1, date(2026, 12, 4)), letter(2, date(2026, 12, 18))))
    assert next_action(sent, date(2026, 12, 23)) is None
    action = next_action(sent, date(2026, 12, 24))
    assert isinstance(action, SendLetter)
    assert action.phase == Phase.AANKONDIGING_DAGVAARDING
    assert action.rule.template == "aankondiging_dagvaarding"


def test_phase_3_lapsed_waits_for_consent_then_court() -> None:
    # Aankondiging Thursday 2026-12-24: nominal end 29-12 (Tuesday), a working day.
    letters = (letter(1, date(2026, 12, 4)), letter(2, date(2026, 12, 14)), letter(3, date(2026, 12, 24)))
    assert next_action(facts(letters=letters), date(2026, 12, 29)) is None
    decision = evaluate(facts(letters=letters), date(2026, 12, 30))
    assert isinstance(decision.action, WaitForConsent)
    assert decision.status.state == "waiting_consent"

    consented = facts(letters=letters, court_consent_on=date(2026, 12, 31))
    assert isinstance(next_action(consented, date(2026, 12, 31)), StartCourt)
    # Consent alone does not skip the term.
    assert next_action(consented, date(2026, 12, 28)) is None


def test_consumer_term_counts_from_assumed_receipt() -> None:
    # 14-dagenbrief posted Friday 2026-12-04. Receipt: Saturday 05-12 counts (1), Sunday and
    # Monday do not, Tuesday 08-12 counts (2): received 08-12. Term 09-12 .. 22-12 (Tuesday).
    sent = facts(debtor_kind="consumer", letters=(letter(1, TODAY, costs="75.00"),))
    decision = evaluate(sent, date(2026, 12, 22))
    assert decision.action is None
    assert decision.status.deadline == date(2026, 12, 22)
    assert decision.account is not None
    assert decision.account.balance.costs_due == Decimal("0.00")

    after = evaluate(sent, date(2026, 12, 23))
    assert isinstance(after.action, SendLetter)
    assert after.action.rule.template == "sommatie"
    # BIK over 500: 15 % = 75,00, due from 23-12.
    assert after.account is not None
    assert after.account.balance.costs_due == Decimal("75.00")


def test_consumer_term_over_christmas() -> None:
    # Posted Friday 2026-12-11. Receipt: Sat 12 (1), Sun, Mon skipped, Tue 15 (2).
    # Nominal end 15 + 14 = 29-12 (Tuesday), a working day.
    # Posted Friday 2026-12-18: receipt Sat 19 (1), Tue 22 (2); 22 + 14 = 05-01-2027 (Tuesday).
    # Posted Thursday 2026-12-24: Christmas 25 and 26, Sunday 27, Monday 28 skipped:
    # receipt Tue 29 (2nd counted day after Thursday? Fri 25 no, Sat 26 no (holiday), so
    # Tue 29 (1), Wed 30 (2)); end 30-12 + 14 = 13-01-2027 (Wednesday).
    for sent_on, expected_end in (
        (date(2026, 12, 11), date(2026, 12, 29)),
        (date(2026, 12, 18), date(2027, 1, 5)),
        (date(2026, 12, 24), date(2027, 1, 13)),
    ):
        decision = evaluate(facts(debtor_kind="consumer", letters=(letter(1, sent_on, costs="75.00"),)), sent_on + timedelta(days=1))
        assert decision.status.deadline == expected_end, sent_on


def test_full_payment_closes() -> None:
    # Business, no letter yet: 500 + interest 01-11..04-12 (34 days at 10,40 %):
    # 500 x 10,40 x 34 / 36500 = 4,8438.. -> 4,84. Paid 504,84 on 04-12.
    paid = facts(payments=(Payment(TODAY, Decimal("504.84")),))
    assert isinstance(next_action(paid, TODAY), ClosePaid)
    short = facts(payments=(Payment(TODAY, Decimal("504.83")),))
    assert isinstance(next_action(short, TODAY), SendLetter)


def test_consumer_paid_within_term_owes_no_costs() -> None:
    # 14-dagenbrief 04-12; the debtor pays principal and interest on 15-12, within the term.
    # Consumer interest 4 % from 01-11 through 15-12: 45 days: 500 x 4 x 45 / 36500 = 2,4657.. -> 2,47
    sent = facts(debtor_kind="consumer", letters=(letter(1, TODAY, costs="75.00"),), payments=(Payment(date(2026, 12, 15), Decimal("502.47")),))
    assert isinstance(next_action(sent, date(2026, 12, 15)), ClosePaid)
    assert isinstance(next_action(sent, date(2027, 1, 4)), ClosePaid)


def test_hold_pauses_and_lifting_resumes_remaining_term() -> None:
    # Ingebrekestelling Friday 04-12, term to Friday 11-12. A dispute from Tuesday 08-12 to
    # Monday 14-12 (lifted that day) pauses 6 days: 11-12 + 6 = Thursday 17-12.
    sent = facts(letters=(letter(1, TODAY),), pauses=(Pause("dispute", date(2026, 12, 8), date(2026, 12, 14)),))
    assert evaluate(sent, date(2026, 12, 10)).status.state == "paused"
    assert evaluate(sent, date(2026, 12, 17)).status.deadline == date(2026, 12, 17)
    assert next_action(sent, date(2026, 12, 17)) is None
    assert isinstance(next_action(sent, date(2026, 12, 18)), SendLetter)

    open_hold = facts(letters=(letter(1, TODAY),), pauses=(Pause("staff", date(2026, 12, 8)),))
    decision = evaluate(open_hold, date(2027, 2, 1))
    assert decision.action is None
    assert decision.status.state == "paused"
    assert decision.status.paused_by == ("staff",)


def test_hold_after_term_lapsed_resumes_at_once() -> None:
    # Term ended 11-12; a staff hold from Monday 14-12 to Wednesday 16-12 does not move it.
    sent = facts(letters=(letter(1, TODAY),), pauses=(Pause("staff", date(2026, 12, 14), date(2026, 12, 16)),))
    assert next_action(sent, date(2026, 12, 15)) is None
    assert isinstance(next_action(sent, date(2026, 12, 16)), SendLetter)


def test_arrangement_pauses_until_breach() -> None:
    # Arrangement agreed 07-12: 250 on 15-12 and 260 on 15-01, 5 grace days.
    arrangement = Arrangement(date(2026, 12, 7), (Instalment(date(2026, 12, 15), Decimal("250.00")), Instalment(date(2027, 1, 15), Decimal("260.00"))), 5)
    paid_first = (Payment(date(2026, 12, 14), Decimal("250.00")),)
    sent = facts(letters=(letter(1, TODAY),), arrangements=(arrangement,), payments=paid_first)
    assert evaluate(sent, date(2027, 1, 20)).status.state == "paused"
    # Second instalment missed: grace ends 20-01, breach from 21-01. The pause began on
    # 07-12 inside the term (to 11-12), so the 45 paused days move the end to 25-01-2027,
    # a Monday, and the sommatie is due on 26-01.
    decision = evaluate(sent, date(2027, 1, 21))
    assert decision.action is None
    assert decision.status.deadline == date(2027, 1, 25)
    after = evaluate(sent, date(2027, 1, 26))
    assert isinstance(after.action, SendLetter)
    assert after.action.phase == Phase.SOMMATIE


def test_arrangement_first_instalment_missed() -> None:
    arrangement = Arrangement(date(2026, 12, 7), (Instalment(date(2026, 12, 15), Decimal("250.00")),), 5)
    sent = facts(letters=(letter(1, TODAY),), arrangements=(arrangement,), payments=(Payment(date(2026, 12, 18), Decimal("100.00")),))
    assert next_action(sent, date(2026, 12, 20)) is None
    # Breach on 21-12: the term (to 11-12, paused from 07-12 for 14 days) ran to 25-12 ->
    # Christmas, so Monday 28-12; the sommatie is due on 29-12.
    assert evaluate(sent, date(2026, 12, 21)).status.deadline == date(2026, 12, 28)
    assert isinstance(next_action(sent, date(2026, 12, 29)), SendLetter)


def test_court_phase_does_nothing_more() -> None:
    letters = tuple(letter(phase, date(2026, 11, phase)) for phase in (1, 2, 3, 4))
    decision = evaluate(facts(letters=letters), TODAY)
    assert decision.action is None
    assert decision.status.state == "court"
