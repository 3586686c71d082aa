"""What a client does on its own dossier from the portal; each step is an audited event.

The steps call the same functions as staff and mail intake (`dossiers.ledger`,
`dossiers.blobs`), never their own copy of a rule. Where staff must act, the step opens
a review item on the dossier (kind `followup` for documents, `task` otherwise), which
staff see in the Controlelijst of the desk.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from sqlalchemy.orm import Session

from dossiers.blobs import put_blob
from dossiers.ledger import add_hold, record_consent
from dossiers.models import Document, Dossier, Event, InboundMessage, ReviewItem

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# Accepted upload types with the bytes their files start with.
UPLOAD_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
DOCUMENT_KINDS = {
    "invoice": "Factuur",
    "terms": "Algemene voorwaarden",
    "contract": "Overeenkomst of opdrachtbevestiging",
    "reminder": "Herinnering of aanmaning",
    "correspondence": "Correspondentie met de debiteur",
    "other": "Overig",
}


class PortalActionError(ValueError):
    """A client's request cannot be carried out; the message is Dutch, for the client."""


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def sniff_type(data: bytes) -> str | None:
    """Return the accepted content type the bytes start with, or None."""
    for content_type, starts in UPLOAD_TYPES.items():
        if any(data.startswith(start) for start in starts):
            return content_type
    return None


def check_upload(upload: Upload) -> str:
    """Return the file's content type; raise PortalActionError when it is empty, too big or not PDF/PNG/JPEG."""
    if not upload.data:
        raise PortalActionError("Kies een bestand om te uploaden.")
    if len(upload.data) > MAX_UPLOAD_BYTES:
        raise PortalActionError(f"Het bestand is te groot; de grens is {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    content_type = sniff_type(upload.data)
    if content_type is None:
        raise PortalActionError("Alleen PDF-, PNG- en JPEG-bestanden worden aangenomen.")
    return content_type


def clean_filename(filename: str, content_type: str) -> str:
    name = "".join(char for char in filename.replace("\\", "/").rsplit("/", 1)[-1] if char.isprintable()).strip()[:200]
    extension = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}[content_type]
    if not name:
        name = "document" + extension
    return name


def _record_message(
    session: Session, *, sender: str, subject: str, body: str, attachments: list[tuple[str, str, bytes]], dossier: Dossier | None, now: datetime, domain: str
) -> InboundMessage:
    """Keep the portal submission as a raw RFC 5322 message that is already processed.

    A document must belong to an inbound message, and staff open the message on the
    review page like any mail. The row is stored as `done`, so intake never reads it.
    """
    message = EmailMessage()
    message["From"] = Address(addr_spec=sender)
    message["To"] = Address(addr_spec=f"portaal@{domain}")
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid("portal", domain=domain)
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    raw = message.as_bytes(policy=SMTP)
    key = uuid.uuid4().hex
    inbound = InboundMessage(
        source_key=f"portal-upload#{key}",
        mailbox="portal",
        uidvalidity=0,
        uid=None,
        server_key=key,
        raw_sha256=put_blob(session, raw, now),
        size=len(raw),
        message_id=str(message["Message-ID"]),
        from_address=sender,
        subject=subject,
        fetched_at=now,
        status="done",
        outcome="dossier",
        reason="portal_upload",
        dossier_id=dossier.id if dossier else None,
        attempts=0,
        processed_at=now,
    )
    session.add(inbound)
    session.flush()
    return inbound


def _staff_item(session: Session, dossier: Dossier, kind: str, code: str, message: str, now: datetime, inbound_id: int | None = None) -> ReviewItem:
    item = ReviewItem(
        kind=kind,
        dossier_id=dossier.id,
        inbound_id=inbound_id,
        status="open",
        reasons=[{"code": code, "message": message, "field": "", "source": "portal"}],
        extraction=None,
        created_at=now,
    )
    session.add(item)
    session.flush()
    return item


def _event(session: Session, dossier: Dossier, kind: str, actor: str, now: datetime, data: dict[str, object]) -> None:
    session.add(Event(dossier_id=dossier.id, kind=kind, actor=actor[:100], at=now, data=data))


def upload_document(
    session: Session, dossier: Dossier, upload: Upload, document_kind: str, *, actor: str, now: datetime, domain: str
) -> Document:
    """Store the file by content hash as a document of the dossier and ask staff to check it."""
    if document_kind not in DOCUMENT_KINDS:
        raise PortalActionError("Kies het soort document uit de lijst.")
    if dossier.status == "closed":
        raise PortalActionError(f"Dossier {dossier.number} is gesloten; neem contact met ons op.")
    content_type = check_upload(upload)
    filename = clean_filename(upload.filename, content_type)
    subject = f"Document via het portaal voor dossier {dossier.number}"
    body = f"Dossiernummer: {dossier.number}\nSoort document: {DOCUMENT_KINDS[document_kind]}\nToegevoegd door: {actor}\n"
    inbound = _record_message(
        session, sender=actor, subject=subject, body=body, attachments=[(filename, content_type, upload.data)], dossier=dossier, now=now, domain=domain
    )
    sha256 = put_blob(session, upload.data, now)
    document = Document(
        inbound_id=inbound.id, dossier_id=dossier.id, sha256=sha256, filename=filename, content_type=content_type, kind=document_kind, part_index=1, size=len(upload.data)
    )
    session.add(document)
    session.flush()
    message = f"Opdrachtgever heeft via het portaal een document toegevoegd ({DOCUMENT_KINDS[document_kind].lower()}); controleer en verwerk het"
    item = _staff_item(session, dossier, "followup", "portal_document", message, now, inbound_id=inbound.id)
    _event(session, dossier, "portal_document_uploaded", actor, now, {"document_id": document.id, "filename": filename, "kind": document_kind, "review_item": item.id, "sha256": sha256})
    logger.info("dossier %s: portal document %s stored, review item %s", dossier.id, document.id, item.id)
    return document


def report_direct_payment(
    session: Session, dossier: Dossier, amount: Decimal, paid_on: date, note: str, *, actor: str, now: datetime, today: date
) -> ReviewItem:
    """Record that the debtor paid the client directly; staff check it and book the payment."""
    if amount <= 0:
        raise PortalActionError("Het bedrag moet groter dan nul zijn.")
    if paid_on > today:
        raise PortalActionError("De betaaldatum ligt in de toekomst.")
    if dossier.status == "closed":
        raise PortalActionError(f"Dossier {dossier.number} is gesloten; neem contact met ons op.")
    message = f"Opdrachtgever meldt een rechtstreekse betaling van € {amount:.2f} op {paid_on:%d-%m-%Y}; controleer en boek de betaling"
    if note:
        message += f" (toelichting: {note})"
    item = _staff_item(session, dossier, "task", "client_reports_paid", message, now)
    _event(session, dossier, "portal_payment_reported", actor, now, {"amount": f"{amount:.2f}", "paid_on": paid_on.isoformat(), "review_item": item.id})
    logger.info("dossier %s: direct payment reported through the portal, review item %s", dossier.id, item.id)
    return item


def withdraw_claim(session: Session, dossier: Dossier, reason: str, *, actor: str, now: datetime, today: date) -> ReviewItem:
    """Stop the track at once with a staff hold, and ask staff to confirm and close the dossier."""
    reason = reason.strip()[:500]
    if not reason:
        raise PortalActionError("Geef een reden op voor het intrekken.")
    if dossier.status == "closed":
        raise PortalActionError(f"Dossier {dossier.number} is al gesloten.")
    hold = add_hold(session, dossier, "staff", f"Ingetrokken door de opdrachtgever: {reason}", today=today, actor=actor[:100], now=now)
    message = f"De opdrachtgever trekt de vordering in via het portaal ({reason}); bevestig en sluit het dossier"
    item = _staff_item(session, dossier, "task", "client_withdraws", message, now)
    _event(session, dossier, "portal_claim_withdrawn", actor, now, {"hold_id": hold.id, "review_item": item.id})
    logger.info("dossier %s: claim withdrawn through the portal, review item %s", dossier.id, item.id)
    return item


def give_court_consent(session: Session, dossier: Dossier, note: str, *, actor: str, now: datetime, today: date) -> None:
    """Record the client's consent for the court phase through the ledger, as staff would."""
    if dossier.status == "closed":
        raise PortalActionError(f"Dossier {dossier.number} is gesloten.")
    record_consent(session, dossier, today, note=f"Via het portaal. {note.strip()[:400]}".strip(), actor=actor[:100], now=now)
