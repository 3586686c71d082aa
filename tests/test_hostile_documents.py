"""Hostile PDFs, e-invoice XML and implausible values: bounded time and memory, a recorded reason.

All documents are generated here. Time limits are CPU seconds and far above what the
fixed code needs.
"""

from __future__ import annotations

import base64
import time
import zlib
from collections.abc import Callable
from datetime import date

import pypdfium2 as pdfium
import pytest

import parsers.pdf as pdf_module
from parsers.einvoice import einvoice_syntax, read_einvoice
from parsers.extract import MAX_READ_DOCUMENTS, extract_claim, extract_document
from parsers.mail import parse_message
from parsers.ocr import OcrWord
from parsers.pdf import read_pdf

TODAY = date(2026, 12, 4)


def _pdf(objects: list[bytes]) -> bytes:
    """Write numbered objects (the first is the catalog) with a cross-reference table."""
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(output)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    packed = zlib.compress(data, 9)
    return b"<< /Length %d /Filter /FlateDecode %s>>\nstream\n" % (len(packed), extra) + packed + b"\nendstream"


def _page_pdf(content: bytes, *, pages: int = 1, resources: bytes = b"/Font << /F1 5 0 R >>", fifth: bytes = b"") -> bytes:
    kids = b" ".join([b"3 0 R"] * pages)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << " + resources + b" >> /Contents 4 0 R >>",
            _stream(content),
            fifth or b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def _text_objects_pdf(lines: int, *, pages: int = 1) -> bytes:
    """A page with one text object per line, nearly all of them below the page."""
    content = b"BT /F1 2 Tf 2 TL 0 840 Td " + b"(Factuur 1.234,56 01-02-2026 F123) ' " * lines + b"ET"
    return _page_pdf(content, pages=pages)


def _giant_image_pdf(side: int) -> bytes:
    compressor = zlib.compressobj(9)
    row = b"\x00" * side
    image = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>" % (side, side, len(image))
    return _page_pdf(
        b"q 595 0 0 842 0 0 cm /Im1 Do Q",
        resources=b"/XObject << /Im1 5 0 R >>",
        fifth=header + b"\nstream\n" + image + b"\nendstream",
    )


def _cpu_seconds(action: Callable[[], object]) -> float:
    start = time.process_time()
    action()
    return time.process_time() - start


def test_page_with_many_text_objects() -> None:
    data = _text_objects_pdf(100_000)

    seconds = _cpu_seconds(lambda: read_pdf(data, ocr=False))
    document = read_pdf(data, ocr=False)

    assert seconds < 3.0
    assert "pdf_page_too_dense" in document.problem_codes


def test_ten_dense_pages_stop_early() -> None:
    data = _text_objects_pdf(100_000, pages=10)

    seconds = _cpu_seconds(lambda: read_pdf(data, ocr=False))
    document = read_pdf(data, ocr=False)

    assert seconds < 3.0
    assert len(document.pages) == 1
    assert "pdf_pages_skipped" in document.problem_codes


def test_page_character_cap() -> None:
    line = b"(" + b"Factuur 1.234,56 01-02-2026 F123 " * 5 + b") ' "
    data = _page_pdf(b"BT /F1 3 Tf 3 TL 5 838 Td " + line * 278 + b"ET")

    document = read_pdf(data, ocr=False)

    assert "pdf_page_too_dense" in document.problem_codes
    assert sum(len(word.text) for word in document.pages[0].words) <= pdf_module.MAX_PAGE_CHARS


def test_giant_image_not_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    # 30,000 x 30,000 grey pixels: under 1 MB of PDF, about 900 MB once decoded for rendering.
    data = _giant_image_pdf(30_000)
    calls: list[bytes] = []
    monkeypatch.setattr(pdf_module, "ocr_available", lambda: True)
    monkeypatch.setattr(pdf_module, "ocr_png", lambda png, **_: calls.append(png) or [])

    document = read_pdf(data, ocr=True)

    assert calls == []
    assert "pdf_no_text_layer" in document.problem_codes


def test_small_image_still_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _giant_image_pdf(500)
    calls: list[bytes] = []
    monkeypatch.setattr(pdf_module, "ocr_available", lambda: True)
    monkeypatch.setattr(pdf_module, "ocr_png", lambda png, **_: calls.append(png) or [])

    read_pdf(data, ocr=True)

    assert len(calls) == 1


def test_image_pixels_counts_form_xobjects() -> None:
    image = b"<< /Type /XObject /Subtype /Image /Width 9000 /Height 9000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 1 >>\nstream\n\x00\nendstream"
    form = b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /Im1 6 0 R >> >> /Length 9 >>\nstream\n/Im1 Do \nendstream"
    data = _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Fm1 5 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length 8 >>\nstream\n/Fm1 Do\nendstream",
            form,
            image,
        ]
    )
    document = pdfium.PdfDocument(data)
    page = document[0]

    pixels = pdf_module._image_pixels(page)

    page.close()
    document.close()
    assert pixels == 81_000_000


def _scan_mail(count: int) -> bytes:
    empty_page = _page_pdf(b"")
    parts = b"".join(
        b"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"Factuur%d.pdf\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" % index + base64.encodebytes(empty_page) + b"\r\n"
        for index in range(count)
    )
    return (
        b"From: Piet <piet@bakkerij.nl>\r\nSubject: scans\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nZie bijlagen.\r\n" + parts + b"--B--\r\n"
    )


def test_ocr_budget_shared_by_attachments(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []

    def slow_ocr(png: bytes, *, scale: float, timeout_seconds: float) -> list[OcrWord]:
        calls.append(timeout_seconds)
        time.sleep(0.4)
        return []

    monkeypatch.setattr(pdf_module, "ocr_available", lambda: True)
    monkeypatch.setattr(pdf_module, "ocr_png", slow_ocr)
    mail = parse_message(_scan_mail(12))

    started = time.monotonic()
    extract_claim(mail, today=TODAY, ocr_seconds=2.0)
    elapsed = time.monotonic() - started

    assert 1 <= len(calls) <= 4
    assert elapsed < 5.0
    assert all(timeout <= 2.0 for timeout in calls)


def test_too_many_attachments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_module, "ocr_available", lambda: False)
    mail = parse_message(_scan_mail(MAX_READ_DOCUMENTS + 5))

    extraction = extract_claim(mail, today=TODAY)

    skipped = [info for info in extraction.documents if info.reason == "niet gelezen: te veel bijlagen"]
    assert len(skipped) == 5
    assert "too_many_attachments" in {problem.code for problem in extraction.problems}


_UBL = """<?xml version="1.0" encoding="{encoding}"?>
{doctype}<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2">
<cbc:ID>{number}</cbc:ID><cbc:IssueDate>2026-09-01</cbc:IssueDate><cbc:DueDate>2026-10-01</cbc:DueDate>
<cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
<cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>{buyer}</cbc:Name></cac:PartyName>
<cac:PostalAddress><cbc:StreetName>Dorpsweg 5</cbc:StreetName><cbc:CityName>Eindhoven</cbc:CityName>
<cbc:PostalZone>5611 AA</cbc:PostalZone><cac:Country><cbc:IdentificationCode>{country}</cbc:IdentificationCode></cac:Country>
</cac:PostalAddress></cac:Party></cac:AccountingCustomerParty>
<cac:PaymentMeans><cbc:PaymentMeansCode>58</cbc:PaymentMeansCode></cac:PaymentMeans>
<cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">{payable}</cbc:PayableAmount></cac:LegalMonetaryTotal>
</Invoice>"""

_ENTITY_BOMB = (
    '<!DOCTYPE Invoice [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>\n'
)
_EXTERNAL_ENTITY = '<!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'


def _ubl(
    *,
    encoding: str = "UTF-8",
    doctype: str = "",
    number: str = "F2026-0142",
    buyer: str = "Jansen B.V.",
    country: str = "NL",
    currency: str = "EUR",
    payable: str = "1210.00",
) -> bytes:
    text = _UBL.format(encoding=encoding, doctype=doctype, number=number, buyer=buyer, country=country, currency=currency, payable=payable)
    return text.encode(encoding.lower())


def test_ubl_in_utf16_is_read() -> None:
    data = _ubl(encoding="UTF-16")

    extraction = extract_document(data, "factuur.xml", today=TODAY)

    assert einvoice_syntax(data) == "UBL"
    assert extraction.invoices[0].number.value == "F2026-0142"
    assert str(extraction.invoices[0].outstanding.value) == "1210.00"


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16", "UTF-32"])
@pytest.mark.parametrize("doctype", [_ENTITY_BOMB, _EXTERNAL_ENTITY], ids=["entity_bomb", "external_entity"])
def test_doctype_rejected_in_any_encoding(encoding: str, doctype: str) -> None:
    reference = "&d;" if "ENTITY a" in doctype else "&x;"
    data = _ubl(encoding=encoding, doctype=doctype, buyer=reference)

    result = read_einvoice(data, 0, source="attachment[0]")

    assert result.syntax == ""
    assert result.buyer.name.value is None
    assert [problem.code for problem in result.problems] == ["einvoice_unreadable"]


@pytest.mark.parametrize("payable", ["1E+6", "1.210,00", "NaN", "Infinity", "1E+100000000", "12345678901234567890"])
def test_einvoice_amount_not_xsd_decimal(payable: str) -> None:
    result = read_einvoice(_ubl(payable=payable), 0, source="attachment[0]")

    assert result.fields.outstanding.value is None
    assert "invoice_total_missing" in {problem.code for problem in result.problems}


def test_einvoice_amount_rounded_is_unsure() -> None:
    result = read_einvoice(_ubl(payable="1210.004999"), 0, source="attachment[0]")

    assert str(result.fields.outstanding.value) == "1210.00"
    assert not result.fields.outstanding.trusted


def test_invoice_number_too_long_dropped() -> None:
    extraction = extract_document(_ubl(number="N" * 5_000), "factuur.xml", today=TODAY)

    problem = next(problem for problem in extraction.problems if problem.code == "value_implausible")
    assert extraction.invoices[0].number.value is None
    assert problem.field == "invoices[0].number"
    assert problem.blocking


def test_country_name_dropped() -> None:
    extraction = extract_document(_ubl(country="Netherlands"), "factuur.xml", today=TODAY)

    assert extraction.debtor.country.value is None
    assert "debtor.country" in {problem.field for problem in extraction.problems if problem.code == "value_implausible"}


def test_currency_not_iso_dropped() -> None:
    extraction = extract_document(_ubl(currency="EURO"), "factuur.xml", today=TODAY)

    assert extraction.invoices[0].currency.value is None
    assert "invoices[0].currency" in {problem.field for problem in extraction.problems}


def test_bidi_override_removed_from_name() -> None:
    extraction = extract_document(_ubl(buyer="Jansen\u202e B.V."), "factuur.xml", today=TODAY)

    assert extraction.debtor.name.value == "Jansen B.V."


def test_flate_bomb_not_opened() -> None:
    # 1 GiB of spaces as one page's content stream: about 1 MB compressed.
    compressor = zlib.compressobj(9)
    chunk = b" " * (16 * 1024 * 1024)
    bomb = b"".join(compressor.compress(chunk) for _ in range(64)) + compressor.flush()
    data = _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream",
        ]
    )

    seconds = _cpu_seconds(lambda: read_pdf(data, ocr=False))
    document = read_pdf(data, ocr=False)

    assert seconds < 2.0
    assert document.problem_codes == ("pdf_bomb",)
    assert document.pages == ()


def test_compressed_invoice_still_read() -> None:
    data = _page_pdf(b"BT /F1 12 Tf 56 780 Td (Factuurnummer: F2026-0142 Totaal EUR 1.210,00) Tj ET")

    document = read_pdf(data, ocr=False)

    assert "pdf_bomb" not in document.problem_codes
    assert "F2026-0142" in document.text
