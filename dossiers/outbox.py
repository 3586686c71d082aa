"""The outbox table: queue e-mails and letters in the transaction that causes them.

The sender claims due items with a lease, delivers them, and records the result. The
idempotency key names the cause, so queuing the same cause twice queues one item.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from dossiers.models import Event, OutboxItem
from dossiers.sql import insert_ignoring_conflict

logger = logging.getLogger(__name__)

SEND_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class QueuedMail:
    idempotency_key: str
    kind: str  # "email" | "post"
    purpose: str
    dossier_id: int | None
    recipients: tuple[str, ...]
    subject: str
    message_id: str | None
    raw: bytes | None
    pdf_sha256: str | None = None


def enqueue(session: Session, item: QueuedMail, now: datetime) -> OutboxItem:
    """Queue `item` once per idempotency key and return the (new or existing) row."""
    insert_ignoring_conflict(
        session,
        OutboxItem,
        {
            "idempotency_key": item.idempotency_key,
            "kind": item.kind,
            "purpose": item.purpose,
            "dossier_id": item.dossier_id,
            "recipients": list(item.recipients),
            "subject": item.subject,
            "message_id": item.message_id,
            "raw": item.raw,
            "pdf_sha256": item.pdf_sha256,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
        ["idempotency_key"],
    )
    row = session.execute(select(OutboxItem).where(OutboxItem.idempotency_key == item.idempotency_key)).scalar_one()
    return row


def claim_due(session: Session, owner: str, now: datetime, limit: int = 20) -> list[OutboxItem]:
    """Lease up to `limit` items that are due, and commit the lease.

    An item left in `sending` by a process that died is taken again once its lease has
    expired; it keeps its Message-ID, so a receiver sees a repeat of the same message.
    """
    due = (
        select(OutboxItem.id)
        .where(
            OutboxItem.status.in_(("pending", "sending")),
            OutboxItem.next_attempt_at <= now,
            or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < now),
        )
        .order_by(OutboxItem.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed: list[int] = []
    for item_id in session.execute(due).scalars().all():
        result = session.execute(
            update(OutboxItem)
            .where(
                OutboxItem.id == item_id,
                OutboxItem.status.in_(("pending", "sending")),
                or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < now),
            )
            .values(status="sending", lease_owner=owner, lease_until=now + SEND_LEASE, attempts=OutboxItem.attempts + 1)
        )
        if result.rowcount == 1:
            claimed.append(item_id)
    session.commit()
    return [row for row in (session.get(OutboxItem, item_id) for item_id in claimed) if row is not None]


def mark_sent(session: Session, item: OutboxItem, now: datetime) -> None:
    item.status = "sent"
    item.sent_at = now
    item.lease_until = None
    item.last_error = None
    session.add(Event(dossier_id=item.dossier_id, kind=f"{item.purpose}_sent", at=now, data={"outbox_id": item.id, "channel": item.kind}))


def mark_retry(session: Session, item: OutboxItem, error: str, delay: timedelta, now: datetime) -> None:
    item.status = "pending"
    item.last_error = error[:2000]
    item.lease_until = None
    item.next_attempt_at = now + delay


def mark_failed(session: Session, item: OutboxItem, error: str, now: datetime) -> None:
    item.status = "failed"
    item.last_error = error[:2000]
    item.lease_until = None
    session.add(
        Event(dossier_id=item.dossier_id, kind=f"{item.purpose}_failed", at=now, data={"outbox_id": item.id, "error": error[:500]})
    )
