"""Apply what a message means for an existing dossier: follow-ups, debtor responses,
bounces, automatic notes, and triage for messages that cannot be trusted.

Each function runs in the caller's transaction and finishes the inbound message with
exactly one outcome: `dossier` (linked), `review` (triage) or `ignored` (with reason).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.intake import IntakeResult, finish_message, store_documents
from dossiers.intake_rules import Reason
from dossiers.ledger import add_hold
from dossiers.models import Dossier, Event, InboundMessage, Letter, OutboxItem, ReviewItem
from dossiers.outbox import QueuedMail, enqueue
from parsers.bounce import Bounce
from parsers.model import Extraction, ParsedMail
from parsers.replies import ReplyIntents

logger = logging.getLogger(__name__)

_CLIENT_INTENT_REASONS = {
    "paid": Reason("client_reports_paid", "De opdrachtgever meldt dat de debiteur heeft betaald; bevestig en sluit het dossier"),
    "withdrawn": Reason("client_withdraws", "De opdrachtgever trekt de vordering in; bevestig en sluit het dossier"),
}
_DEBTOR_INTENT_REASONS = {
    "paid": Reason("debtor_reports_paid", "De debiteur zegt te hebben betaald; controleer de betaling"),
    "dispute": Reason("debtor_disputes", "De debiteur betwist de vordering; beoordeel het verweer"),
    "arrangement": Reason("debtor_requests_arrangement", "De debiteur vraagt om een betalingsregeling"),
    "address_change": Reason("debtor_address_changed", "De debiteur geeft een nieuw adres door; werk het adres bij"),
    "withdrawn": Reason("debtor_reply", "De debiteur heeft gereageerd; lees de reactie"),
}


@dataclass(frozen=True)
class FollowUp:
    """The replies a client's follow-up calls for; the daemon renders and queues them."""

    acknowledge: bool = False
    already_in_progress: bool = False


def triage(
    session: Session,
    inbound: InboundMessage,
    reasons: list[Reason],
    now: datetime,
    *,
    suggested: Dossier | None = None,
    extraction: Extraction | None = None,
) -> IntakeResult:
    """Put a message in the staff triage list; nothing is opened or attached."""
    item = ReviewItem(
        inbound_id=inbound.id,
        kind="triage",
        suggested_dossier_id=suggested.id if suggested else None,
        status="open",
        reasons=[reason.as_dict() for reason in reasons],
        extraction=extraction.to_json() if extraction else None,
        created_at=now,
    )
    session.add(item)
    finish_message(inbound, "review", ",".join(reason.code for reason in reasons), None, now)
    session.add(
        Event(
            inbound_id=inbound.id,
            kind="triage",
            at=now,
            data={"reasons": [reason.code for reason in reasons], "suggested": suggested.number if suggested else None},
        )
    )
    logger.info("message %s to triage: %s", inbound.id, ",".join(reason.code for reason in reasons))
    return IntakeResult("review", review_item=item, reasons=tuple(reasons))


def note_automatic(session: Session, inbound: InboundMessage, dossier: Dossier | None, reason: Reason, now: datetime) -> IntakeResult:
    """Record an auto-reply or list mail: ignored, and a note on its dossier if it has one."""
    finish_message(inbound, "ignored", reason.code, dossier.id if dossier else None, now)
    session.add(
        Event(
            dossier_id=dossier.id if dossier else None,
            inbound_id=inbound.id,
            kind="automatic_reply_noted" if dossier else "intake_ignored",
            at=now,
            data={"reason": reason.code},
        )
    )
    return IntakeResult("ignored", dossier=dossier, reasons=(reason,))


def client_followup(
    session: Session,
    inbound: InboundMessage,
    mail: ParsedMail,
    extraction: Extraction,
    dossier: Dossier,
    intents: ReplyIntents,
    *,
    duplicate: bool,
    now: datetime,
    today: date,
) -> tuple[IntakeResult, FollowUp]:
    """Attach a client's message to its dossier; stop the track when it reports payment.

    A re-sent claim (same bytes, same attachment or the same invoices) only joins the
    dossier. New documents or data become a follow-up item for staff, because a changed
    amount or debtor must not change a running collection without a person checking it.
    """
    documents = store_documents(session, inbound, mail, extraction, now)
    for document in documents.values():
        document.dossier_id = dossier.id

    reasons = [_CLIENT_INTENT_REASONS[intent] for intent in intents.intents if intent in _CLIENT_INTENT_REASONS]
    if reasons:
        _hold(session, dossier, "staff", reasons[0].message, today=today, now=now)
    if reasons or (documents and not duplicate):
        if not reasons:
            reasons = [Reason("client_followup", "Aanvulling van de opdrachtgever ontvangen; controleer en verwerk de stukken")]
        session.add(
            ReviewItem(
                inbound_id=inbound.id,
                dossier_id=dossier.id,
                kind="followup",
                status="open",
                reasons=[reason.as_dict() for reason in reasons],
                extraction=extraction.to_json(),
                created_at=now,
            )
        )

    kind = "duplicate_received" if duplicate else "client_followup"
    finish_message(inbound, "dossier", "duplicate" if duplicate else "client_followup", dossier.id, now)
    session.add(
        Event(
            dossier_id=dossier.id,
            inbound_id=inbound.id,
            kind=kind,
            at=now,
            data={"intents": list(intents.intents), "documents": len(documents)},
        )
    )
    logger.info("message %s joined dossier %s as %s", inbound.id, dossier.number, kind)
    followup = FollowUp(acknowledge=bool(documents) and not duplicate, already_in_progress=duplicate)
    return IntakeResult("dossier", dossier=dossier, duplicate_of=dossier if duplicate else None, reasons=tuple(reasons)), followup


def debtor_response(
    session: Session,
    inbound: InboundMessage,
    mail: ParsedMail,
    extraction: Extraction,
    dossier: Dossier,
    intents: ReplyIntents,
    *,
    now: datetime,
    today: date,
) -> IntakeResult:
    """Record a debtor's reply as an event and a staff task; pause the track where needed."""
    documents = store_documents(session, inbound, mail, extraction, now)
    for document in documents.values():
        document.dossier_id = dossier.id

    reasons = [_DEBTOR_INTENT_REASONS[intent] for intent in intents.intents if intent in _DEBTOR_INTENT_REASONS]
    if not reasons:
        reasons = [Reason("debtor_reply", "De debiteur heeft gereageerd; lees de reactie")]
    if intents.pauses_track:
        kind = "dispute" if "dispute" in intents.intents else "staff"
        _hold(session, dossier, kind, reasons[0].message, today=today, now=now)
    session.add(
        ReviewItem(
            inbound_id=inbound.id,
            dossier_id=dossier.id,
            kind="task",
            status="open",
            reasons=[reason.as_dict() for reason in reasons],
            extraction=None,
            created_at=now,
        )
    )
    finish_message(inbound, "dossier", "debtor_response:" + ",".join(intents.intents or ("other",)), dossier.id, now)
    session.add(
        Event(
            dossier_id=dossier.id,
            inbound_id=inbound.id,
            kind="debtor_response",
            at=now,
            data={"intents": list(intents.intents), "evidence": intents.evidence, "paused": intents.pauses_track},
        )
    )
    logger.info("message %s: debtor response on dossier %s (%s)", inbound.id, dossier.number, ",".join(intents.intents) or "other")
    return IntakeResult("dossier", dossier=dossier, reasons=tuple(reasons))


def apply_bounce(session: Session, inbound: InboundMessage, bounce: Bounce, item: OutboxItem | None, now: datetime) -> IntakeResult:
    """Record a bounce of our mail; a permanent one to the debtor switches letters to post."""
    dossier = session.get(Dossier, item.dossier_id) if item and item.dossier_id else None
    data = {"recipient_domain": bounce.recipient.rsplit("@", 1)[-1], "status": bounce.status, "permanent": bounce.permanent}
    if dossier is None:
        finish_message(inbound, "ignored", "bounce_unmatched", None, now)
        session.add(Event(inbound_id=inbound.id, kind="bounce_unmatched", at=now, data=data))
        return IntakeResult("ignored", reasons=(Reason("bounce_unmatched", "Onbestelbaar-melding zonder bekend bericht"),))

    session.add(Event(dossier_id=dossier.id, inbound_id=inbound.id, kind="bounce", at=now, data={**data, "outbox_id": item.id if item else None}))
    debtor = dossier.debtor
    to_debtor = bool(debtor.email) and (bounce.recipient == debtor.email.lower() or (item is not None and item.purpose == "letter"))
    if bounce.permanent and to_debtor:
        debtor.email_unusable_at = now
        debtor.email_unusable_reason = f"{bounce.status} {bounce.diagnostic}"[:500]
        if item is not None and item.purpose == "letter":
            _resend_letter_by_post(session, item, now)
    elif bounce.permanent:
        session.add(
            ReviewItem(
                inbound_id=inbound.id,
                dossier_id=dossier.id,
                kind="task",
                status="open",
                reasons=[Reason("client_mail_bounced", f"E-mail aan de opdrachtgever kwam niet aan ({bounce.status}); controleer het adres").as_dict()],
                extraction=None,
                created_at=now,
            )
        )
    finish_message(inbound, "dossier", "bounce", dossier.id, now)
    logger.info("message %s: bounce (%s, permanent=%s) on dossier %s", inbound.id, bounce.status, bounce.permanent, dossier.number)
    return IntakeResult("dossier", dossier=dossier)


def _resend_letter_by_post(session: Session, item: OutboxItem, now: datetime) -> None:
    letter = session.execute(select(Letter).where(Letter.outbox_id == item.id)).scalar_one_or_none()
    if letter is None:
        return
    exists = session.execute(
        select(Letter.id).where(Letter.dossier_id == letter.dossier_id, Letter.phase == letter.phase, Letter.channel == "post")
    ).first()
    if exists is not None:
        return
    dossier = session.get(Dossier, letter.dossier_id)
    assert dossier is not None
    filename = f"{letter.kind.capitalize()} {dossier.number}.pdf"
    post = enqueue(
        session,
        QueuedMail(f"letter:dossier:{letter.dossier_id}:phase:{letter.phase}:post", "post", "letter", letter.dossier_id, (), filename, None, None, letter.pdf_sha256),
        now,
    )
    session.add(
        Letter(
            dossier_id=letter.dossier_id,
            phase=letter.phase,
            kind=letter.kind,
            channel="post",
            issued_on=letter.issued_on,
            deadline=letter.deadline,
            principal=letter.principal,
            interest=letter.interest,
            costs=letter.costs,
            total=letter.total,
            pdf_sha256=letter.pdf_sha256,
            outbox_id=post.id,
            created_at=now,
        )
    )
    session.add(Event(dossier_id=letter.dossier_id, kind="letter_rerouted_to_post", at=now, data={"phase": letter.phase}))


def _hold(session: Session, dossier: Dossier, kind: str, reason: str, *, today: date, now: datetime) -> None:
    """Pause the collection track with a hold until staff lift it (`incasso hold lift`).

    A hold, unlike taking the dossier out of `active`, stops the running term: the days
    it lasts are added to the term when it is lifted.
    """
    if dossier.status == "closed":
        return
    add_hold(session, dossier, kind, reason, today=today, actor="daemon", now=now)
