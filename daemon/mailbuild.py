"""Build outgoing RFC 5322 messages: our Message-IDs and the anti-loop headers."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from dossiers.intake_rules import LOOP_HEADER


def build_mail(
    *,
    sender_name: str,
    sender_address: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    moment: datetime,
    in_reply_to: str = "",
    references: tuple[str, ...] = (),
    auto_submitted: str = "auto-replied",
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    """Build a UTF-8 message with CRLF line ends; `attachments` are (filename, MIME type, data)."""
    message = EmailMessage()
    message["From"] = formataddr((sender_name, sender_address))
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(moment)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = " ".join((*references, in_reply_to)[-10:])
    message["Auto-Submitted"] = auto_submitted
    message["X-Auto-Response-Suppress"] = "All"
    message[LOOP_HEADER] = sender_address
    message.set_content(body)
    for filename, mime_type, data in attachments:
        maintype, subtype = mime_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    # CRLF line ends as SMTP requires (RFC 5321 section 2.3.8); many servers reject bare LF.
    return message.as_bytes(policy=SMTP)
