"""Invoices built to mislead: hidden amounts, rival totals, credit notes, swapped parties.

None of them may yield a trusted claim amount that differs from what a person sees, and
each gets a reason for staff review. All PDFs are generated here.
"""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal

import pytest

from parsers.extract import extract_claim, extract_document
from parsers.mail import parse_message
from parsers.model import Extraction

TODAY = date(2026, 12, 4)

SELLER = [
    "Bakkerij De Gouden Korrel B.V.",
    "Korenstraat 12, 1234 AB Amsterdam",
    "KvK 12345678  BTW NL123456789B01",
    "IBAN NL02RABO0123456789",
    "info@goudenkorrel.nl",
]
BUYER = ["Jansen Installatietechniek B.V.", "Dorpsweg 5", "5611 AA Eindhoven"]
AMOUNTS = ["Subtotaal                      1.000,00", "BTW 21%                          210,00", "Totaal                    EUR  1.210,00"]


def _lines(*, title: str = "FACTUUR", amounts: list[str] | None = None, seller: list[str] | None = None, buyer: list[str] | None = None) -> list[str]:
    return [
        *(seller or SELLER),
        "",
        "Factuur aan:",
        *(buyer or BUYER),
        "",
        title,
        "Factuurnummer: F2026-0142",
        "Factuurdatum: 01-09-2026",
        "Vervaldatum: 01-10-2026",
        "",
        "Omschrijving                     Bedrag",
        "Broodlevering september        1.000,00",
        *(amounts or AMOUNTS),
    ]


def _pdf_string(text: str) -> bytes:
    encoded = text.encode("cp1252")
    return b"(" + encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _invoice_pdf(lines: list[str], extra: bytes = b"") -> bytes:
    """One A4 page with `lines` in black Helvetica from the top, then the raw content `extra`."""
    content = bytearray(b"BT 0 g /F1 10 Tf 13 TL 56 780 Td\n")
    for line in lines:
        content += _pdf_string(line) + b" '\n"
    content += b"ET\n" + extra
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + bytes(content) + b"endstream",
    ]
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(output)
    output += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    output += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(output)


def _read(data: bytes) -> Extraction:
    return extract_document(data, "Factuur.pdf", today=TODAY)


def _codes(extraction: Extraction) -> set[str]:
    return {problem.code for problem in extraction.problems}


def _claim(extraction: Extraction):  # type: ignore[no-untyped-def]
    invoice = extraction.invoices[0]
    return invoice.outstanding if invoice.outstanding.present else invoice.total


def test_plain_invoice_is_trusted() -> None:
    extraction = _read(_invoice_pdf(_lines()))

    assert _claim(extraction).value == Decimal("1210.00")
    assert _claim(extraction).trusted
    assert _codes(extraction) == set()


@pytest.mark.parametrize(
    "hiding",
    [
        pytest.param(b"BT 1 1 1 rg /F1 10 Tf 56 400 Td (Openstaand bedrag EUR 99.999,00) Tj ET\n", id="white_on_white"),
        pytest.param(b"BT 3 Tr 0 g /F1 10 Tf 56 420 Td (Openstaand bedrag EUR 66.666,00) Tj ET\n", id="invisible_render_mode"),
        pytest.param(b"BT 0 g /F1 0.3 Tf 300 300 Td (Openstaand bedrag EUR 88.888,00) Tj ET\n", id="tiny_font"),
        pytest.param(b"q 0 0 1 1 re W n BT 0 g /F1 10 Tf 56 420 Td (Openstaand bedrag EUR 55.555,00) Tj ET Q\n", id="clipped_away"),
        pytest.param(b"BT 0 g /F1 10 Tf 56 420 Td (Openstaand bedrag EUR 44.444,00) Tj ET 1 g 50 410 300 25 re f\n", id="covered_by_box"),
    ],
)
def test_hidden_amount_never_trusted(hiding: bytes) -> None:
    extraction = _read(_invoice_pdf(_lines(), hiding))

    claim = _claim(extraction)
    assert "pdf_hidden_text" in _codes(extraction)
    assert claim.value == Decimal("1210.00") or not claim.trusted


def test_amount_off_the_page_ignored() -> None:
    extraction = _read(_invoice_pdf(_lines(), b"BT 0 g /F1 10 Tf 56 -500 Td (Openstaand bedrag EUR 77.777,00) Tj ET\n"))

    assert _claim(extraction).value == Decimal("1210.00")


def test_white_text_on_dark_band_is_visible() -> None:
    band = b"0 g 50 395 300 25 re f BT 1 1 1 rg /F1 10 Tf 56 402 Td (Klantnummer 4711) Tj ET\n"

    extraction = _read(_invoice_pdf(_lines(), band))

    assert "pdf_hidden_text" not in _codes(extraction)
    assert _claim(extraction).trusted


def test_rival_total_lowers_claim() -> None:
    amounts = ["Subtotaal  1.000,00", "BTW 21%  210,00", "Totaal  EUR 1.210,00", "", "Totaal te betalen  EUR 12.100,00"]

    extraction = _read(_invoice_pdf(_lines(amounts=amounts)))

    assert not _claim(extraction).trusted
    assert "12100.00" in extraction.invoices[0].total.note


@pytest.mark.parametrize("title", ["CREDITNOTA", "CREDITFACTUUR", "Credit note"])
def test_credit_note_is_flagged(title: str) -> None:
    extraction = _read(_invoice_pdf(_lines(title=title)))

    problem = next(problem for problem in extraction.problems if problem.code == "credit_note")
    assert problem.blocking
    assert problem.field == "invoices[0].outstanding"


def test_debtor_is_sender_flagged() -> None:
    seller = ["Jansen Installatietechniek B.V.", "Dorpsweg 5, 5611 AA Eindhoven", "KvK 87654321", "IBAN NL02RABO0123456789"]
    buyer = ["Bakkerij De Gouden Korrel B.V.", "Korenstraat 12", "1234 AB Amsterdam"]
    pdf = _invoice_pdf(_lines(seller=seller, buyer=buyer))
    raw = (
        b"From: Piet Bakker <piet@goudenkorrel.nl>\r\nSubject: Incasso\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Graag incasso.\r\n\r\nMet vriendelijke groet,\r\nPiet Bakker\r\nBakkerij De Gouden Korrel B.V.\r\n"
        b"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"Factuur.pdf\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(pdf) + b"\r\n--B--\r\n"
    )

    extraction = extract_claim(parse_message(raw), today=TODAY)

    assert "debtor_is_sender" in _codes(extraction)


@pytest.mark.parametrize(("total", "currency"), [("Total  USD 1,210.00", "USD"), ("Totaal  $ 1.210,00", "USD"), ("Totaal  GBP 1.210,00", "GBP")])
def test_foreign_currency_not_euro(total: str, currency: str) -> None:
    extraction = _read(_invoice_pdf(_lines(amounts=[total])))

    assert extraction.invoices[0].currency.value == currency
    assert not extraction.invoices[0].currency.trusted


@pytest.mark.parametrize("total", ["Totaal  EUR 1.210", "Totaal  EUR 1,210"])
def test_ambiguous_separator_not_trusted(total: str) -> None:
    extraction = _read(_invoice_pdf(_lines(amounts=[total])))

    assert _claim(extraction).value == Decimal("1210.00")
    assert not _claim(extraction).trusted


def test_unusual_amount_not_trusted() -> None:
    amounts = ["Subtotaal  1.000.000,00", "BTW 21%  210.000,00", "Totaal  EUR 1.210.000,00"]

    extraction = _read(_invoice_pdf(_lines(amounts=amounts)))

    assert _claim(extraction).value == Decimal("1210000.00")
    assert not _claim(extraction).trusted


def test_ancient_invoice_date_not_trusted() -> None:
    lines = [line.replace("01-09-2026", "01-09-1900").replace("01-10-2026", "01-10-1900") for line in _lines()]

    extraction = _read(_invoice_pdf(lines))

    assert extraction.invoices[0].date.value == date(1900, 9, 1)
    assert not extraction.invoices[0].date.trusted
