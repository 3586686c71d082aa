"""Read models: dossiers, review items and outbox items as plain JSON-ready dicts.

Shared by the CLI and the web app so both show the same facts. Amounts are strings
with two decimals (exact), dates ISO 8601, moments ISO 8601 in UTC.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.models import Claim, Document, Dossier, Event, InboundMessage, Letter, OutboxItem, ReviewItem
from dossiers.numbers import parse_number


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def dossier_summary(dossier: Dossier) -> dict[str, Any]:
    principal = claim_total(dossier.claims)
    return {
        "number": dossier.number,
        "status": dossier.status,
        "phase": dossier.phase,
        "phase_deadline": _plain(dossier.phase_deadline),
        "opened_on": _plain(dossier.opened_on),
        "client": dossier.client.name,
        "client_email": dossier.client.email,
        "debtor": dossier.debtor.name,
        "debtor_kind": dossier.debtor.kind,
        "invoices": [claim.invoice_number for claim in dossier.claims],
        "principal": _plain(principal),
    }


def list_dossiers(session: Session, status: str | None = None) -> list[dict[str, Any]]:
    query = select(Dossier).order_by(Dossier.id)
    if status:
        query = query.where(Dossier.status == status)
    return [dossier_summary(dossier) for dossier in session.execute(query).scalars()]


def find_dossier(session: Session, number_text: str) -> Dossier | None:
    number = parse_number(number_text)
    if number is None:
        return None
    return session.execute(select(Dossier).where(Dossier.number == number)).scalar_one_or_none()


def dossier_detail(session: Session, dossier: Dossier, today: date | None = None) -> dict[str, Any]:
    """Return the dossier with its parties, claims, documents, letters, outbox and events,
    and its account (interest, costs, payments, balance, track state) on `today`.

    Callers pass the clock's today. Without it, the INCASSO_TODAY environment variable
    or else today's date in Amsterdam is used.
    """
    from dossiers.ledger import account_detail

    detail = dossier_summary(dossier)
    detail["client"] = _client_detail(dossier)
    detail["debtor"] = _debtor_detail(dossier)
    detail["claims"] = [_claim_detail(claim) for claim in dossier.claims]

    documents = session.execute(select(Document).where(Document.dossier_id == dossier.id).order_by(Document.id)).scalars()
    detail["documents"] = [
        {"id": doc.id, "filename": doc.filename, "kind": doc.kind, "content_type": doc.content_type, "size": doc.size, "sha256": doc.sha256}
        for doc in documents
    ]

    letters = session.execute(select(Letter).where(Letter.dossier_id == dossier.id).order_by(Letter.id)).scalars()
    detail["letters"] = [_letter_detail(letter) for letter in letters]

    outbox = session.execute(select(OutboxItem).where(OutboxItem.dossier_id == dossier.id).order_by(OutboxItem.id)).scalars()
    detail["outbox"] = [outbox_summary(item) for item in outbox]

    events = session.execute(select(Event).where(Event.dossier_id == dossier.id).order_by(Event.id)).scalars()
    detail["events"] = [{"kind": event.kind, "at": _plain(event.at), "actor": event.actor, "data": event.data} for event in events]

    reviews = session.execute(select(ReviewItem).where(ReviewItem.dossier_id == dossier.id).order_by(ReviewItem.id)).scalars()
    detail["review"] = [review_summary(session, item) for item in reviews]
    detail.update(account_detail(session, dossier, today or _clock_today()))
    return detail


def _clock_today() -> date:
    # NOTE: a fallback for callers without the daemon's clock; it honours INCASSO_TODAY from
    # the environment but not `clock.today` from a --config file.
    pinned = os.environ.get("INCASSO_TODAY", "").strip()
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            pass
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


def _client_detail(dossier: Dossier) -> dict[str, Any]:
    client = dossier.client
    return {"name": client.name, "email": client.email, "kvk": client.kvk, "iban": client.iban}


def _debtor_detail(dossier: Dossier) -> dict[str, Any]:
    debtor = dossier.debtor
    return {
        "name": debtor.name,
        "kind": debtor.kind,
        "contact": debtor.contact,
        "street": debtor.street,
        "postcode": debtor.postcode,
        "city": debtor.city,
        "country": debtor.country,
        "email": debtor.email,
        "kvk": debtor.kvk,
    }


def _claim_detail(claim: Claim) -> dict[str, Any]:
    return {
        "invoice_number": claim.invoice_number,
        "invoice_date": _plain(claim.invoice_date),
        "due_date": _plain(claim.due_date),
        "total": _plain(claim.total),
        "principal": _plain(claim.principal),
        "currency": claim.currency,
    }


def _letter_detail(letter: Letter) -> dict[str, Any]:
    return {
        "phase": letter.phase,
        "kind": letter.kind,
        "channel": letter.channel,
        "issued_on": _plain(letter.issued_on),
        "deadline": _plain(letter.deadline),
        "principal": _plain(letter.principal),
        "interest": _plain(letter.interest),
        "costs": _plain(letter.costs),
        "total": _plain(letter.total),
        "pdf_sha256": letter.pdf_sha256,
    }


def review_summary(session: Session, item: ReviewItem) -> dict[str, Any]:
    inbound = session.get(InboundMessage, item.inbound_id) if item.inbound_id else None
    dossier = session.get(Dossier, item.dossier_id) if item.dossier_id else None
    suggested = session.get(Dossier, item.suggested_dossier_id) if item.suggested_dossier_id else None
    return {
        "id": item.id,
        "kind": item.kind,
        "status": item.status,
        "suggested_dossier": suggested.number if suggested else None,
        "created_at": _plain(item.created_at),
        "dossier": dossier.number if dossier else None,
        "message_id": inbound.message_id if inbound else None,
        "from": inbound.from_address if inbound else None,
        "subject": inbound.subject if inbound else None,
        "reasons": item.reasons,
    }


def list_review(session: Session, status: str = "open", kind: str | None = None) -> list[dict[str, Any]]:
    query = select(ReviewItem).where(ReviewItem.status == status).order_by(ReviewItem.created_at, ReviewItem.id)
    if kind:
        query = query.where(ReviewItem.kind == kind)
    return [review_summary(session, item) for item in session.execute(query).scalars()]


def outbox_summary(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "purpose": item.purpose,
        "status": item.status,
        "recipients": item.recipients,
        "subject": item.subject,
        "message_id": item.message_id,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "created_at": _plain(item.created_at),
        "sent_at": _plain(item.sent_at),
    }


def list_outbox(session: Session, status: str | None = None) -> list[dict[str, Any]]:
    query = select(OutboxItem).order_by(OutboxItem.id)
    if status:
        query = query.where(OutboxItem.status == status)
    return [outbox_summary(item) for item in session.execute(query).scalars()]


def message_outcomes(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(InboundMessage).order_by(InboundMessage.id)).scalars()
    return [
        {
            "id": row.id,
            "source_key": row.source_key,
            "message_id": row.message_id,
            "status": row.status,
            "outcome": row.outcome,
            "reason": row.reason,
            "dossier_id": row.dossier_id,
        }
        for row in rows
    ]


def claim_total(claims: list[Claim]) -> Decimal:
    """Sum of the known outstanding amounts; claims whose amount is unknown count as zero."""
    return sum((claim.principal for claim in claims if claim.principal is not None), Decimal("0.00"))
