"""Clients and the sender addresses and domains whose mail is trusted as theirs.

Registering a sender also releases that sender's messages waiting in triage, so the
claim it sent is processed as if it had come from a known client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.matching import PUBLIC_MAIL_DOMAINS, domain_of
from dossiers.models import Client, ClientSender, Event, InboundMessage, ReviewItem
from dossiers.sql import insert_ignoring_conflict

logger = logging.getLogger(__name__)


class ClientError(ValueError):
    """A client registration that cannot be done; the message is Dutch, for staff."""


@dataclass(frozen=True)
class Registration:
    client: Client
    released: int


def register_client(
    session: Session,
    email: str,
    *,
    name: str,
    now: datetime,
    kvk: str | None = None,
    domain: str | None = None,
    cannot_deduct_vat: bool = False,
    by: str = "staff",
) -> Registration:
    """Register (or extend) a client with `email` and optionally a whole `domain`.

    Returns the client and how many triaged messages from its senders were released
    for processing. Raises ClientError for an invalid address or a public mail domain.
    """
    email = email.strip().lower()
    if "@" not in email or not domain_of(email):
        raise ClientError(f"'{email}' is geen geldig e-mailadres.")
    if domain:
        domain = domain.strip().lower().lstrip("@")
        if domain in PUBLIC_MAIL_DOMAINS:
            raise ClientError(f"Het domein {domain} is van een openbare maildienst en kan niet als geheel worden vertrouwd.")

    insert_ignoring_conflict(
        session,
        Client,
        {"name": name or email, "email": email, "kvk": kvk, "cannot_deduct_vat": cannot_deduct_vat, "created_at": now},
        ["email"],
    )
    client = session.execute(select(Client).where(Client.email == email)).scalar_one()
    add_sender(session, client, address=email, now=now, by=by)
    if domain:
        add_sender(session, client, domain=domain, now=now, by=by)
    session.add(Event(kind="client_registered", actor=by, at=now, data={"client_id": client.id, "domain": domain}))
    released = release_triaged(session, client, now=now, by=by)
    return Registration(client, released)


def add_sender(
    session: Session, client: Client, *, now: datetime, address: str | None = None, domain: str | None = None, by: str = "staff"
) -> None:
    existing = session.execute(
        select(ClientSender).where(ClientSender.address == address if address else ClientSender.domain == domain)
    ).scalar_one_or_none()
    if existing is not None and existing.client_id != client.id:
        raise ClientError(f"{address or domain} hoort al bij een andere opdrachtgever (nummer {existing.client_id}).")
    if existing is None:
        session.add(ClientSender(client_id=client.id, address=address, domain=domain, created_at=now, created_by=by))
        session.flush()


def release_triaged(session: Session, client: Client, *, now: datetime, by: str) -> int:
    """Send the client's messages that wait in triage for an unknown sender back to intake."""
    senders = session.execute(select(ClientSender).where(ClientSender.client_id == client.id)).scalars().all()
    addresses = {sender.address for sender in senders if sender.address}
    domains = {sender.domain for sender in senders if sender.domain}

    items = session.execute(
        select(ReviewItem, InboundMessage)
        .join(InboundMessage, InboundMessage.id == ReviewItem.inbound_id)
        .where(ReviewItem.kind == "triage", ReviewItem.status == "open", ReviewItem.dossier_id.is_(None))
    ).all()
    released = 0
    for item, inbound in items:
        if not any(reason.get("code") == "unknown_sender" for reason in item.reasons):
            continue
        sender = inbound.from_address.lower()
        if sender not in addresses and domain_of(sender) not in domains:
            continue
        item.status = "resolved"
        item.resolved_at = now
        inbound.status = "stored"
        inbound.outcome = None
        inbound.reason = None
        inbound.attempts = 0
        inbound.lease_owner = None
        inbound.lease_until = None
        session.add(Event(inbound_id=inbound.id, kind="triage_released", actor=by, at=now, data={"client_id": client.id}))
        released += 1
    logger.info("client %s registered; %s triaged message(s) released", client.id, released)
    return released


def list_clients(session: Session) -> list[dict[str, object]]:
    rows = []
    for client in session.execute(select(Client).order_by(Client.id)).scalars():
        senders = session.execute(select(ClientSender).where(ClientSender.client_id == client.id)).scalars().all()
        rows.append(
            {
                "id": client.id,
                "name": client.name,
                "email": client.email,
                "kvk": client.kvk,
                "addresses": sorted(sender.address for sender in senders if sender.address),
                "domains": sorted(sender.domain for sender in senders if sender.domain),
            }
        )
    return rows
