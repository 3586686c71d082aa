"""Replies to clients: the dossiernummer, what was understood, what is missing, and
acknowledgements of follow-ups.

Every reply is queued in the caller's transaction under an idempotency key and carries
a signed Message-ID, Auto-Submitted and our loop header. Acknowledgements of follow-ups
are also rate-limited per recipient, so no exchange with another robot can run away;
the reply to a new claim is sent once per dossier and needs no limit.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from jinja2 import Environment
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daemon.mailbuild import build_mail
from daemon.message_ids import MessageIdSigner
from daemon.settings import Settings
from dossiers.intake import IntakeResult
from dossiers.blobs import get_blob
from dossiers.models import Dossier, Event, InboundMessage, OutboxItem
from dossiers.outbox import QueuedMail, enqueue
from dossiers.queries import claim_total
from parsers.mail import parse_message
from parsers.model import ParsedMail

logger = logging.getLogger(__name__)

REPLY_TEMPLATE = "mail/reply_dossier.txt.j2"
IN_PROGRESS_TEMPLATE = "mail/reply_in_progress.txt.j2"
FOLLOWUP_TEMPLATE = "mail/reply_followup.txt.j2"


class Replies:
    """Builds and queues replies with one environment, signer and set of limits."""

    def __init__(self, environment: Environment, settings: Settings, signer: MessageIdSigner) -> None:
        self.environment = environment
        self.settings = settings
        self.signer = signer

    def dossier_opened(
        self, session: Session, inbound_id: int, mail: ParsedMail, result: IntakeResult, *, now: datetime, received_on: date
    ) -> None:
        dossier = result.dossier
        if dossier is None:
            return
        body = self._render(
            REPLY_TEMPLATE,
            received_on=received_on,
            number=dossier.number,
            debtor_name=dossier.debtor.name,
            debtor_kind=dossier.debtor.kind,
            debtor_address=_address(dossier),
            claims=list(dossier.claims),
            total=claim_total(list(dossier.claims)),
            status=dossier.status,
            reasons=_unique_messages(result),
        )
        # One per new dossier, so it cannot loop; it is not rate-limited.
        self._queue(session, f"reply:inbound:{inbound_id}", dossier, mail, body, now, limited=False)

    def after_approval(self, session: Session, approval: Any, *, now: datetime, received_on: date) -> None:
        """Queue the client's reply for a dossier that staff opened from the review queue."""
        if not approval.newly_opened or approval.inbound_id is None:
            return
        inbound = session.get(InboundMessage, approval.inbound_id)
        if inbound is None:
            return
        mail = parse_message(get_blob(session, inbound.raw_sha256))
        result = IntakeResult("dossier", dossier=approval.dossier)
        self.dossier_opened(session, inbound.id, mail, result, now=now, received_on=received_on)

    def already_in_progress(self, session: Session, dossier: Dossier, mail: ParsedMail, *, now: datetime) -> None:
        """Tell the client once per dossier that a re-sent claim joined the existing dossier."""
        body = self._render(IN_PROGRESS_TEMPLATE, number=dossier.number, subject=" ".join(mail.subject.split())[:150])
        self._queue(session, f"reply:duplicate:dossier:{dossier.id}", dossier, mail, body, now)

    def followup_received(self, session: Session, inbound_id: int, dossier: Dossier, mail: ParsedMail, *, now: datetime) -> None:
        filenames = [attachment.filename for attachment in mail.attachments if attachment.is_document]
        body = self._render(FOLLOWUP_TEMPLATE, number=dossier.number, filenames=filenames)
        self._queue(session, f"reply:followup:inbound:{inbound_id}", dossier, mail, body, now)

    def _render(self, template: str, **context: Any) -> str:
        return self.environment.get_template(template).render(agency=self.settings.agency, **context)

    def _queue(
        self, session: Session, key: str, dossier: Dossier, mail: ParsedMail, body: str, now: datetime, *, limited: bool = True
    ) -> None:
        """Queue a reply; acknowledgements (`limited`) are rate-limited per recipient."""
        recipient = mail.reply_to or mail.from_address
        if not recipient:
            return
        recipient = recipient.lower()
        if limited and not self._within_limits(session, recipient, now):
            session.add(Event(dossier_id=dossier.id, kind="reply_suppressed", at=now, data={"key": key, "reason": "rate_limit"}))
            logger.warning("reply %s to dossier %s suppressed: rate limit for this recipient reached", key, dossier.id)
            return
        message_id = self.signer.make(key)
        subject = reply_subject(dossier, mail.subject)
        raw = build_mail(
            sender_name=self.settings.agency.name,
            sender_address=self.settings.agency.from_address,
            to=recipient,
            subject=subject,
            body=body,
            message_id=message_id,
            moment=now,
            in_reply_to=mail.message_id,
            references=mail.references,
        )
        item = enqueue(
            session,
            QueuedMail(
                idempotency_key=key,
                kind="email",
                purpose="reply",
                dossier_id=dossier.id,
                recipients=(recipient,),
                subject=subject,
                message_id=message_id,
                raw=raw,
            ),
            now,
        )
        if limited:
            item.rate_key = recipient

    def _within_limits(self, session: Session, recipient: str, now: datetime) -> bool:
        def sent_since(moment: datetime) -> int:
            query = select(func.count()).select_from(OutboxItem).where(
                OutboxItem.rate_key == recipient, OutboxItem.created_at >= moment
            )
            return int(session.execute(query).scalar_one())

        return (
            sent_since(now - timedelta(hours=1)) < self.settings.reply_limit_per_hour
            and sent_since(now - timedelta(days=1)) < self.settings.reply_limit_per_day
        )


def reply_subject(dossier: Dossier, original_subject: str) -> str:
    """Put our dossiernummer first and keep the client's subject (and any ticket tag) after it."""
    subject = " ".join(original_subject.split())[:150]
    prefix = f"Dossier {dossier.number}"
    if dossier.number in subject:
        return subject if subject.lower().startswith("re:") else f"Re: {subject}"
    if not subject:
        return f"{prefix}: uw opdracht is ontvangen"
    if subject.lower().startswith("re:"):
        return f"{prefix}: {subject}"
    return f"{prefix}: Re: {subject}"


def _address(dossier: Dossier) -> str:
    debtor = dossier.debtor
    city_line = " ".join(part for part in (debtor.postcode, debtor.city) if part)
    return ", ".join(part for part in (debtor.street, city_line) if part)


def _unique_messages(result: IntakeResult) -> list[str]:
    messages: list[str] = []
    for reason in result.reasons:
        if reason.message not in messages:
            messages.append(reason.message)
    return messages
