"""Apply an intake decision: documents, client, debtor, dossier, claims, review item.

Everything here runs inside the caller's transaction, together with the reply that the
daemon queues in the outbox, so a crash leaves either all of it or none of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from dossiers.blobs import put_blob
from dossiers.intake_rules import IntakeDecision, Reason, claim_amount_field
from dossiers.models import Claim, Client, Debtor, Document, Dossier, Event, InboundMessage, ReviewItem
from dossiers.numbers import allocate_number
from parsers.model import Extraction, ParsedMail, Party

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakeResult:
    outcome: str
    dossier: Dossier | None = None
    review_item: ReviewItem | None = None
    duplicate_of: Dossier | None = None
    reasons: tuple[Reason, ...] = ()


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
    client: Client,
    now: datetime,
    today: date,
) -> IntakeResult:
    """Write the outcome of a new claim from a known client and mark the message done."""
    documents = store_documents(session, inbound, mail, extraction, now)

    dossier = None
    if decision.open_dossier:
        dossier = open_dossier(session, inbound, extraction, decision, documents, client=client, now=now, today=today)

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

    finish_message(inbound, decision.outcome, decision.reason_codes or None, dossier.id if dossier else None, now)
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
    finish_message(inbound, "ignored", reason.code, None, now)
    session.add(Event(inbound_id=inbound.id, kind="intake_ignored", at=now, data={"reason": reason.code}))
    return IntakeResult("ignored", reasons=(reason,))


def park_for_review(session: Session, inbound: InboundMessage, reason: Reason, now: datetime) -> IntakeResult:
    """Send a message to staff without parsing it (too large, or intake kept failing)."""
    item = ReviewItem(inbound_id=inbound.id, status="open", reasons=[reason.as_dict()], extraction=None, created_at=now)
    session.add(item)
    finish_message(inbound, "review", reason.code, None, now)
    session.add(Event(inbound_id=inbound.id, kind="intake_review", at=now, data={"reasons": [reason.code]}))
    return IntakeResult("review", review_item=item, reasons=(reason,))


def finish_message(inbound: InboundMessage, outcome: str, reason: str | None, dossier_id: int | None, now: datetime) -> None:
    """Record the message's single outcome and release its lease."""
    inbound.status = "done"
    inbound.outcome = outcome
    inbound.reason = reason
    inbound.dossier_id = dossier_id
    inbound.processed_at = now
    inbound.lease_owner = None
    inbound.lease_until = None


def open_dossier(
    session: Session,
    inbound: InboundMessage,
    extraction: Extraction,
    decision: IntakeDecision,
    documents: dict[int, Document],
    *,
    client: Client,
    now: datetime,
    today: date,
) -> Dossier:
    _fill_client(client, extraction.client)
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


def _fill_client(client: Client, seller: Party) -> None:
    """Complete the client's blank fields from the invoice's seller, where read with confidence."""
    for attribute in ("kvk", "vat_id", "iban", "street", "postcode", "city"):
        field = getattr(seller, attribute)
        if getattr(client, attribute) is None and field.trusted:
            setattr(client, attribute, str(field.value))


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
