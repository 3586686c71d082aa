"""Find the dossier a message belongs to, and whether its sender may act on it.

Tried in this order:
1. one of our own signed Message-IDs in In-Reply-To or References (cannot be forged);
2. a dossiernummer with a valid check digit in the subject, the text or an attachment
   name;
3. content already on a dossier of the sending client: identical raw bytes, an
   identical attachment (a forward), or an invoice number of that client's claims.
A match by number counts only when the sender is the dossier's client (a known address
or domain) or its debtor. Otherwise it is only a suggestion for staff triage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dossiers.models import Claim, Client, ClientSender, Document, Dossier, InboundMessage, OutboxItem
from dossiers.numbers import find_numbers
from parsers.model import Extraction, ParsedMail

# Domains of public mail providers: a client's address there does not show who else
# under the same domain belongs to the client.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "hotmail.com", "hotmail.nl", "outlook.com", "outlook.nl", "live.nl",
        "live.com", "msn.com", "yahoo.com", "yahoo.nl", "icloud.com", "me.com", "ziggo.nl", "kpnmail.nl",
        "kpnplanet.nl", "planet.nl", "home.nl", "xs4all.nl", "upcmail.nl", "chello.nl", "hetnet.nl", "casema.nl",
        "gmx.com", "gmx.net", "proton.me", "protonmail.com", "telfort.nl", "online.nl", "quicknet.nl",
    }
)


@dataclass(frozen=True)
class DossierMatch:
    """A dossier found for a message.

    `method` is `message_id`, `number` or `content`; `side` is `client`, `debtor` or
    `unknown` (who the sender is for this dossier). `trusted` is whether the message
    may act on the dossier without staff.
    """

    dossier: Dossier
    method: str
    side: str
    trusted: bool
    duplicate: bool = False


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].lower() if "@" in address else ""


def known_client(session: Session, address: str) -> Client | None:
    """Return the client that `address` belongs to by a registered address or domain."""
    if not address:
        return None
    row = session.execute(
        select(ClientSender.client_id).where(
            or_(ClientSender.address == address.lower(), ClientSender.domain == domain_of(address))
        )
    ).first()
    return session.get(Client, row[0]) if row else None


def sender_side(session: Session, dossier: Dossier, address: str) -> str:
    address = address.lower()
    if not address:
        return "unknown"
    client = known_client(session, address)
    if client is not None and client.id == dossier.client_id:
        return "client"
    if dossier.debtor.email and dossier.debtor.email.lower() == address:
        return "debtor"
    return "unknown"


def match_dossier(
    session: Session,
    inbound: InboundMessage,
    mail: ParsedMail,
    extraction: Extraction | None,
    verified_ids: Callable[[Iterable[str]], list[str]],
) -> DossierMatch | None:
    """Return the dossier `mail` belongs to, or None (then it may be a new claim)."""
    by_id = _by_message_id(session, mail, verified_ids)
    if by_id is not None:
        return by_id
    by_number = _by_number(session, mail)
    if by_number is not None:
        return by_number
    return _by_content(session, inbound, mail, extraction)


def _by_message_id(
    session: Session, mail: ParsedMail, verified_ids: Callable[[Iterable[str]], list[str]]
) -> DossierMatch | None:
    ours = verified_ids([mail.in_reply_to, *mail.references])
    for message_id in ours:
        item = session.execute(select(OutboxItem).where(OutboxItem.message_id == message_id)).scalar_one_or_none()
        if item is None or item.dossier_id is None:
            continue
        dossier = session.get(Dossier, item.dossier_id)
        if dossier is None:
            continue
        side = sender_side(session, dossier, mail.from_address)
        if side == "unknown":
            # The reply quotes a mail we sent, so the sender is on the side we wrote to.
            side = "debtor" if item.purpose == "letter" else "client"
        return DossierMatch(dossier, "message_id", side, trusted=True)
    return None


def _by_number(session: Session, mail: ParsedMail) -> DossierMatch | None:
    texts = [mail.subject, mail.text_body, *(attachment.filename for attachment in mail.attachments)]
    suggestion: DossierMatch | None = None
    for number in find_numbers("\n".join(texts)):
        dossier = session.execute(select(Dossier).where(Dossier.number == number)).scalar_one_or_none()
        if dossier is None:
            continue
        side = sender_side(session, dossier, mail.from_address)
        if side != "unknown":
            return DossierMatch(dossier, "number", side, trusted=True)
        suggestion = suggestion or DossierMatch(dossier, "number", side, trusted=False)
    return suggestion


def _by_content(
    session: Session, inbound: InboundMessage, mail: ParsedMail, extraction: Extraction | None
) -> DossierMatch | None:
    client = known_client(session, mail.from_address)
    if client is None:
        return None
    client_dossiers = select(Dossier.id).where(Dossier.client_id == client.id)

    same_bytes = session.execute(
        select(InboundMessage.dossier_id).where(
            InboundMessage.raw_sha256 == inbound.raw_sha256,
            InboundMessage.id != inbound.id,
            InboundMessage.dossier_id.in_(client_dossiers),
        )
    ).first()
    if same_bytes is not None:
        return _content_match(session, same_bytes[0])

    # Only invoices count: a client sends the same general terms with every claim.
    invoice_parts = {info.attachment_index for info in (extraction.documents if extraction else ()) if info.kind in ("invoice", "einvoice")}
    hashes = [attachment.sha256 for attachment in mail.attachments if attachment.index in invoice_parts]
    if hashes:
        forwarded = session.execute(
            select(Document.dossier_id).where(
                Document.sha256.in_(hashes),
                Document.kind.in_(("invoice", "einvoice")),
                Document.dossier_id.in_(client_dossiers),
            )
        ).first()
        if forwarded is not None:
            return _content_match(session, forwarded[0])

    numbers = {invoice.number.value for invoice in (extraction.invoices if extraction else ()) if invoice.number.trusted}
    text = f"{mail.subject}\n{mail.text_body}"
    claims = session.execute(
        select(Claim.invoice_number, Claim.dossier_id).where(Claim.dossier_id.in_(client_dossiers))
    ).all()
    for invoice_number, dossier_id in claims:
        if invoice_number in numbers:
            return _content_match(session, dossier_id)
    for invoice_number, dossier_id in claims:
        if _mentions(text, invoice_number):
            return _content_match(session, dossier_id, duplicate=False)
    return None


def _content_match(session: Session, dossier_id: int, duplicate: bool = True) -> DossierMatch | None:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        return None
    return DossierMatch(dossier, "content", "client", trusted=True, duplicate=duplicate)


def _mentions(text: str, invoice_number: str) -> bool:
    if len(invoice_number) < 4 or invoice_number.startswith("onbekend-"):
        return False
    return re.search(rf"(?<![\w-]){re.escape(invoice_number)}(?![\w-])", text) is not None
