"""The ledger of inbound messages: store raw mail first, then claim it for intake.

A message is stored with its raw bytes before anything on the mail server changes.
Intake claims stored messages with a lease, so several daemon processes can share the
work: a worker that dies leaves a lease that expires, and the message is claimed again.
Because intake commits its whole outcome in one transaction, a message claimed twice
after a crash is still processed once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from dossiers.blobs import put_blob
from dossiers.models import Event, InboundMessage, MailboxState
from dossiers.sql import insert_ignoring_conflict

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class RawMessage:
    """A fetched message with the keys its source gave it."""

    source_key: str
    server_key: str
    mailbox: str
    uidvalidity: int
    uid: int | None
    raw: bytes
    message_id: str = ""
    from_address: str = ""
    subject: str = ""


def store_raw(session: Session, message: RawMessage, now: datetime) -> int | None:
    """Store a fetched message once; return its id, or None if it was already stored."""
    digest = put_blob(session, message.raw, now)
    inserted = insert_ignoring_conflict(
        session,
        InboundMessage,
        {
            "source_key": message.source_key,
            "server_key": message.server_key,
            "mailbox": message.mailbox,
            "uidvalidity": message.uidvalidity,
            "uid": message.uid,
            "raw_sha256": digest,
            "size": len(message.raw),
            # PostgreSQL text columns cannot hold NUL; a hostile header must not stop fetching.
            "message_id": message.message_id.replace("\x00", "")[:998],
            "from_address": message.from_address.replace("\x00", "")[:320],
            "subject": message.subject.replace("\x00", ""),
            "fetched_at": now,
            "status": "stored",
            "attempts": 0,
        },
        ["source_key"],
    )
    if not inserted:
        return None
    inbound_id = session.execute(
        select(InboundMessage.id).where(InboundMessage.source_key == message.source_key)
    ).scalar_one()
    session.add(Event(inbound_id=inbound_id, kind="message_stored", at=now, data={"sha256": digest}))
    return inbound_id


def mailbox_state(session: Session, mailbox: str) -> MailboxState:
    state = session.get(MailboxState, mailbox)
    if state is None:
        insert_ignoring_conflict(session, MailboxState, {"mailbox": mailbox, "uidvalidity": 0, "last_uid": 0}, ["mailbox"])
        state = session.get(MailboxState, mailbox)
        assert state is not None
    return state


def unmarked_on_server(session: Session, mailbox: str, limit: int = 500) -> list[InboundMessage]:
    """Stored messages whose move or flag on the server has not been confirmed."""
    query = (
        select(InboundMessage)
        .where(InboundMessage.mailbox == mailbox, InboundMessage.server_marked_at.is_(None))
        .order_by(InboundMessage.id)
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def claim_next(session: Session, owner: str, now: datetime) -> InboundMessage | None:
    """Lease the oldest stored message that no live worker holds, and commit the lease.

    On PostgreSQL the candidate row is locked with SKIP LOCKED so that concurrent
    workers pick different messages; the conditional UPDATE makes the claim safe on
    SQLite too.
    """
    candidates = (
        select(InboundMessage.id)
        .where(
            InboundMessage.status == "stored",
            or_(InboundMessage.lease_until.is_(None), InboundMessage.lease_until < now),
        )
        .order_by(InboundMessage.id)
        .limit(5)
        .with_for_update(skip_locked=True)
    )
    for inbound_id in session.execute(candidates).scalars().all():
        claimed = session.execute(
            update(InboundMessage)
            .where(
                InboundMessage.id == inbound_id,
                InboundMessage.status == "stored",
                or_(InboundMessage.lease_until.is_(None), InboundMessage.lease_until < now),
            )
            .values(lease_owner=owner, lease_until=now + LEASE, attempts=InboundMessage.attempts + 1)
        )
        if claimed.rowcount == 1:
            session.commit()
            return session.get(InboundMessage, inbound_id)
    session.commit()
    return None


def still_leased_by(session: Session, inbound_id: int, owner: str) -> InboundMessage | None:
    """Re-read a claimed message inside the outcome transaction and check the lease.

    Returns None when the message was meanwhile finished or taken over, so the caller
    writes nothing.
    """
    query = select(InboundMessage).where(InboundMessage.id == inbound_id).with_for_update()
    message = session.execute(query).scalar_one_or_none()
    if message is None or message.status != "stored" or message.lease_owner != owner:
        return None
    return message


def record_failure(session: Session, inbound_id: int, owner: str, error: str, now: datetime) -> bool:
    """Record a failed intake attempt; return True when the message was parked for staff.

    After MAX_ATTEMPTS failures the message is put in the review queue instead of being
    retried forever (a poison message must not block the daemon).
    """
    message = session.get(InboundMessage, inbound_id)
    if message is None or message.status != "stored":
        return False
    message.last_error = error[:2000]
    message.lease_owner = None
    message.lease_until = now + timedelta(seconds=30 * message.attempts)
    return message.attempts >= MAX_ATTEMPTS
