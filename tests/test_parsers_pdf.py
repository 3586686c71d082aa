"""Reading PDFs: word boxes, encryption, scans, unreadable fonts and hostile files."""

from __future__ import annotations

import hashlib
import io
import json
import time
from decimal import Decimal

import pikepdf
import pytest

from parsers.dutch import parse_amount
from parsers.model import ACCEPT_CONFIDENCE
from parsers.ocr import ocr_available
from parsers.pdf import read_pdf
from tests.shared_paths import SHARED, requires_shared

CASES = SHARED / "cases"


def _case_pdf(prefix: str) -> bytes:
    matches = sorted(CASES.glob(f"{prefix}-*.pdf"))
    assert matches, f"no {prefix} PDF found in {CASES}"
    return matches[0].read_bytes()


def _line_texts(data: bytes, **options: object) -> list[str]:
    document = read_pdf(data, ocr=False, **options)
    return [line.text for page in document.pages for line in page.lines()]


def _pdf_with_text(lines: list[str], *, password: str | None = None) -> bytes:
    """Build a one-page PDF with Helvetica text lines, optionally encrypted."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding))
    commands = []
    for number, text in enumerate(lines):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        commands.append(f"BT /F1 11 Tf 50 {780 - number * 16} Td ({escaped}) Tj ET")
    page = pikepdf.Page(pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842]))
    page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream("\n".join(commands).encode("cp1252"))
    pdf.pages.append(page)


    buffer = io.BytesIO()
    if password is None:
        pdf.save(buffer)
    else:
        pdf.save(buffer, encryption=pikepdf.Encryption(user=password, owner="eigenaar", R=6))
    return buffer.getvalue()


@pytest.mark.corpus
@requires_shared()
def test_split_amounts_join_by_position() -> None:
    lines = _line_texts(_case_pdf("case11"))
    total_line = next(line for line in lines if line.startswith("Totaal te betalen"))
    assert total_line == "Totaal te betalen € 1.234,56"
    assert parse_amount(total_line.split("€")[-1]) == Decimal("1234.56")
    assert "Factuurdatum: 03-04-2024" in lines


@pytest.mark.corpus
@requires_shared()
def test_empty_user_password_aes256() -> None:
    data = _case_pdf("case15")
    before = hashlib.sha256(data).hexdigest()
    document = read_pdf(data, ocr=False)
    assert document.problems == ()
    assert document.encrypted
    assert "Factuurnummer: 2024-1515" in document.text
    expected = json.loads((CASES / "case15.expected.json").read_text(encoding="utf-8"))
    assert hashlib.sha256(data).hexdigest() == before == expected["store_original_bytes"]["sha256"]


@pytest.mark.corpus
@requires_shared()
def test_image_only_scan_flagged() -> None:
    document = read_pdf(_case_pdf("case17"), ocr=False)
    assert document.problem_codes == ("pdf_no_text_layer",)
    assert document.problems[0].message == "De PDF heeft geen tekstlaag (scan); handmatig overnemen"
    assert all(not page.words for page in document.pages)


@pytest.mark.corpus
@requires_shared()
def test_font_without_cmap_flagged() -> None:
    document = read_pdf(_case_pdf("case13"), ocr=False)
    assert document.problem_codes == ("pdf_text_layer_unreadable",)
    assert "(cid:" not in document.text
    assert all(not page.words for page in document.pages)


@pytest.mark.corpus
@requires_shared()
@pytest.mark.slow
@pytest.mark.skipif(not ocr_available(), reason="tesseract with Dutch data (nld) is not installed")
def test_ocr_words_below_threshold() -> None:
    document = read_pdf(_case_pdf("case17"), ocr=True)
    assert document.problem_codes == ("pdf_no_text_layer",)
    assert document.from_ocr
    words = [word for page in document.pages for word in page.words]
    assert words
    assert max(word.confidence for word in words) < ACCEPT_CONFIDENCE
    assert "2024-1717" in document.text


def test_generated_pdf_words_have_boxes() -> None:
    document = read_pdf(_pdf_with_text(["Factuurnummer: 77", "Totaal: € 12,50"]), ocr=False)
    page = document.pages[0]
    first = page.words[0]
    assert first.text == "Factuurnummer:"
    assert first.x0 == pytest.approx(50, abs=1.5)
    assert first.top < 62 < first.bottom  # the baseline sits 842 - 780 = 62 points below the top
    assert [line.text for line in page.lines()] == ["Factuurnummer: 77", "Totaal: € 12,50"]


def test_user_password_reported() -> None:
    document = read_pdf(_pdf_with_text(["Factuurnummer: 77"] * 3, password="geheim"), ocr=False)
    assert document.problem_codes == ("pdf_encrypted",)
    assert document.pages == ()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a pdf at all",
        b"%PDF-1.4\n" + b"\x00\xff" * 500,
        b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n",
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Count 99999999/Kids[]>>endobj trailer<</Root 1 0 R>>%%EOF",
    ],
)
def test_hostile_input_never_raises(data: bytes) -> None:
    document = read_pdf(data, ocr=False)
    assert "pdf_unreadable" in document.problem_codes


def test_truncated_pdf_never_raises() -> None:
    data = _pdf_with_text(["Factuurnummer: 77", "Totaal: € 12,50"])
    document = read_pdf(data[: len(data) // 2], ocr=False)
    assert document.problems or document.pages  # PDFium may repair it; it must not raise


def test_page_cap() -> None:
    pdf = pikepdf.open(io.BytesIO(_pdf_with_text(["Pagina"] * 3)))
    for _ in range(14):
        pdf.pages.append(pdf.pages[0])
    buffer = io.BytesIO()
    pdf.save(buffer)
    document = read_pdf(buffer.getvalue(), ocr=False, max_pages=10)
    assert document.page_count == 15
    assert len(document.pages) == 10
    assert "pdf_pages_skipped" in document.problem_codes


@pytest.mark.corpus
@requires_shared()
def test_one_page_speed() -> None:
    data = _case_pdf("case11")
    read_pdf(data, ocr=False)
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        read_pdf(data, ocr=False)
    per_page = (time.perf_counter() - start) / runs
    print(f"read_pdf one page: {per_page * 1000:.1f} ms")
    assert per_page < 0.1  # pdfplumber needs about 135 ms for such a page
