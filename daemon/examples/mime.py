"""Assembly of example mails as MIME bytes with the standard library `email` package.

The output is byte-for-byte reproducible: the Date header comes from the caller and
every multipart boundary is derived from the mail's identity.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from daemon.examples.models import ExampleAttachment

AGENCY_ADDRESS = Address("Alert Incasso", "info", "alertincasso.nl")

# Headers are written unfolded: with the default limit of 78, the `email` package
# (Python 3.11) sometimes folds right after "Subject:", and parsers then read the
# subject with a leading space. 998 is the line limit of RFC 5322. Bodies are encoded
# earlier, under `policy.default`, so quoted-printable and base64 lines stay at 76.
HEADER_POLICY = policy.default.clone(max_line_length=998)


def text_to_html(text: str) -> str:
    """Turn a plain-text body into the simple HTML a mail client sends beside it."""
    paragraphs = [block for block in text.split("\n\n") if block.strip()]
    rendered = "\n".join(
        "<p>" + html.escape(block).replace("\n", "<br>\n") + "</p>" for block in paragraphs
    )
    return (
        '<html><head><meta charset="utf-8"></head>\n'
        '<body style="font-family: Calibri, Arial, sans-serif; font-size: 11pt">\n'
        f"{rendered}\n</body></html>\n"
    )


def build_mime(
    *,
    sender: Address,
    subject: str,
    moment: datetime,
    message_id: str,
    body: str,
    attachments: Sequence[ExampleAttachment] = (),
    boundary_prefix: str,
    with_html: bool = False,
    extra_headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """Build one mail to the agency and return it with LF line endings.

    Text parts are UTF-8 in quoted-printable, PDFs base64 with RFC 2231 file names.
    """
    message = EmailMessage(policy=policy.default)
    message["From"] = sender
    message["To"] = AGENCY_ADDRESS
    message["Subject"] = subject
    message["Date"] = format_datetime(moment)
    message["Message-ID"] = message_id
    for name, value in extra_headers:
        message[name] = value

    message.set_content(body, cte="quoted-printable")
    if with_html:
        message.add_alternative(text_to_html(body), subtype="html", cte="quoted-printable")
    for attachment in attachments:
        message.add_attachment(
            attachment.content,
            maintype="application",
            subtype="pdf",
            filename=attachment.filename,
        )

    multipart_number = 0
    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # the email package repeats it in every subpart
        if part.is_multipart():
            multipart_number += 1
            part.set_boundary(f"{boundary_prefix}.{multipart_number}")
    return message.as_bytes(policy=HEADER_POLICY)
