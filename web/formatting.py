"""Jinja filters of the desk beyond the letters' euro and date filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

EVENT_LABELS = {
    "dossier_opened": "Dossier geopend",
    "intake_dossier": "Opdracht verwerkt",
    "intake_review": "Opdracht naar de controlelijst",
    "review_approved": "Controle goedgekeurd",
    "review_rejected": "Controle afgewezen",
    "review_handled": "Controle afgehandeld",
    "message_attached": "Bericht aan dossier gekoppeld",
    "field_corrected": "Veld verbeterd",
    "payment_recorded": "Betaling geboekt",
    "staff_hold_added": "Traject stilgezet",
    "staff_hold_lifted": "Traject hervat",
    "dispute_hold_added": "Betwisting vastgelegd",
    "dispute_hold_lifted": "Betwisting opgeheven",
    "arrangement_added": "Betalingsregeling vastgelegd",
    "arrangement_ended": "Betalingsregeling beëindigd",
    "court_consent_recorded": "Toestemming voor procedure",
    "task_done": "Taak afgerond",
    "dossier_closed": "Dossier gesloten",
    "letter_sent": "Brief verzonden",
    "reply_sent": "Antwoord verzonden",
    "terms_set": "Afspraken bijgewerkt",
    "letter_issued": "Brief klaargezet",
    "reply_failed": "Antwoord niet verzonden",
    "letter_failed": "Brief niet verzonden",
    "reply_suppressed": "Antwoord tegengehouden (te veel mails)",
    "debtor_profile_set": "Soort debiteur ingesteld",
    "followup_received": "Aanvulling ontvangen",
    "debtor_response": "Reactie van de debiteur",
    "portal_document_uploaded": "Document toegevoegd via het portaal",
    "portal_payment_reported": "Rechtstreekse betaling gemeld via het portaal",
    "portal_claim_withdrawn": "Vordering ingetrokken via het portaal",
    "portal_dossier_viewed": "Dossier bekeken in het portaal",
    "portal_document_downloaded": "Document gedownload in het portaal",
    "portal_letter_downloaded": "Brief gedownload in het portaal",
    "portal_access_denied": "Portaal: toegang geweigerd",
}


def local_time(value: datetime | None) -> str:
    """Format a moment in Amsterdam time as staff read it: 04-12-2026 09:15."""
    if value is None:
        return ""
    return value.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


def iso_local_time(value: str | None) -> str:
    if not value:
        return ""
    return local_time(datetime.fromisoformat(value))


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind.replace("_", " "))


def percent(value: float) -> str:
    return f"{round(value * 100)} %"


def event_details(data: Any) -> str:
    """Short text of an event's data for the timeline; the template escapes it."""
    if not isinstance(data, dict):
        return ""
    parts = []
    for key, value in data.items():
        if value in (None, "", [], {}):
            continue
        parts.append(f"{key}: {value}")
    return "; ".join(parts)[:300]


def euro(value: Any) -> str:
    """Format a Decimal or a read model's amount string ("883.30") as Dutch euros."""
    from decimal import Decimal, InvalidOperation

    from daemon.templating import format_money

    if value is None or value == "":
        return ""
    try:
        return format_money(value if isinstance(value, Decimal) else Decimal(str(value)))
    except InvalidOperation:
        return str(value)


def short_date(value: Any) -> str:
    """Format a date or a read model's ISO date string as 04-12-2026."""
    from datetime import date

    from daemon.templating import format_date

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    return format_date(value)
