"""Labelled invoice fields (number, dates, amounts, payment term) from lines of positioned words.

Works the same on PDF lines and on mail-body lines made by `layout.text_lines`, so an
invoice in a PDF and a claim typed in a mail are read by one set of rules. Labels are
tried strongest first; the value is the first word of the expected kind to the right of
the label, or under it when the label is a column header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from parsers.dutch import find_dates, parse_amount
from parsers.layout import COLUMN_GAP, find_label, words_below
from parsers.pdf import Line, Word

# (kind, strength, pattern). Strength is the confidence a value found after this label
# starts with; the consistency checks in `invoice.py` raise or lower it.
_I = re.IGNORECASE
LABELS: list[tuple[str, float, re.Pattern[str]]] = [
    ("number", 0.9, re.compile(r"\b(factuur|nota|invoice)\s*-?\s*(nummer|nr\.?|no\.?|number|#|num\.?)\s*:?", _I)),
    ("number", 0.9, re.compile(r"\bfactuurnr\.?\s*:?", _I)),
    ("number", 0.85, re.compile(r"\b(credit\s*nota|creditfactuur)\s*(nummer|nr\.?)\s*:?", _I)),
    # Weak labels: "Nr." opening a line under a FACTUUR heading, or a lone "Factuur"
    # column header with the number under it.
    ("number", 0.75, re.compile(r"^(nr\.?|nummer)\s*:?(?=\s|$)", _I)),
    ("number", 0.7, re.compile(r"\bfactuur\b(?!\s*-?\s*(datum|date|totaal|adres|bedrag|nummer|nr|no))\s*:?", _I)),
    ("date", 0.9, re.compile(r"\b(factuur|invoice|nota)\s*-?\s*(datum|date)\s*:?", _I)),
    ("date", 0.9, re.compile(r"\bdatum\s+factuur\s*:?", _I)),
    ("date", 0.8, re.compile(r"(?<![\w-])(?<!due )(?<!payment )(datum|date|dated)\s*:", _I)),
    ("date", 0.75, re.compile(r"^(datum|date)\b\s*:?", _I)),
    ("due_date", 0.9, re.compile(r"\b(verval\s*datum|uiterste\s*betaal\s*datum|due\s*date|payment\s*due|betaal\s*datum)\s*:?", _I)),
    ("due_date", 0.85, re.compile(r"\b(te\s*)?betalen\s*(v[oó]{2}r|uiterlijk|voor)\s*:?", _I)),
    ("due_date", 0.85, re.compile(r"\b(uiterlijk|vóór|voor)\s*(?=\d{1,2}[-./]\d{1,2}[-./]\d{2,4})", _I)),
    ("total", 0.9, re.compile(r"\b(totaal\s*te\s*betalen|totaal\s*(bedrag\s*)?incl(\.|usief)?\s*(btw|vat)?|bedrag\s*incl(\.|usief)?\s*(btw|vat)|factuur\s*totaal|factuurbedrag|totaalbedrag|total\s*(amount\s*)?(due|incl\.?\s*vat)|amount\s*due|invoice\s*total)\s*:?", _I)),
    ("total", 0.8, re.compile(r"(?<!sub)(?<!sub-)\b(totaal|total)\b(?!\s*(ex|excl|exclusief|bedrag\s*(ex|excl|btw)|btw|vat|netto)\b)\s*(eur)?\s*:?", _I)),
    ("outstanding", 0.9, re.compile(r"\b(openstaand\s*(bedrag|saldo)?|nog\s*te\s*betalen|saldo|te\s*voldoen|balance\s*due)\s*:?", _I)),
    ("outstanding", 0.85, re.compile(r"(?<!totaal )\bte\s*betalen\b(?!\s*(v[oó]{2}r|uiterlijk|voor|binnen))\s*:?", _I)),
    ("subtotal", 0.9, re.compile(r"\b((totaal\s*)?(bedrag\s*)?(excl(\.|usief)?|ex\.?)\s*(btw|vat)|subtotaal\s*(excl(\.|usief)?|ex\.?)\s*(btw|vat)|netto\s*bedrag|subtotal\s*excl\.?\s*vat)\s*:?", _I)),
    ("subtotal", 0.8, re.compile(r"\b(subtotaal|subtotal|sub-totaal)\s*:?", _I)),
    ("vat", 0.9, re.compile(r"\b(btw|vat)[\s-]*bedrag\s*:?|\btotaal\s*(bedrag\s*)?(btw|vat)\b\s*:?", _I)),
    ("vat", 0.85, re.compile(r"^\s*(\d{1,2}([.,]\d+)?\s*%\s*)?(btw|vat|omzetbelasting)\b(?!\s*(nr|nummer|number|id|no|-?id)\b)(\s*\(?\d{1,2}([.,]\d+)?\s*%\)?)?(\s*(over|of)\s*€?\s*[\d.,]+)?\s*:?", _I)),
]

_TERM = re.compile(
    r"\b(?:betalingstermijn|betaaltermijn|betaling\s*binnen|binnen|payment\s*terms?|within|netto)\s*:?\s*(\d{1,3})\s*(?:dagen|days|dgn)\b",
    _I,
)
# A payment term label in a column header, with "30 dagen" under it.
_TERM_LABEL = re.compile(r"\b(?:betalingstermijn|betaaltermijn|payment\s*terms?)\s*:?\s*$|\b(?:betalingstermijn|betaaltermijn|payment\s*terms?)\b(?!\s*:?\s*\d)", _I)
_TERM_VALUE = re.compile(r"^(\d{1,3})\s*(?:dagen|days|dgn)\b", _I)
_INVOICE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/._]*[A-Za-z0-9]$|^\d$")
_SKIP_TOKENS = {":", "#", "-", "nr", "nr.", "no", "no.", "€", "eur"}
# Words before an amount that mark it as the base of a percentage, not the value itself.
_BASE_MARKERS = {"over", "of", "van", "à", "a", "x", "@"}


@dataclass(frozen=True)
class Candidate:
    """One value found for a field, with its label strength and place."""

    kind: str
    value: object
    confidence: float
    line_index: int
    words: tuple[Word, ...]
    note: str = ""


# Note on a candidate found after a label that staff corrections taught for this client.
LEARNED_NOTE = "label geleerd uit correcties"
# Strength of a learned label: above every generic label, so it wins where both match.
LEARNED_STRENGTH = 0.92


def learned_label_patterns(labels: list[tuple[str, str]]) -> list[tuple[str, float, re.Pattern[str]]]:
    """Turn (field kind, printed label) pairs into label rules that outrank the generic ones."""
    rules: list[tuple[str, float, re.Pattern[str]]] = []
    for kind, label in labels:
        words = [re.escape(word) for word in label.strip().rstrip(":").split()]
        if not words:
            continue
        rules.append((kind, LEARNED_STRENGTH, re.compile(r"(?<![\w])" + r"\s*".join(words) + r"\s*:?", _I)))
    return rules


def find_candidates(lines: list[Line], learned: list[tuple[str, str]] | None = None) -> dict[str, list[Candidate]]:
    """Collect every labelled value on the lines, per field kind, in reading order.

    `learned` holds (field kind, label) pairs this client prints; they are tried first.
    """
    rules = learned_label_patterns(learned or []) + LABELS
    found: dict[str, list[Candidate]] = {}
    for index, line in enumerate(lines):
        claimed: list[tuple[float, float]] = []
        for kind, strength, pattern in rules:
            hit = _find_label_in_columns(line, pattern)
            if hit is None:
                continue
            if kind == "number" and strength < 0.8 and _after_date_word(line, hit[0]):
                continue  # "Datum factuur" is a date label, not a lone "Factuur" header
            if kind == "number" and strength < 0.8 and _under_invoice_heading(lines, index, hit[0]):
                strength = 0.85
            label_words, after = hit
            span = (label_words[0].x0, label_words[-1].x1) if label_words else (0.0, 0.0)
            if any(start <= span[0] < end or start < span[1] <= end for start, end in claimed):
                continue
            after = _until_next_label(after, line)
            candidate = _value_after(kind, strength, index, label_words, after)
            if candidate is None and label_words:
                below = words_below(lines, index, label_words)
                candidate = _value_after(kind, strength - 0.05, index + 1, label_words, below)
            if candidate is None:
                continue
            if strength == LEARNED_STRENGTH:
                candidate = Candidate(candidate.kind, candidate.value, candidate.confidence, candidate.line_index, candidate.words, LEARNED_NOTE)
            claimed.append(span)
            found.setdefault(kind, []).append(candidate)

    term = _payment_term(lines)
    if term is not None:
        found.setdefault("payment_term_days", []).append(term)
    return found


def _find_label_in_columns(line: Line, pattern: re.Pattern[str]) -> tuple[tuple[Word, ...], tuple[Word, ...]] | None:
    """Find a label; a pattern anchored with ^ may also start at any column of the line."""
    hit = find_label(line, pattern)
    if hit is not None or not pattern.pattern.startswith("^"):
        return hit
    for start in _column_starts(line):
        hit = find_label(Line(line.words[start:]), pattern)
        if hit is not None:
            return hit
    return None


def _column_starts(line: Line) -> list[int]:
    starts: list[int] = []
    for position in range(1, len(line.words)):
        previous, word = line.words[position - 1], line.words[position]
        height = max(previous.bottom - previous.top, 1.0)
        if word.x0 - previous.x1 > height * COLUMN_GAP:
            starts.append(position)
    return starts


def _after_date_word(line: Line, label_words: tuple[Word, ...]) -> bool:
    """Tell whether the label follows "datum" or "date" in the same column."""
    if not label_words or label_words[0] not in line.words:
        return False
    position = line.words.index(label_words[0])
    if position == 0:
        return False
    previous = line.words[position - 1]
    height = max(previous.bottom - previous.top, 1.0)
    return previous.text.lower().strip(":") in ("datum", "date") and label_words[0].x0 - previous.x1 < height * COLUMN_GAP


def _under_invoice_heading(lines: list[Line], index: int, label_words: tuple[Word, ...]) -> bool:
    """Tell whether a weak number label ("Nr.") sits under a FACTUUR or INVOICE heading."""
    if not label_words:
        return False
    left = label_words[0].x0
    for line in lines[max(0, index - 2) : index]:
        for word in line.words:
            if word.text.strip(".:").lower() in ("factuur", "invoice", "nota") and abs(word.x0 - left) < 150:
                return True
    return False


def _until_next_label(after: tuple[Word, ...], line: Line) -> tuple[Word, ...]:
    """Cut the words after a label at the next label on the same line."""
    kept: list[Word] = []
    for position, word in enumerate(after):
        rest = Line(after[position:])
        if kept and any(pattern.match(rest.text) for _, _, pattern in LABELS):
            break
        kept.append(word)
    return tuple(kept)


def _value_after(kind: str, strength: float, line_index: int, label_words: tuple[Word, ...], words: tuple[Word, ...]) -> Candidate | None:
    if not words:
        return None
    if kind == "number":
        return _number_value(strength, line_index, words)
    if kind in ("date", "due_date"):
        return _date_value(kind, strength, line_index, words)
    return _amount_value(kind, strength, line_index, words)


def _number_value(strength: float, line_index: int, words: tuple[Word, ...]) -> Candidate | None:
    for position, word in enumerate(words[:3]):
        token = word.text.strip(":;,")
        following = " ".join(item.text for item in words[position : position + 3])
        if any(found.start == 0 for found in find_dates(following)):
            return None  # "21 okt. 2026" under a "Datum factuur" header is a date, not a number
        if token.lower() in _SKIP_TOKENS or not token:
            continue
        if any(char.isdigit() for char in token) and _INVOICE_NUMBER.match(token) and len(token) <= 30:
            if find_dates(token) and len(token) <= 10 and "-" in token and token.count("-") == 2:
                return None  # a date where a number was expected
            return Candidate("number", token, min(strength, word.confidence), line_index, (word,))
        return None
    return None


def _date_value(kind: str, strength: float, line_index: int, words: tuple[Word, ...]) -> Candidate | None:
    head = words[:5]
    text = " ".join(word.text for word in head)
    dates = find_dates(text)
    if not dates:
        return None
    first = dates[0]
    used = _words_in_span(head, first.start, first.end)
    if used and used[0] is not head[0] and head[0].text.lower().strip(":") not in ("", "op", "on", "d.d.", "dd"):
        if head.index(used[0]) > 2:
            return None
    confidence = min([strength] + [word.confidence for word in used])
    return Candidate(kind, first.value, confidence, line_index, tuple(used))


def _amount_value(kind: str, strength: float, line_index: int, words: tuple[Word, ...]) -> Candidate | None:
    previous_text = ""
    for position, word in enumerate(words):
        token = word.text
        if token in ("€", "EUR", "eur", "EUR:", "€:"):
            previous_text = "€"
            continue
        joined, used = _join_split_amount(words, position)
        value = parse_amount(joined)
        if value is None:
            if re.search(r"\d", token) and not token.endswith("%") and kind in ("total", "outstanding") and position > 1:
                return None
            previous_text = token.lower()
            continue
        if previous_text in _BASE_MARKERS:
            previous_text = token.lower()
            continue
        if "%" in token:
            continue
        if previous_text != "€" and not re.search(r"[.,]|€|eur", joined, _I):
            # A bare integer is a quantity or a percentage column, not money.
            previous_text = token.lower()
            continue
        confidence = min([strength] + [item.confidence for item in used])
        rest = words[position + len(used) :]
        if kind in ("total", "outstanding") and _more_money(rest):
            # A table row ("Total 1 278.61 40.39 319.00"): which column is the total is a guess.
            return Candidate(kind, value, min(confidence, 0.6), line_index, tuple(used), "meerdere bedragen op de totaalregel")
        return Candidate(kind, value, confidence, line_index, tuple(used))
    return None


def _more_money(words: tuple[Word, ...]) -> bool:
    """Tell whether the words hold another amount with cents (not a percentage)."""
    return any(re.fullmatch(r"-?€?\d[\d.,]*[.,]\d{2}", word.text) and parse_amount(word.text) is not None for word in words)


def _join_split_amount(words: tuple[Word, ...], position: int) -> tuple[str, list[Word]]:
    """Join "1.234" with a following ",56", or "10" with "000,00", when they sit close together."""
    first = words[position]
    used = [first]
    text = first.text
    for following in words[position + 1 : position + 3]:
        height = max(first.bottom - first.top, 1.0)
        close = following.x0 - used[-1].x1 < height * 0.6
        if close and re.fullmatch(r"[.,]\d{2}-?", following.text):
            text += following.text
            used.append(following)
            break
        if close and re.fullmatch(r"\d{1,3}", text) and re.fullmatch(r"\d{3}([.,]\d{2})?", following.text):
            text += following.text
            used.append(following)
            continue
        break
    return text, used


def _words_in_span(words: tuple[Word, ...], start: int, end: int) -> list[Word]:
    used: list[Word] = []
    position = 0
    for word in words:
        word_end = position + len(word.text)
        if position < end and word_end > start:
            used.append(word)
        position = word_end + 1
    return used


def _payment_term(lines: list[Line]) -> Candidate | None:
    for index, line in enumerate(lines):
        match = _TERM.search(line.text)
        if match:
            days = int(match.group(1))
            if 0 < days <= 365:
                return Candidate("payment_term_days", days, min(0.85, line.confidence), index, line.words)
        hit = find_label(line, _TERM_LABEL)
        if hit is None or not hit[0]:
            continue
        below = words_below(lines, index, hit[0])
        found = _TERM_VALUE.match(" ".join(word.text for word in below))
        if found and 0 < int(found.group(1)) <= 365:
            return Candidate("payment_term_days", int(found.group(1)), min(0.8, *(word.confidence for word in below)), index + 1, below)
    return None


def best(candidates: list[Candidate]) -> Candidate | None:
    """Pick the strongest candidate, the first one on ties; lower it when others disagree."""
    if not candidates:
        return None
    top = max(candidates, key=lambda item: item.confidence)
    chosen = next(item for item in candidates if item.confidence == top.confidence)
    rivals = {item.value for item in candidates if item.confidence >= chosen.confidence - 0.05 and item.value != chosen.value}
    if chosen.note == LEARNED_NOTE:
        return chosen  # this client prints the field under this label; other labels are not its
    if rivals and chosen.kind in ("number", "date"):
        return Candidate(
            chosen.kind,
            chosen.value,
            min(chosen.confidence, 0.6),
            chosen.line_index,
            chosen.words,
            note="andere waarden gevonden: " + ", ".join(sorted(_show(value) for value in rivals)),
        )
    return chosen


def _show(value: object) -> str:
    if isinstance(value, date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)
