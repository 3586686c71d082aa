"""The two collection tracks: which letters, in which order, with which terms.

Business debtors get an ingebrekestelling (7 days), a sommatie (5 days) and an
aankondiging dagvaarding (5 days). Consumers first get the 14-dagenbrief of art. 6:96
lid 6 BW, whose 14 days run from the day after receipt, and then the same sommatie and
aankondiging. Phase 4, the court procedure, starts only with the client's consent.
Terms of a business letter count from the letter date. Terms of a consumer letter count
from the assumed day of receipt, so a consumer never gets less time than the letter names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

TermFrom = Literal["letter_date", "receipt"]


class Phase(IntEnum):
    INGEBREKESTELLING = 1  # for a consumer: the 14-dagenbrief
    SOMMATIE = 2
    AANKONDIGING_DAGVAARDING = 3
    GERECHTELIJKE_PROCEDURE = 4


@dataclass(frozen=True)
class PhaseRule:
    """A letter of a track: its kind (template stem), title and the payment term in days."""

    phase: Phase
    template: str
    term_days: int
    title: str
    term_from: TermFrom = "letter_date"


BUSINESS_TRACK: tuple[PhaseRule, ...] = (
    PhaseRule(Phase.INGEBREKESTELLING, "ingebrekestelling", 7, "Ingebrekestelling"),
    PhaseRule(Phase.SOMMATIE, "sommatie", 5, "Sommatie"),
    PhaseRule(Phase.AANKONDIGING_DAGVAARDING, "aankondiging_dagvaarding", 5, "Aankondiging dagvaarding"),
)

CONSUMER_TRACK: tuple[PhaseRule, ...] = (
    PhaseRule(Phase.INGEBREKESTELLING, "veertiendagenbrief", 14, "Aanmaning (14-dagenbrief)", "receipt"),
    PhaseRule(Phase.SOMMATIE, "sommatie", 5, "Sommatie", "receipt"),
    PhaseRule(Phase.AANKONDIGING_DAGVAARDING, "aankondiging_dagvaarding", 5, "Aankondiging dagvaarding", "receipt"),
)

# The statutory minimum of art. 6:96 lid 6 BW; the track may give more, never less.
CONSUMER_FIRST_TERM_MINIMUM = 14
assert CONSUMER_TRACK[0].term_days >= CONSUMER_FIRST_TERM_MINIMUM


def track_for(consumer: bool) -> tuple[PhaseRule, ...]:
    return CONSUMER_TRACK if consumer else BUSINESS_TRACK


def rule_of(consumer: bool, phase: int) -> PhaseRule | None:
    return next((rule for rule in track_for(consumer) if rule.phase == phase), None)


def template_name(rule: PhaseRule, consumer: bool) -> str:
    """Return the letter template for a rule and debtor kind, relative to templates/."""
    if rule.template in ("ingebrekestelling", "veertiendagenbrief"):
        return f"letters/{rule.template}.html.j2"
    audience = "consument" if consumer else "zakelijk"
    return f"letters/{rule.template}_{audience}.html.j2"
