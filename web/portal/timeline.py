"""The dossier's timeline as a client sees it: what happened and what is planned.

Only whitelisted event kinds are shown, each with a Dutch line written for clients and
only the facts of the client's own claim (amounts, dates, letter kinds). A debtor's
message is shown as the fact that it arrived, never with its text: no step exists yet
where staff publish a summary for the client, so none is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.ledger import CALL_OUTCOME_LABELS
from dossiers.models import Dossier, Event, Letter
from phases.rules import BUSINESS_TRACK, CONSUMER_TRACK
from web.formatting import euro, local_time, short_date

# Event kind -> the line a client reads. Kinds not listed are internal and not shown.
CLIENT_EVENT_LABELS = {
    "dossier_opened": "Dossier geopend",
    "review_approved": "Opdracht gecontroleerd en in behandeling genomen",
    "payment_recorded": "Betaling geboekt",
    "staff_hold_added": "Traject aangehouden",
    "staff_hold_lifted": "Traject hervat",
    "dispute_hold_added": "De debiteur betwist de vordering; het traject is aangehouden",
    "dispute_hold_lifted": "Betwisting afgehandeld; het traject loopt weer",
    "arrangement_added": "Betalingsregeling met de debiteur getroffen",
    "arrangement_ended": "Betalingsregeling beëindigd",
    "court_consent_recorded": "Toestemming voor een gerechtelijke procedure vastgelegd",
    "waiting_for_consent": "Wij vragen uw toestemming voor een gerechtelijke procedure",
    "phase_court": "Gerechtelijke fase gestart",
    "dossier_closed": "Dossier gesloten",
    "debtor_response": "Reactie van de debiteur ontvangen; wij behandelen deze",
    "client_followup": "Aanvulling van u ontvangen",
    "followup_received": "Aanvulling van u ontvangen",
    "task_done": "Taak afgerond",
    "portal_document_uploaded": "Document toegevoegd via het portaal",
    "portal_payment_reported": "Rechtstreekse betaling door u gemeld",
    "portal_claim_withdrawn": "Vordering door u ingetrokken",
}
LETTER_TITLES = {rule.template: rule.title for rule in (*BUSINESS_TRACK, *CONSUMER_TRACK)}


@dataclass(frozen=True)
class TimelineEntry:
    at: str  # local time or date as shown
    sort_key: str
    title: str
    detail: str = ""
    letter_id: int | None = None
    planned: bool = False
    actor: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def letter_title(kind: str) -> str:
    return LETTER_TITLES.get(kind, kind.replace("_", " ").capitalize())


def _detail(event: Event) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == "payment_recorded":
        return f"{euro(data.get('amount'))}, ontvangen op {short_date(data.get('received_on'))}"
    if event.kind == "arrangement_added":
        return f"{data.get('instalments')} termijn(en), totaal {euro(data.get('total'))}"
    if event.kind == "court_consent_recorded":
        return f"Toestemming van {short_date(data.get('consented_on'))}"
    if event.kind == "portal_payment_reported":
        return f"{euro(data.get('amount'))}, betaald op {short_date(data.get('paid_on'))}"
    if event.kind == "portal_document_uploaded":
        return str(data.get("filename", ""))[:150]
    return ""


def _task_title(event: Event) -> str | None:
    data = event.data if isinstance(event.data, dict) else {}
    if data.get("kind") == "call":
        outcome = CALL_OUTCOME_LABELS.get(str(data.get("outcome")), "")
        return f"Debiteur gebeld{': ' + outcome if outcome else ''}"
    return None


def build_timeline(session: Session, dossier: Dossier, track: dict[str, Any]) -> list[TimelineEntry]:
    """Return the planned next step (if any) first, then past entries, newest first."""
    entries: list[TimelineEntry] = []
    events = session.execute(select(Event).where(Event.dossier_id == dossier.id).order_by(Event.id)).scalars()
    for event in events:
        if event.kind not in CLIENT_EVENT_LABELS:
            continue
        title = CLIENT_EVENT_LABELS[event.kind]
        if event.kind == "task_done":
            call_title = _task_title(event)
            if call_title is None:
                continue
            title = call_title
        actor = event.actor if event.kind.startswith("portal_") else ""
        entries.append(TimelineEntry(local_time(event.at), _sort(event.at), title, _detail(event), actor=actor))

    letters = session.execute(select(Letter).where(Letter.dossier_id == dossier.id).order_by(Letter.id)).scalars()
    for letter in letters:
        channel = "per e-mail" if letter.channel == "email" else "per post"
        detail = f"{channel}; betaaltermijn tot en met {short_date(letter.deadline)}; gevorderd {euro(letter.total)}"
        entries.append(
            TimelineEntry(short_date(letter.issued_on), _sort(letter.created_at), f"Brief verstuurd: {letter_title(letter.kind)}", detail, letter_id=letter.id)
        )

    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    planned = _planned(dossier, track)
    return ([planned] if planned else []) + entries


def _planned(dossier: Dossier, track: dict[str, Any]) -> TimelineEntry | None:
    if dossier.status == "closed" or track.get("state") in ("closed", "paid"):
        return None
    deadline = track.get("deadline")
    shown = short_date(deadline) if deadline else "binnenkort"
    return TimelineEntry(shown, "9999", "Gepland", str(track.get("description") or ""), planned=True)


def _sort(moment: datetime | date) -> str:
    return moment.isoformat()


def money(value: str | Decimal | None) -> str:
    return euro(value) if value not in (None, "") else "–"
