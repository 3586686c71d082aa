"""A small PDF writer that places text items anywhere on A4 pages, in Helvetica.

The example invoices with traps that WeasyPrint does not produce use it: text drawn
several times with a small shift ("fake bold", as some word processors imitate bold),
text turned a quarter turn (a sideways footer in the margin), and right-aligned amount
columns. Helvetica is a standard PDF font, so nothing is embedded and a page takes
well under a millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

A4_WIDTH = 595.28
A4_HEIGHT = 841.89

# Helvetica advance widths in 1/1000 em (Adobe's Helvetica AFM) for the characters of
# amounts; other characters use an average, which is close enough for left-aligned text.
_WIDTHS = {**{digit: 556 for digit in "0123456789"}, " ": 278, ",": 278, ".": 278, "-": 333, "€": 556, ":": 278, "%": 889}
_AVERAGE_WIDTH = 520
_BOLD_FACTOR = 1.05


@dataclass(frozen=True)
class TextItem:
    """One run of text: `x` and `top` in points from the page's top-left corner.

    `align` "right" puts the run's right edge at `x`. `angle` is 0, 90 (reading bottom
    to top) or 270 (reading top to bottom). `overprint` draws the run that many times,
    each shifted by a quarter point, as fake bold does.
    """

    x: float
    top: float
    text: str
    size: float = 9.0
    bold: bool = False
    align: str = "left"
    angle: int = 0
    overprint: int = 1


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Estimate the width of `text` in Helvetica at `size` points."""
    units = sum(_WIDTHS.get(char, _AVERAGE_WIDTH) for char in text)
    return units * size / 1000 * (_BOLD_FACTOR if bold else 1.0)


def _pdf_string(text: str) -> bytes:
    encoded = text.encode("cp1252")
    escaped = encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def _content(items: Sequence[TextItem]) -> bytes:
    content = bytearray()
    for item in items:
        font = b"/F2" if item.bold else b"/F1"
        x = item.x - text_width(item.text, item.size, bold=item.bold) if item.align == "right" else item.x
        baseline = A4_HEIGHT - item.top - item.size * 0.8
        for copy in range(max(item.overprint, 1)):
            shift = 0.25 * copy
            if item.angle == 90:
                matrix = b"0 1 -1 0 %.2f %.2f" % (x + shift, baseline)
            elif item.angle == 270:
                matrix = b"0 -1 1 0 %.2f %.2f" % (x + shift, baseline)
            else:
                matrix = b"1 0 0 1 %.2f %.2f" % (x + shift, baseline)
            content += b"BT %s %.1f Tf %s Tm %s Tj ET\n" % (font, item.size, matrix, _pdf_string(item.text))
    return bytes(content)


def draw_pdf(pages: Sequence[Sequence[TextItem]], *, title: str = "") -> bytes:
    """Write pages of text items as a PDF and return its bytes.

    Raises ValueError when a character has no cp1252 code (the standard fonts' WinAnsiEncoding).
    """
    page_count = len(pages)
    # Objects: 1 catalog, 2 pages, 3 regular font, 4 bold font, 5 info, then per page a page and its content.
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (6 + 2 * index) for index in range(page_count)) + b"] /Count %d >>" % page_count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + _pdf_string(title) + b" /Producer (incasso voorbeeldfacturen) >>",
    ]
    for index, items in enumerate(pages):
        content = _content(items)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
            % (A4_WIDTH, A4_HEIGHT, 7 + 2 * index)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream")

    output = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_offset = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\n" % (len(objects) + 1)
    output += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(output)
