"""Delivery status notifications (bounces): which address failed, how, and for which mail.

Reads RFC 3464 reports (multipart/report; report-type=delivery-status) and the common
non-standard forms: a plain-text notice from a mailer daemon that quotes the SMTP reply
("550 5.1.1 ...") and attaches or quotes the headers of the original message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.policy import compat32

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_REPLY = re.compile(r"\b([45]\d\d)[ -]+(?:#?([245]\.\d{1,3}\.\d{1,3}))?")
# Anchored at the start of a run and bounded, so a long run of word characters without
# an "@" is scanned once instead of once per start position (which was quadratic).
_ADDRESS = re.compile(r"(?<![\w.+'-])[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_MESSAGE_ID = re.compile(r"^[ \t]*Message-ID:[ \t]*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|has failed|failure)|returned mail|mail delivery failed|"
    r"onbestelbaar|niet afgeleverd|kan niet worden bezorgd|failure notice",
    re.IGNORECASE,
)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)


@dataclass(frozen=True)
class Bounce:
    """A failed or delayed delivery of one of our messages.

    `permanent` is True for a 5.x.x status or an SMTP 5xx reply (the address will not
    work), False for a 4.x.x delay. `original_message_id` is the Message-ID of the mail
    that bounced, when the report carries it.
    """

    recipient: str
    status: str
    permanent: bool
    original_message_id: str
    diagnostic: str


def looks_like_bounce(from_address: str, subject: str, content_type: str) -> bool:
    if "multipart/report" in content_type.lower() and "delivery-status" in content_type.lower():
        return True
    return bool(_BOUNCE_SENDER.match(from_address)) or bool(_BOUNCE_SUBJECT.search(subject))


# Characters of report text searched for status codes and addresses. A real delivery
# report is a few KiB, and the searches must stay bounded on a hostile "report".
MAX_REPORT_CHARS = 200_000


def parse_bounce(raw: bytes) -> Bounce | None:
    """Return the bounce in `raw`, or None when it is not a delivery report or cannot be parsed."""
    try:
        return _parse(raw)
    except RecursionError:
        # A MIME tree nested a few hundred levels deep exhausts the standard library parser.
        return None


def _parse(raw: bytes) -> Bounce | None:
    message = message_from_bytes(raw, policy=compat32)
    report = _delivery_status(message)
    original_id = _original_message_id(message)
    if report is not None:
        recipient, status, diagnostic, action = report
        permanent = status.startswith("5") or action == "failed"
        if status.startswith("4") or action == "delayed":
            permanent = False
        return Bounce(recipient, status, permanent, original_id, diagnostic[:500])
    return _from_text(message, original_id)


def _delivery_status(message: Message) -> tuple[str, str, str, str] | None:
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        text = _part_text(part)
        fields: dict[str, str] = {}
        for line in re.split(r"\r?\n", text):
            if ":" in line and not line.startswith((" ", "\t")):
                name, _, value = line.partition(":")
                fields.setdefault(name.strip().lower(), value.strip())
        recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
        recipient = recipient.split(";", 1)[-1].strip().strip("<>").lower()
        status = fields.get("status", "")
        status_match = _STATUS.search(status)
        diagnostic = fields.get("diagnostic-code", "").split(";", 1)[-1].strip()
        action = fields.get("action", "").lower()
        if recipient or status_match:
            return recipient, status_match.group(0) if status_match else "", diagnostic, action
    return None


def _from_text(message: Message, original_id: str) -> Bounce | None:
    text = "\n".join(_part_text(part) for part in message.walk() if part.get_content_maintype() == "text")[:MAX_REPORT_CHARS]
    reply = _SMTP_REPLY.search(text)
    status_match = _STATUS.search(text)
    if reply is None and status_match is None:
        return None
    status = status_match.group(0) if status_match else f"{reply.group(1)[0]}.0.0"  # type: ignore[union-attr]
    recipients = [address.lower() for address in _ADDRESS.findall(text) if not _BOUNCE_SENDER.match(address)]
    recipient = recipients[0] if recipients else ""
    line = text[reply.start() : text.find("\n", reply.start())] if reply else ""
    return Bounce(recipient, status, status.startswith("5"), original_id, line.strip()[:500])


def _original_message_id(message: Message) -> str:
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/rfc822-headers", "text/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                found = payload[0].get("Message-ID", "")
                if found:
                    return str(found).strip()
            match = _MESSAGE_ID.search(_part_text(part))
            if match:
                return match.group(1)
    match = _MESSAGE_ID.search("\n".join(_part_text(part) for part in message.walk() if part.get_content_maintype() == "text")[:MAX_REPORT_CHARS])
    return match.group(1) if match else ""


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload[:MAX_REPORT_CHARS].decode("utf-8", errors="replace")
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw[:MAX_REPORT_CHARS]
    if isinstance(raw, list):
        return "\n".join(str(item) for item in raw)[:MAX_REPORT_CHARS]
    return ""
