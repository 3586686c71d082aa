"""Find where a value staff typed in is printed in a document, and the label before it.

When staff correct a field, the place and the label of the right value tell what to
look for on the next invoice of the same client (see `dossiers.corrections`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from parsers.dutch import find_dates, parse_amount
from parsers.layout import split_segments
from parsers.pdf import Line, PdfDocument, Word

_CURRENCY_TOKENS = {"€", "eur", "eur:", "€:"}
_MAX_LABEL_CHARS = 40


@dataclass(frozen=True)
class LocatedValue:
    """The place of a printed value: source with page and box, and the label in front of it."""

    source: str
    page: int
    label: str


def locate_value(pdf: PdfDocument, kind: str, value: object) -> LocatedValue | None:
    """Find `value` of field `kind` ("number", "date", "due_date" or an amount field) in the PDF.

    An occurrence with a printed label wins over a bare one; the first of each kind
    counts. Returns None when the value is not printed.
    """
    bare: LocatedValue | None = None
    for page in pdf.pages:
        lines = page.lines()
        for index, line in enumerate(lines):
            span = _find_in_line(line, kind, value)
            if span is None:
                continue
            label = _label_before(line, span, index, page.number) or _label_above(lines, index, span)
            located = LocatedValue(_source(pdf.source, page.number, span), page.number, label)
            if label:
                return located
            bare = bare or located
    return bare


def _find_in_line(line: Line, kind: str, value: object) -> tuple[Word, ...] | None:
    words = line.words
    for start in range(len(words)):
        for length in (1, 2, 3):
            group = words[start : start + length]
            if len(group) < length:
                break
            if _matches(kind, " ".join(word.text for word in group), value):
                return tuple(group)
    return None


def _matches(kind: str, text: str, value: object) -> bool:
    if kind == "number":
        return text.strip(":;,.") == str(value)
    if kind in ("date", "due_date") and isinstance(value, date):
        found = find_dates(text)
        return len(found) == 1 and found[0].value == value and found[0].end - found[0].start >= len(text.strip()) - 1
    if isinstance(value, Decimal):
        return parse_amount(text) == value
    return False


def _label_before(line: Line, span: tuple[Word, ...], index: int, page: int) -> str:
    """Return the text of the words left of the value in its column, or of the column before it."""
    segments = split_segments(line, page, index)
    first = span[0]
    for position, segment in enumerate(segments):
        if first not in segment.words:
            continue
        before = [word for word in segment.words[: segment.words.index(first)] if word.text.lower() not in _CURRENCY_TOKENS]
        if not before and position > 0:
            before = [word for word in segments[position - 1].words if word.text.lower() not in _CURRENCY_TOKENS]
        return _clean_label(" ".join(word.text for word in before))
    return ""


def _label_above(lines: list[Line], index: int, span: tuple[Word, ...]) -> str:
    """Return a column header printed right above the value."""
    if index == 0:
        return ""
    left, right = span[0].x0, span[-1].x1
    above = [word for word in lines[index - 1].words if word.x1 > left - 20 and word.x0 < right + 20]
    return _clean_label(" ".join(word.text for word in above))


def _clean_label(text: str) -> str:
    label = text.strip().rstrip(":").strip()
    if not re.search(r"[A-Za-zÀ-ÿ]{2,}", label) or len(label) > _MAX_LABEL_CHARS:
        return ""
    return label


def _source(source: str, page: int, span: tuple[Word, ...]) -> str:
    x0 = min(word.x0 for word in span)
    top = min(word.top for word in span)
    x1 = max(word.x1 for word in span)
    bottom = max(word.bottom for word in span)
    return f"{source}#page={page};x0={x0:.1f},top={top:.1f},x1={x1:.1f},bottom={bottom:.1f}"
