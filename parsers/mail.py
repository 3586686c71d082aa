"""Parse step of intake: one raw message to headers, text bodies and decoded attachments.

The MIME tree is walked with the standard library parser in its `compat32` policy,
which accepts any bytes, and every part is decoded here rather than by
`get_payload(decode=True)` or mail-parser. mail-parser 4.8 decodes through the same
standard-library calls and so keeps their faults: a base64 body with padding in the
middle comes out truncated, an unknown charset label turns letters into U+FFFD, and
binary attachments come back as base64 text.
"""

from __future__ import annotations

import email
import email.header
import logging
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from html.parser import HTMLParser

from parsers.mime_decode import decode_base64, decode_header_value, decode_text
from parsers.model import Attachment, ParsedMail, Problem

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

# Parts nested deeper than this are not walked; real mail seldom nests more than 5 deep.
MAX_DEPTH = 20

# Characters of plain text and of HTML kept per message. Everything after is cut off
# with a `body_truncated` problem: a claim fits in a few KiB, and the text and HTML
# readers downstream must not run over megabytes that a hostile sender controls.
MAX_TEXT_BODY_CHARS = 1_000_000
MAX_HTML_BODY_CHARS = 1_000_000

# Maximum length of an attachment name, in characters. Longer names are cut but keep their extension.
MAX_FILENAME_CHARS = 200

_BODY_TYPES = ("text/plain", "text/html")


def parse_message(raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES) -> ParsedMail:
    """Parse one raw RFC 5322 message into headers, bodies and decoded attachments.

    Anything that could not be read cleanly becomes a Problem on the mail or on the
    attachment concerned. Attachments larger than `max_attachment_bytes` are kept and
    flagged `attachment_too_large`.
    """
    try:
        message = email.message_from_bytes(raw, policy=compat32)
    except RecursionError:
        # The standard library parser recurses once per nested multipart, so a few hundred
        # levels exhaust the stack. The headers alone still name the sender.
        logger.warning("message nested too deeply to parse; headers only")
        return _headers_only(raw)
    except (TypeError, ValueError, IndexError, LookupError) as error:
        logger.warning("message could not be parsed: %s", type(error).__name__)
        return _unparseable(str(type(error).__name__))

    walker = _Walker(max_attachment_bytes)
    try:
        walker.walk(message, depth=0, parent_index=None)
    except RecursionError:
        walker.problems.append(
            Problem("mime_too_deep", "De mail is te diep genest om volledig te lezen", source="mime")
        )

    headers = _collect_headers(message)
    problems = list(walker.problems)
    try:
        problems.extend(_defect_problems(message))
    except RecursionError:
        problems.append(Problem("mime_too_deep", "De mail is te diep genest om volledig te lezen", source="mime"))

    from_name, from_address, sender_problems = _sender(message)
    problems.extend(sender_problems)
    reply_to = _single_address(message, "reply-to")

    text_body = _bounded("\n".join(walker.text_bodies), MAX_TEXT_BODY_CHARS, "body:text", problems)
    html_body = _bounded("\n".join(walker.html_bodies), MAX_HTML_BODY_CHARS, "body:html", problems)
    if not text_body.strip() and html_body:
        text_body = html_to_text(html_body)

    return ParsedMail(
        message_id=headers.get("message-id", "").strip(),
        from_address=from_address,
        from_name=from_name,
        to_addresses=tuple(address for _, address in _all_addresses(message, "to")),
        reply_to=reply_to,
        subject=headers.get("subject", ""),
        date_header=headers.get("date", ""),
        in_reply_to=_first_message_id(headers.get("in-reply-to", "")),
        references=tuple(re.findall(r"<[^<>\s]+>", headers.get("references", ""))),
        headers=headers,
        text_body=text_body,
        html_body=html_body,
        attachments=tuple(_mark_inline_images(walker.attachments, html_body)),
        problems=tuple(_unique(problems)),
    )


@dataclass
class _Walker:
    max_attachment_bytes: int
    text_bodies: list[str] = field(default_factory=list)
    html_bodies: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def walk(self, part: Message, depth: int, parent_index: int | None) -> None:
        if depth > MAX_DEPTH:
            self.problems.append(Problem("mime_too_deep", "De mail is te diep genest om volledig te lezen", source="mime"))
            return

        content_type = part.get_content_type()
        if content_type in ("message/rfc822", "message/global") and part.is_multipart():
            self._add_forwarded(part, depth, parent_index)
            return
        if content_type.startswith("message/") and part.is_multipart():
            self._add_report(part, content_type, parent_index)
            return
        if content_type.startswith("multipart/") and not part.is_multipart():
            # A multipart header without a usable boundary: the body is plain text.
            content_type = "text/plain"
        if part.is_multipart():
            children = part.get_payload()
            if isinstance(children, list):
                for child in children:
                    if isinstance(child, Message):
                        self.walk(child, depth + 1, parent_index)
            return

        if parent_index is None and self._is_body(part, content_type):
            self._add_body(part, content_type)
            return
        if parent_index is not None and self._is_body(part, content_type):
            return  # the text of a forwarded message stays inside its .eml attachment
        self._add_attachment(part, content_type, parent_index)

    @staticmethod
    def _is_body(part: Message, content_type: str) -> bool:
        if content_type not in _BODY_TYPES:
            return False
        disposition = (part.get_content_disposition() or "").lower()
        return disposition != "attachment" and not part.get_filename()

    def _add_body(self, part: Message, content_type: str) -> None:
        data, _ = _part_bytes(part)
        decoded = decode_text(data, part.get_content_charset())
        if decoded.fell_back:
            self.problems.append(
                Problem(
                    "charset_fallback",
                    f"Tekensoort '{part.get_param('charset')}' onbekend of onjuist; gelezen als {decoded.codec}",
                    source="body",
                    blocking=False,  # the text was decoded; the values read from it carry their own confidence
                )
            )
        target = self.text_bodies if content_type == "text/plain" else self.html_bodies
        # NUL characters carry no text, and PostgreSQL rejects them in text and JSON columns.
        target.append(decoded.text.replace("\r\n", "\n").replace("\x00", ""))

    def _add_forwarded(self, part: Message, depth: int, parent_index: int | None) -> None:
        index = len(self.attachments)
        inner = part.get_payload()
        inner_message = inner[0] if isinstance(inner, list) and inner and isinstance(inner[0], Message) else None
        payload = b""
        if inner_message is not None:
            try:
                payload = inner_message.as_bytes()
            except (UnicodeError, LookupError, ValueError, TypeError):
                payload = b""
        subject = decode_header_value(inner_message.get("subject", "")) if inner_message is not None else ""
        name = _clean_filename(_filename(part)) or (_clean_filename(subject)[:80] + ".eml" if subject else f"doorgestuurd-{index}.eml")
        problems = () if payload else (
            Problem("attachment_unreadable", "Doorgestuurde mail kon niet gelezen worden", source=f"attachment[{index}]"),
        )
        self.attachments.append(
            Attachment(
                index=index,
                filename=name,
                content_type="message/rfc822",
                payload=payload,
                disposition=(part.get_content_disposition() or ""),
                problems=problems,
                parent_index=parent_index,
            )
        )
        if inner_message is not None:
            self.walk(inner_message, depth + 1, index)

    def _add_report(self, part: Message, content_type: str, parent_index: int | None) -> None:
        """Keep a delivery or read report (message/delivery-status and the like) as one attachment."""
        index = len(self.attachments)
        blocks = part.get_payload()
        payload = b""
        if isinstance(blocks, list):
            try:
                payload = b"\n".join(block.as_bytes() for block in blocks if isinstance(block, Message))
            except (UnicodeError, LookupError, ValueError, TypeError):
                payload = b""
        subtype = content_type.partition("/")[2]
        self.attachments.append(
            Attachment(index=index, filename=f"{subtype}-{index}.txt", content_type=content_type, payload=payload, parent_index=parent_index)
        )

    def _add_attachment(self, part: Message, content_type: str, parent_index: int | None) -> None:
        index = len(self.attachments)
        source = f"attachment[{index}]"
        payload, complete = _part_bytes(part)
        problems: list[Problem] = []

        filename = _clean_filename(_filename(part))
        content_type = _effective_content_type(content_type, filename, payload)
        if not filename:
            filename = f"bijlage-{index}{mimetypes.guess_extension(content_type) or '.bin'}"

        if not complete or (content_type == "application/pdf" and not _pdf_looks_complete(payload)):
            problems.append(
                Problem(
                    "attachment_truncated",
                    f"Bijlage '{filename}' is niet volledig ontvangen of beschadigd; vraag de cliënt haar opnieuw te sturen",
                    source=source,
                )
            )
        if len(payload) > self.max_attachment_bytes:
            problems.append(
                Problem(
                    "attachment_too_large",
                    f"Bijlage '{filename}' is groter dan {self.max_attachment_bytes // (1024 * 1024)} MiB en is niet gelezen",
                    source=source,
                )
            )

        content_id = str(part.get("content-id", "") or "").strip()
        self.attachments.append(
            Attachment(
                index=index,
                filename=filename,
                content_type=content_type,
                payload=payload,
                disposition=(part.get_content_disposition() or ""),
                content_id=content_id,
                problems=tuple(problems),
                parent_index=parent_index,
            )
        )


def _part_bytes(part: Message) -> tuple[bytes, bool]:
    """Return the decoded bytes of a leaf part and whether they are complete."""
    encoding = str(part.get("content-transfer-encoding", "") or "").strip().lower()
    if encoding == "base64":
        body = part.get_payload(decode=False)
        if isinstance(body, list):
            return b"", False
        raw = body.encode("ascii", errors="surrogateescape") if isinstance(body, str) else bytes(body)
        result = decode_base64(raw)
        return result.data, result.complete

    decoded = part.get_payload(decode=True)
    if isinstance(decoded, bytes):
        return decoded, True
    return b"", True


def _filename(part: Message) -> str:
    name = part.get_filename() or part.get_param("name") or ""
    if isinstance(name, tuple):  # an RFC 2231 value that compat32 did not collapse
        name = email.utils.collapse_rfc2231_value(name)
    if "\ufffd" in name:
        # compat32 turns raw 8-bit header bytes into U+FFFD; read the raw header instead.
        name = _raw_param(part, "content-disposition", "filename") or _raw_param(part, "content-type", "name") or name
    return decode_header_value(name)


def _raw_param(part: Message, header: str, param: str) -> str:
    for name, value in part.raw_items():
        if name.lower() != header:
            continue
        text = str(value)
        if any("\udc80" <= char <= "\udcff" for char in text):
            text = decode_text(text.encode("ascii", errors="surrogateescape"), "utf-8").text
        match = re.search(rf'(?i)(?:^|;)\s*{param}\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))', text)
        if match:
            return match.group(1) if match.group(1) is not None else match.group(2)
    return ""


def _clean_filename(name: str) -> str:
    """Strip folding, control and bidirectional format characters and any directory part from an attachment name.

    Format characters (Unicode category Cf, such as U+202E RIGHT-TO-LEFT OVERRIDE) would let
    "Factuur\u202efdp.exe" show as "Factuurexe.pdf". Names longer than MAX_FILENAME_CHARS
    are cut, keeping a short extension.
    """
    cleaned = "".join(char for char in name.replace("\t", " ") if not _is_hidden_char(char))
    cleaned = re.split(r"[\\/]", cleaned)[-1]
    if not cleaned.strip(". "):
        return ""
    cleaned = re.sub(r" {2,}", " ", cleaned).strip().strip(".").strip()
    if len(cleaned) > MAX_FILENAME_CHARS:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            cleaned = stem[: MAX_FILENAME_CHARS - len(extension) - 1].rstrip() + "." + extension
        else:
            cleaned = cleaned[:MAX_FILENAME_CHARS].rstrip()
    return cleaned


def _is_hidden_char(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def _effective_content_type(declared: str, filename: str, payload: bytes) -> str:
    """Return the content type, trusting the bytes over a generic or wrong declaration."""
    if payload.startswith(b"%PDF-") or payload[:1024].lstrip().startswith(b"%PDF-"):
        return "application/pdf"
    generic = declared in ("application/octet-stream", "application/x-download", "application/download", "binary/octet-stream", "text/plain")
    if generic and filename:
        guessed, _ = mimetypes.guess_type(filename)
        if guessed and not (declared == "text/plain" and not guessed.startswith(("application/pdf", "application/xml", "text/xml"))):
            return guessed
    return declared


def _pdf_looks_complete(payload: bytes) -> bool:
    return b"%%EOF" in payload[-2048:]


def _mark_inline_images(attachments: list[Attachment], html_body: str) -> list[Attachment]:
    """Mark images shown inside the HTML body (logos, signatures) as not being documents."""
    marked: list[Attachment] = []
    referenced = {match.lower() for match in re.findall(r"cid:([^\"'>\s]+)", html_body)}
    for attachment in attachments:
        content_id = attachment.content_id.strip("<>").lower()
        if attachment.content_type.startswith("image/") and content_id and attachment.disposition != "attachment":
            reason = "inline afbeelding in de HTML-tekst" if content_id in referenced else "inline afbeelding met Content-ID"
            attachment = _replace(attachment, ignore_reason=reason)
        marked.append(attachment)
    return marked


def _replace(attachment: Attachment, **changes: object) -> Attachment:
    from dataclasses import replace

    return replace(attachment, **changes)


def _collect_headers(message: Message) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in message.items():
        key = name.strip().lower()
        if key in headers:
            continue
        headers[key] = decode_header_value(value)
    return headers


def _sender(message: Message) -> tuple[str, str, list[Problem]]:
    """Return the display name and address of From, and a problem when it is missing or ambiguous.

    Addresses are parsed from the raw header, before RFC 2047 decoding: a display name
    "=?utf-8?q?piet=40klant=2Enl?=" decodes to an address and must not become one. A
    From with several addresses, or several From headers, is a known way to make the
    checked sender (DMARC) differ from the shown one. The address in angle brackets is
    taken, as mail servers do, and the mail gets a blocking `from_ambiguous` problem.
    """
    values = message.get_all("from", [])
    if not values:
        return "", "", [Problem("from_missing", "Afzender (From) ontbreekt of is onleesbaar", field="from", source="header:From")]

    problems: list[Problem] = []
    pairs = _raw_addresses(values[0])
    ambiguous = len(values) > 1 or len({address for _, address in pairs}) > 1
    if not pairs:
        return "", "", [Problem("from_missing", "Afzender (From) ontbreekt of is onleesbaar", field="from", source="header:From")]
    name, address = pairs[0]
    if len(pairs) > 1:
        bracketed = re.findall(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>", _raw_header_text(values[0]))
        if len(bracketed) == 1:
            address = bracketed[0].lower()
            name = next((pair_name for pair_name, pair_address in pairs if pair_address == address), "")
    if ambiguous:
        problems.append(
            Problem(
                "from_ambiguous",
                "De afzender is dubbelzinnig (meer dan één adres of From-regel); controleer wie de mail echt stuurde",
                field="from",
                source="header:From",
            )
        )
    return decode_header_value(name).strip(), address, problems


def _single_address(message: Message, header: str) -> str:
    value = message.get(header)
    if value is None:
        return ""
    pairs = _raw_addresses(value)
    return pairs[0][1] if pairs else ""


def _raw_addresses(value: object) -> list[tuple[str, str]]:
    """Return (raw display name, lower-case address) pairs of one address header, undecoded."""
    text = _raw_header_text(value)
    pairs = []
    for name, address in getaddresses([text]):
        address = address.strip().lower()
        if "@" in address and " " not in address and not address.startswith("@") and not address.endswith("@"):
            pairs.append((name, address))
    return pairs


def _raw_header_text(value: object) -> str:
    """Return a header value unfolded, with raw 8-bit bytes decoded but RFC 2047 words kept."""
    if isinstance(value, email.header.Header):
        value = str(value)
    text = str(value or "")
    if any("\udc80" <= char <= "\udcff" for char in text):
        text = decode_text(text.encode("ascii", errors="surrogateescape"), "utf-8").text
    return re.sub(r"\r?\n[ \t]*", " ", text).replace("\x00", "").strip()


def _all_addresses(message: Message, header: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for value in message.get_all(header, []):
        pairs.extend((decode_header_value(name), address) for name, address in _raw_addresses(value))
    return pairs


def _first_message_id(value: str) -> str:
    match = re.search(r"<[^<>\s]+>", value)
    return match.group(0) if match else value.strip()


def _defect_problems(message: Message) -> list[Problem]:
    names: set[str] = set()
    for part in message.walk():
        for defect in getattr(part, "defects", []) or []:
            names.add(type(defect).__name__)
    if not names:
        return []
    return [
        Problem(
            "mime_defect",
            "De opbouw van de mail is onjuist (" + ", ".join(sorted(names)) + "); controleer of alle bijlagen er zijn",
            source="mime",
        )
    ]


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str, str]] = set()
    unique: list[Problem] = []
    for problem in problems:
        key = (problem.code, problem.source, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def _bounded(text: str, limit: int, source: str, problems: list[Problem]) -> str:
    if len(text) <= limit:
        return text
    problems.append(
        Problem(
            "body_truncated",
            f"De tekst van de mail is te lang; alleen de eerste {limit:,} tekens zijn gelezen".replace(",", "."),
            source=source,
        )
    )
    return text[:limit]


def _headers_only(raw: bytes) -> ParsedMail:
    """Return a mail with the headers of `raw` and no parts, for a MIME tree that could not be parsed."""
    try:
        message = BytesHeaderParser(policy=compat32).parsebytes(raw)
    except (TypeError, ValueError, IndexError, LookupError, RecursionError):
        return _unparseable("RecursionError")
    headers = _collect_headers(message)
    from_name, from_address, problems = _sender(message)
    problems.insert(0, Problem("mime_too_deep", "De mail is te diep genest om te lezen; alleen de kopregels zijn gelezen", source="mime"))
    return ParsedMail(
        message_id=headers.get("message-id", "").strip(),
        from_address=from_address,
        from_name=from_name,
        to_addresses=tuple(address for _, address in _all_addresses(message, "to")),
        reply_to=_single_address(message, "reply-to"),
        subject=headers.get("subject", ""),
        date_header=headers.get("date", ""),
        in_reply_to=_first_message_id(headers.get("in-reply-to", "")),
        references=tuple(re.findall(r"<[^<>\s]+>", headers.get("references", ""))),
        headers=headers,
        text_body="",
        html_body="",
        attachments=(),
        problems=tuple(problems),
    )


def _unparseable(reason: str) -> ParsedMail:
    return ParsedMail(
        message_id="",
        from_address="",
        from_name="",
        to_addresses=(),
        reply_to="",
        subject="",
        date_header="",
        in_reply_to="",
        references=(),
        headers={},
        text_body="",
        html_body="",
        attachments=(),
        problems=(Problem("mail_unparseable", f"De mail kon niet gelezen worden ({reason})", source="mime"),),
    )


class _TextExtractor(HTMLParser):
    _BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BLOCK_TAGS:
            self.pieces.append("\n")
        elif tag in ("td", "th"):
            self.pieces.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1
        elif tag in self._BLOCK_TAGS:
            self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.pieces.append(data)


# A "<" that no ">" closes before the next "<" or the end of the text.
_UNCLOSED_TAG = re.compile(r"<(?=[^<>]*(?:<|$))")


def html_to_text(html: str) -> str:
    """Return the visible text of an HTML body, one block element per line.

    Every "<" that is not closed by ">" before the next "<" is escaped first. The
    standard library HTMLParser (CPython 3.11.7) rescans to the end of the input for
    each unclosed tag start, so 100 KB of "<a" took over 6 s.
    """
    extractor = _TextExtractor()
    try:
        extractor.feed(_UNCLOSED_TAG.sub("&lt;", html))
        extractor.close()
    except (AssertionError, ValueError):
        return re.sub(r"<[^>]+>", " ", html)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(extractor.pieces).splitlines()]
    return "\n".join(line for line in lines if line) + "\n"
