"""Apply an intake decision: documents, client, debtor, dossier, claims, review item.

Everything here runs inside the caller's transaction, together with the reply that the
daemon queues in the outbox, so a crash leaves either all of it or none of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dossiers.blobs import put_blob
from dossiers.intake_rules import IntakeDecision, Reason, claim_amount_field
from dossiers.models import Claim, Client, Debtor, Document, Dossier, Event, InboundMessage, ReviewItem
from dossiers.numbers import allocate_number
from dossiers.sql import insert_ignoring_conflict
from parsers.model import Extraction, ParsedMail, Party

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    outcome: str
    dossier: Dossier | None = None
    review_item: ReviewItem | None = None
    duplicate_of: Dossier | None = None
    reasons: tuple[Reason, ...] = ()


def find_duplicate(session: Session, inbound: InboundMessage, mail: ParsedMail, extraction: Extraction) -> Dossier | None:
    """Return the dossier this message repeats: same bytes, or same client and invoice.

    Headers alone never make a duplicate: two different mails with one Message-ID or
    one subject are two claims. Only identical raw bytes, or a known client sending an
    invoice number that is already in one of its dossiers, count.
    """
    same_bytes = session.execute(
        select(InboundMessage.dossier_id)
        .where(
            InboundMessage.raw_sha256 == inbound.raw_sha256,
            InboundMessage.id != inbound.id,
            InboundMessage.status == "done",
            InboundMessage.dossier_id.is_not(None),
        )
        .limit(1)
    ).scalar_one_or_none()
    if same_bytes is not None:
        return session.get(Dossier, same_bytes)

    numbers = [invoice.number.value for invoice in extraction.invoices if invoice.number.trusted]
    if not numbers or not mail.from_address:
        return None
    query = (
        select(Dossier)
        .join(Client, Client.id == Dossier.client_id)
        .join(Claim, Claim.dossier_id == Dossier.id)
        .where(Client.email == mail.from_address, Claim.invoice_number.in_(numbers))
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def store_documents(session: Session, inbound: InboundMessage, mail: ParsedMail, extraction: Extraction, now: datetime) -> dict[int, Document]:
    """Keep every attachment byte for byte, classified; return them by part index."""
    kinds = {info.attachment_index: info.kind for info in extraction.documents}
    documents: dict[int, Document] = {}
    for attachment in mail.attachments:
        digest = put_blob(session, attachment.payload, now)
        document = Document(
            inbound_id=inbound.id,
            sha256=digest,
            filename=attachment.filename[:500] or f"bijlage-{attachment.index}",
            content_type=attachment.content_type[:200],
            kind=kinds.get(attachment.index, "other"),
            part_index=attachment.index,
            size=attachment.size,
        )
        session.add(document)
        documents[attachment.index] = document
    session.flush()
    return documents


def apply_decision(
    session: Session,
    inbound: InboundMessage,
    mail: ParsedMail,
    extraction: Extraction,
    decision: IntakeDecision,
    *,
    now: datetime,
    today: date,
) -> IntakeResult:
    """Write the outcome of one message and mark it done."""
    documents = store_documents(session, inbound, mail, extraction, now)

    duplicate = find_duplicate(session, inbound, mail, extraction)
    if duplicate is not None:
        for document in documents.values():
            document.dossier_id = duplicate.id
        _finish(inbound, "dossier", "duplicate", duplicate.id, now)
        session.add(Event(dossier_id=duplicate.id, inbound_id=inbound.id, kind="duplicate_received", at=now, data={}))
        logger.info("message %s repeats dossier %s; linked, no new dossier", inbound.id, duplicate.number)
        return IntakeResult("dossier", duplicate_of=duplicate)

    dossier = None
    if decision.open_dossier:
        dossier = _open_dossier(session, inbound, mail, extraction, decision, documents, now=now, today=today)

    review_item = None
    if decision.outcome == "review":
        review_item = ReviewItem(
            inbound_id=inbound.id,
            dossier_id=dossier.id if dossier else None,
            status="open",
            reasons=[reason.as_dict() for reason in decision.reasons],
            extraction=extraction.to_json(),
            created_at=now,
        )
        session.add(review_item)

    _finish(inbound, decision.outcome, decision.reason_codes or None, dossier.id if dossier else None, now)
    session.add(
        Event(
            dossier_id=dossier.id if dossier else None,
            inbound_id=inbound.id,
            kind="intake_" + decision.outcome,
            at=now,
            data={"reasons": [reason.code for reason in decision.reasons]},
        )
    )
    session.flush()
    return IntakeResult(decision.outcome, dossier=dossier, review_item=review_item, reasons=decision.reasons)


def ignore_message(session: Session, inbound: InboundMessage, reason: Reason, now: datetime) -> IntakeResult:
    _finish(inbound, "ignored", reason.code, None, now)
    session.add(Event(inbound_id=inbound.id, kind="intake_ignored", at=now, data={"reason": reason.code}))
    return IntakeResult("ignored", reasons=(reason,))


def park_for_review(session: Session, inbound: InboundMessage, reason: Reason, now: datetime) -> IntakeResult:
    """Send a message to staff without parsing it (too large, or intake kept failing)."""
    item = ReviewItem(inbound_id=inbound.id, status="open", reasons=[reason.as_dict()], extraction=None, created_at=now)
    session.add(item)
    _finish(inbound, "review", reason.code, None, now)
    session.add(Event(inbound_id=inbound.id, kind="intake_review", at=now, data={"reasons": [reason.code]}))
    return IntakeResult("review", review_item=item, reasons=(reason,))


def _finish(inbound: InboundMessage, outcome: str, reason: str | None, dossier_id: int | None, now: datetime) -> None:
    inbound.status = "done"
    inbound.outcome = outcome
    inbound.reason = reason
    inbound.dossier_id = dossier_id
    inbound.processed_at = now
    inbound.lease_owner = None
    inbound.lease_until = None


def _open_dossier(
    session: Session,
    inbound: InboundMessage,
    mail: ParsedMail,
    extraction: Extraction,
    decision: IntakeDecision,
    documents: dict[int, Document],
    *,
    now: datetime,
    today: date,
) -> Dossier:
    client = _client_for(session, mail, extraction.client, now)
    debtor = _new_debtor(extraction.debtor, now)
    session.add(debtor)
    session.flush()

    dossier = Dossier(
        number=allocate_number(session, today.year),
        client_id=client.id,
        debtor_id=debtor.id,
        status="active" if decision.outcome == "dossier" else "review",
        phase=0,
        opened_on=today,
        source_message_id=inbound.id,
        created_at=now,
    )
    session.add(dossier)
    session.flush()

    seen_numbers: set[str] = set()
    for index, invoice in enumerate(extraction.invoices):
        number = invoice.number.value or f"onbekend-{index + 1}"
        if number in seen_numbers:
            continue
        seen_numbers.add(number)
        amount = claim_amount_field(invoice).value
        document = documents.get(invoice.document_index) if invoice.document_index is not None else None
        session.add(
            Claim(
                dossier_id=dossier.id,
                invoice_number=number[:100],
                invoice_date=invoice.date.value,
                due_date=invoice.due_date.value,
                total=invoice.total.value,
                principal=amount if isinstance(amount, Decimal) else None,
                currency=invoice.currency.value or "EUR",
                document_id=document.id if document else None,
            )
        )
    for document in documents.values():
        document.dossier_id = dossier.id
    session.add(Event(dossier_id=dossier.id, inbound_id=inbound.id, kind="dossier_opened", at=now, data={"status": dossier.status}))
    session.flush()
    session.refresh(dossier)
    logger.info("dossier %s opened from message %s (%s)", dossier.number, inbound.id, dossier.status)
    return dossier


def _client_for(session: Session, mail: ParsedMail, seller: Party, now: datetime) -> Client:
    """Find the client by sender address, or register it from the invoice's seller."""
    email = mail.from_address
    name = seller.name.value or mail.from_name or email
    insert_ignoring_conflict(session, Client, {"name": name[:300], "email": email, "created_at": now, "cannot_deduct_vat": False}, ["email"])
    client = session.execute(select(Client).where(Client.email == email)).scalar_one()
    for attribute in ("kvk", "vat_id", "iban", "street", "postcode", "city"):
        field = getattr(seller, attribute)
        if getattr(client, attribute) is None and field.trusted:
            setattr(client, attribute, str(field.value))
    if client.name == email and seller.name.trusted:
        client.name = str(seller.name.value)[:300]
    return client


def _new_debtor(party: Party, now: datetime) -> Debtor:
    return Debtor(
        name=(party.name.value or "onbekend")[:300],
        kind=party.kind.value or "unknown",
        contact=party.contact.value,
        street=party.street.value,
        postcode=party.postcode.value,
        city=party.city.value,
        country=party.country.value or "NL",
        email=party.email.value,
        kvk=party.kvk.value,
        created_at=now,
    )
