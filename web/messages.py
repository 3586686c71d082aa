"""Inbound messages as the desk shows them: bodies, sanitised HTML and attachments."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session

from dossiers.blobs import get_blob
from dossiers.models import InboundMessage
from parsers.mail import parse_message
from parsers.model import Attachment, ParsedMail
from web.sanitize import sanitise_mail_html

MAX_TEXT_LINES = 2000


@dataclass(frozen=True)
class MessageView:
    inbound: InboundMessage
    mail: ParsedMail
    text_lines: tuple[str, ...]
    safe_html: str  # sanitised; empty when the mail has no HTML part

    @property
    def documents(self) -> tuple[Attachment, ...]:
        return tuple(attachment for attachment in self.mail.attachments if attachment.is_document)

    def attachment(self, index: int) -> Attachment | None:
        return next((item for item in self.mail.attachments if item.index == index), None)

    def pdf_attachments(self) -> tuple[Attachment, ...]:
        return tuple(item for item in self.mail.attachments if item.content_type == "application/pdf")


@lru_cache(maxsize=32)
def _parse(sha256: str, raw: bytes) -> ParsedMail:
    return parse_message(raw)


def load_message(session: Session, inbound: InboundMessage) -> MessageView:
    mail = _parse(inbound.raw_sha256, get_blob(session, inbound.raw_sha256))
    lines = tuple(mail.text_body.splitlines()[:MAX_TEXT_LINES])
    safe_html = sanitise_mail_html(mail.html_body) if mail.html_body.strip() else ""
    return MessageView(inbound, mail, lines, safe_html)
