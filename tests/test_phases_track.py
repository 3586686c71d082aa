from datetime import date
from decimal import Decimal

import pytest

from phases.facts import Claim, DossierFacts, SentLetter
from phases.track import (
    CONSUMER_NOT_AUTOMATED,
    HoldForReview,
    Phase,
    SendLetter,
    due_phase,
    next_action,
)

TODAY = date(2026, 12, 4)
CLAIM = Claim("F-1", date(2026, 10, 1), date(2026, 10, 31), Decimal("500.00"))


def facts(**changes: object) -> DossierFacts:
    values: dict[str, object] = {"dossier_number": "2026-000001", "debtor_kind": "business", "claims": (CLAIM,)}
    values.update(changes)
    return DossierFacts(**values)  # type: ignore[arg-type]


def test_business_without_letter_gets_phase_1() -> None:
    action = next_action(facts(), TODAY)
    assert isinstance(action, SendLetter)
    assert action.phase == Phase.INGEBREKESTELLING
    assert action.rule.template == "ingebrekestelling"
    assert action.rule.term_days == 7


def test_phase_1_sent_once_per_dossier() -> None:
    for channel in ("post", "email"):
        sent = facts(letters=(SentLetter(1, channel, date(2026, 12, 1)),))
        assert next_action(sent, TODAY) is None


def test_closed_dossier_gets_nothing() -> None:
    assert next_action(facts(is_open=False), TODAY) is None
    assert next_action(facts(is_open=False, debtor_kind="consumer"), TODAY) is None


def test_consumer_held_for_review() -> None:
    action = next_action(facts(debtor_kind="consumer"), TODAY)
    assert action == HoldForReview(CONSUMER_NOT_AUTOMATED)
    assert action.reason == "Consumentendossier: de 14-dagenbrief wordt nog niet automatisch verstuurd"


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
        (date(2026, 12, 12), Phase.SOMMATIE),
    ],
)
def test_phase_2_due_after_term(today: date, expected: Phase | None) -> None:
    sent = facts(letters=(SentLetter(1, "post", date(2026, 12, 4)),))
    rule = due_phase(sent, today)
    assert (rule.phase if rule else None) == expected
    # Phase 2 is not automated yet, so the engine itself does nothing.
    assert next_action(sent, today) is None


def test_phase_3_due_after_sommatie_term() -> None:
    # Sommatie sent Friday 2026-12-18: 5 days -> Wednesday 23-12, a working day.
    sent = facts(letters=(SentLetter(1, "post", date(2026, 12, 4)), SentLetter(2, "post", date(2026, 12, 18))))
    assert due_phase(sent, date(2026, 12, 23)) is None
    rule = due_phase(sent, date(2026, 12, 24))
    assert rule is not None
    assert rule.phase == Phase.AANKONDIGING_DAGVAARDING


def test_nothing_after_last_phase() -> None:
    letters = tuple(SentLetter(phase, "post", date(2026, 1, phase)) for phase in (1, 2, 3))
    assert due_phase(facts(letters=letters), TODAY) is None
