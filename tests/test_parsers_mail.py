"""Parsing raw messages: names, bodies, attachments and headers, including broken mail."""

from __future__ import annotations

import base64
import hashlib
import json
from email.message import EmailMessage

import pytest

from parsers.mail import parse_message
from parsers.mime_decode import decode_base64, decode_text, lookup_charset
from tests.shared_paths import SHARED, requires_shared

CASES = SHARED / "cases"
CORPUS_EMAILS = SHARED / "corpus" / "emails"

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _expected(case: str) -> dict:
    return json.loads((CASES / f"{case}.expected.json").read_text(encoding="utf-8"))


def _case_bytes(prefix: str) -> bytes:
    matches = sorted(CASES.glob(f"{prefix}-*.eml"))
    assert matches, f"no {prefix} input found in {CASES}"
    return matches[0].read_bytes()


# --- the failure cases ----------------------------------------------------------------


@pytest.mark.corpus
@requires_shared()
def test_filename_folded_encoded_words() -> None:
    expected = _expected("case01")["attachments"][0]
    mail = parse_message(_case_bytes("case01"))
    assert len(mail.attachments) == 1
    attachment = mail.attachments[0]
    assert attachment.filename == "Factuur 2024-0101 Café De Zwaan herinnering.pdf"
    assert attachment.filename == expected["filename"]
    assert attachment.content_type == "application/pdf"
    assert attachment.size == expected["size"]
    assert attachment.sha256 == expected["sha256"]
    assert mail.subject == "Incasso-opdracht factuur 2024-0101 Café De Zwaan"


@pytest.mark.corpus
@requires_shared()
def test_inline_pdf_and_logo() -> None:
    expected = _expected("case02")
    mail = parse_message(_case_bytes("case02"))
    by_name = {attachment.filename: attachment for attachment in mail.attachments}
    pdf = by_name["Factuur_2024-0202.pdf"]
    assert pdf.content_type == "application/pdf"
    assert pdf.is_document
    assert pdf.sha256 == expected["attachments"][0]["sha256"]
    logo = by_name["logo.png"]
    assert logo.content_type == "image/png"
    assert not logo.is_document
    assert logo.content_id == "<logo-hoekstra@example.nl>"
    assert "Bijgaand factuur 2024-0202" in mail.text_body
    assert "<html>" in mail.html_body


@pytest.mark.corpus
@requires_shared()
def test_base64_internal_padding() -> None:
    expected = _expected("case04")["attachments"][0]
    mail = parse_message(_case_bytes("case04"))
    attachment = mail.attachments[0]
    assert attachment.size == 2399
    assert attachment.sha256 == expected["sha256"]
    assert attachment.payload.rstrip().endswith(b"%%EOF")
    assert attachment.problems == ()


@pytest.mark.corpus
@requires_shared()
def test_unknown_charset_label_body() -> None:
    mail = parse_message(_case_bytes("case07"))
    assert "Debiteur: Anaïs Hoëvenaars" in mail.text_body
    assert "€ 1.250,00" in mail.text_body
    assert "\ufffd" not in mail.text_body
    assert "\x80" not in mail.text_body
    assert [problem.code for problem in mail.problems] == ["charset_fallback"]
    assert mail.subject == "Nieuwe opdracht: Anaïs Hoëvenaars € 1.250,00"
    assert mail.attachments == ()


@pytest.mark.corpus
@requires_shared()
def test_auto_reply_headers() -> None:
    mail = parse_message(_case_bytes("case08"))
    assert mail.headers["auto-submitted"] == "auto-generated"
    assert mail.headers["x-auto-response-suppress"] == "All"
    assert "x-ms-exchange-inbox-rules-loop" in mail.headers
    assert mail.in_reply_to == "<dossier-2024-000123.confirm.1@example.com>"
    assert mail.references == (
        "<a1f3c2e0-0101-4c1e-9a7e-hoekstra@example.nl>",
        "<dossier-2024-000123.confirm.1@example.com>",
    )


@pytest.mark.corpus
@requires_shared()
def test_headers_decoded() -> None:
    mail = parse_message(_case_bytes("case01"))
    assert mail.from_address == "administratie@example.nl"
    assert mail.from_name == "Sanne Hoekstra"
    assert mail.message_id == "<a1f3c2e0-0101-4c1e-9a7e-hoekstra@example.nl>"
    assert mail.to_addresses == ("info@example.com",)
    assert mail.headers["return-path"] == "<administratie@example.nl>"


@pytest.mark.corpus
@requires_shared()
def test_corpus_mails_parse_without_exception() -> None:
    paths = sorted(CORPUS_EMAILS.glob("*.eml"))
    assert len(paths) > 40
    with_problems = 0
    for path in paths:
        mail = parse_message(path.read_bytes())
        assert isinstance(mail.text_body, str), path.name
        for attachment in mail.attachments:
            assert "\n" not in attachment.filename, path.name
            assert "=?" not in attachment.filename, path.name
        with_problems += bool(mail.problems)
    assert with_problems >= 5  # the malformed samples must be reported, not passed silently


@pytest.mark.corpus
@requires_shared()
def test_corpus_forwarded_message_pdf() -> None:
    mail = parse_message((CORPUS_EMAILS / "mikelmail_attachment_message_rfc822.eml").read_bytes())
    forwarded = [a for a in mail.attachments if a.content_type == "message/rfc822"]
    assert len(forwarded) == 1
    inner_pdfs = [a for a in mail.attachments if a.content_type == "application/pdf"]
    assert [pdf.filename for pdf in inner_pdfs] == ["broken.pdf"]
    assert inner_pdfs[0].parent_index == forwarded[0].index


@pytest.mark.corpus
@requires_shared()
def test_corpus_raw_8bit_filename() -> None:
    mail = parse_message((CORPUS_EMAILS / "mikelmail_attachment_nonascii_filename.eml").read_bytes())
    assert [a.filename for a in mail.attachments] == ["ciële.txt"]


# --- generated neighbours of the cases ------------------------------------------------


def _mail_with_pdf(pdf: bytes, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.get("from", "Jan Jansen <Jan@Example.NL>")
    message["To"] = "info@example.com"
    message["Subject"] = headers.get("subject", "Factuur")
    message["Message-ID"] = "<abc@example.nl>"
    message.set_content("Zie bijlage.")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="factuur.pdf")
    return message


def test_from_address_lower_cased() -> None:
    mail = parse_message(_mail_with_pdf(MINIMAL_PDF).as_bytes())
    assert mail.from_address == "jan@example.nl"
    assert mail.from_name == "Jan Jansen"
    assert mail.attachments[0].payload == MINIMAL_PDF


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"=?ISO-8859-1?Q?Factuur_Caf=E9?=\r\n =?ISO-8859-1?Q?_De_Zwaan.pdf?="', "Factuur Café De Zwaan.pdf"),
        ('"=?UTF-8?B?RmFjdHV1ciDDq8Ovw6kucGRm?="', "Factuur ëïé.pdf"),
        ("UTF-8''Factuur%20%C3%A9.pdf", "Factuur é.pdf"),
    ],
)
def test_encoded_filename_variants(header: str, expected: str) -> None:
    parameter = "filename*" if header.startswith("UTF-8''") else "filename"
    raw = (
        "From: a@example.nl\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nhoi\r\n"
        f"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; {parameter}={header}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(MINIMAL_PDF).decode()
        + "--b--\r\n"
    ).encode()
    mail = parse_message(raw)
    assert mail.attachments[0].filename == expected
    assert mail.attachments[0].content_type == "application/pdf"


def test_truncated_base64_flagged() -> None:
    body = base64.b64encode(MINIMAL_PDF).decode()[:-5]  # cut inside a quantum
    raw = (
        "From: a@example.nl\r\nMIME-Version: 1.0\r\nContent-Type: application/pdf; name=f.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + body + "\r\n"
    ).encode()
    mail = parse_message(raw)
    codes = [problem.code for problem in mail.attachments[0].problems]
    assert codes == ["attachment_truncated"]


def test_pdf_without_eof_flagged() -> None:
    stub = MINIMAL_PDF[:60]
    mail = parse_message(_mail_with_pdf(stub).as_bytes())
    assert [problem.code for problem in mail.attachments[0].problems] == ["attachment_truncated"]


def test_attachment_too_large_kept_and_flagged() -> None:
    big = MINIMAL_PDF + b"%" + b"x" * 2048 + b"\n%%EOF\n"
    mail = parse_message(_mail_with_pdf(big).as_bytes(), max_attachment_bytes=1024)
    attachment = mail.attachments[0]
    assert attachment.payload == big
    assert [problem.code for problem in attachment.problems] == ["attachment_too_large"]


def test_nested_forward_exposes_pdf() -> None:
    inner = _mail_with_pdf(MINIMAL_PDF, subject="Factuur 77")
    outer = EmailMessage()
    outer["From"] = "klant@example.nl"
    outer["Subject"] = "Fwd: Factuur 77"
    outer.set_content("Doorgestuurd.")
    outer.add_attachment(inner)
    mail = parse_message(outer.as_bytes())
    kinds = [(attachment.content_type, attachment.parent_index) for attachment in mail.attachments]
    assert kinds == [("message/rfc822", None), ("application/pdf", 0)]
    assert mail.attachments[1].payload == MINIMAL_PDF
    assert mail.text_body.strip() == "Doorgestuurd."


def test_html_only_body_gives_text() -> None:
    raw = (
        "From: a@example.nl\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<html><body><p>Factuurnummer: 12</p><p>Bedrag &euro; 5,00</p></body></html>"
    ).encode()
    mail = parse_message(raw)
    assert mail.text_body.splitlines() == ["Factuurnummer: 12", "Bedrag € 5,00"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b"From: \r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary at all",
        b"Content-Type: text/plain; charset=\"no-such-charset\"\r\n\r\n\xe9t\xe9",
    ],
)
def test_bad_input_never_raises(raw: bytes) -> None:
    mail = parse_message(raw)
    assert mail.problems  # at least a missing sender or a MIME defect is reported


def test_unknown_charset_latin_body() -> None:
    raw = b"From: a@example.nl\r\nContent-Type: text/plain; charset=\"no-such-charset\"\r\n\r\n\xe9t\xe9 \x80 5"
    mail = parse_message(raw)
    assert mail.text_body == "été € 5"
    assert "charset_fallback" in [problem.code for problem in mail.problems]


@pytest.mark.parametrize(
    ("label", "codec"),
    [("cp-1252", "cp1252"), ("Windows-1252", "cp1252"), ('"utf8"', "utf-8"), ("ISO_8859-1", "latin-1"), ("x-nonsense", None)],
)
def test_lookup_charset_aliases(label: str, codec: str | None) -> None:
    found = lookup_charset(label)
    assert (found and found.replace("iso8859-1", "latin-1")) == codec


def test_decode_text_utf8_before_cp1252() -> None:
    decoded = decode_text("café".encode(), "bogus")
    assert decoded.text == "café"
    assert decoded.codec == "utf-8"
    assert decoded.fell_back


def test_decode_base64_chunks() -> None:
    data = bytes(range(256)) * 10
    chunks = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    joined = b"".join(base64.b64encode(chunk) for chunk in chunks)
    result = decode_base64(joined)
    assert result.data == data
    assert result.complete
    assert hashlib.sha256(result.data).digest() == hashlib.sha256(data).digest()


def test_decode_base64_ignores_line_breaks() -> None:
    result = decode_base64(base64.encodebytes(b"hello world" * 50))
    assert result.data == b"hello world" * 50
    assert result.complete
