"""Helpers shared by the desk's views: the context, the clock, forms and the phase engine."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from flask import current_app, flash

from daemon.context import DaemonContext
from parsers.dutch import parse_amount

logger = logging.getLogger(__name__)

CONFIDENCE_HIGH = 0.8
CONFIDENCE_MEDIUM = 0.5

# Dutch lines for the outcomes of applying the phase engine after an action.
OUTCOME_LINES = {
    "letter": "Er is een brief klaargezet in de outbox.",
    "paid": "Het dossier is volledig betaald en gesloten; de opdrachtgever krijgt bericht.",
    "waiting_consent": "Het dossier wacht op toestemming van de opdrachtgever.",
    "court": "Het dossier staat in fase 4 (procedure).",
    "review": "Het dossier staat in de controlelijst.",
}


class FormError(ValueError):
    """A form value staff entered cannot be used; the message is Dutch."""


def context() -> DaemonContext:
    desk: DaemonContext = current_app.extensions["incasso"]
    return desk


def form_amount(text: str, label: str = "Bedrag") -> Decimal:
    value = parse_amount(text or "")
    if value is None:
        raise FormError(f"{label} '{text}' is geen bedrag; schrijf bijvoorbeeld 125,50 of 1.250,00.")
    return value


def form_date(text: str, label: str = "Datum", default: date | None = None) -> date:
    if not text and default is not None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FormError(f"{label} '{text}' is geen datum; gebruik JJJJ-MM-DD.") from None


def form_int(text: str, label: str, minimum: int = 0) -> int:
    try:
        value = int(text)
    except ValueError:
        raise FormError(f"{label} '{text}' is geen geheel getal.") from None
    if value < minimum:
        raise FormError(f"{label} moet minstens {minimum} zijn.")
    return value


def apply_track(dossier_id: int) -> None:
    """Apply the phase engine to the dossier at once, as the CLI does after a staff action."""
    from daemon.phase_worker import PhaseWorker

    desk = context()
    outcome = PhaseWorker(desk).handle(dossier_id, desk.clock.today())
    if outcome in OUTCOME_LINES:
        flash(OUTCOME_LINES[outcome], "info")


def confidence_class(confidence: float, present: bool) -> str:
    if not present:
        return "missing"
    if confidence >= CONFIDENCE_HIGH:
        return "high"
    if confidence >= CONFIDENCE_MEDIUM:
        return "medium"
    return "low"
