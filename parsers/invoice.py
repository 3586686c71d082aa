"""Invoice fields, seller and buyer from a read PDF, with consistency checks on the values.

The checks move confidence up or down: subtotal + VAT = total confirms all three amounts,
a due date before the invoice date or an invoice date in the future sends the date to
review, and a due date is computed from a printed payment term when no date is given.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import combinations

from parsers.dutch import find_amounts, find_dates
from parsers.fields import LEARNED_NOTE, LEARNED_STRENGTH, Candidate, best, find_candidates
from parsers.layout import Segment, build_blocks, split_segments
from parsers.model import ACCEPT_CONFIDENCE, ClientHints, Field, InvoiceFields, Party, Problem
from parsers.parties import find_parties
from parsers.pdf import Line, PdfDocument, Word

logger = logging.getLogger(__name__)

# Confidence given to amounts that add up (subtotal + VAT = total).
CONFIRMED = 0.97
# Corrections of one field under one label (or at one place) before that label is trusted.
LEARN_AFTER = 2


def extract_invoice_fields(
    pdf: PdfDocument, document_index: int, *, today: date | None = None, hints: ClientHints | None = None
) -> tuple[InvoiceFields, Party, Party, list[Problem]]:
    """Read one invoice PDF: its fields, its seller (the client) and its buyer (the debtor).

    `today` is the date against which an invoice date in the future is flagged; without
    it that check is skipped. `hints` add the labels and amount positions staff taught
    for this client. Problems list what is missing or unsure, in Dutch.
    """
    source = pdf.source or f"attachment[{document_index}]"
    lines: list[Line] = []
    page_of: list[int] = []
    segments: list[Segment] = []
    for page in pdf.pages:
        page_lines = page.lines()
        for index, line in enumerate(page_lines):
            segments.extend(split_segments(line, page.number, len(lines) + index))
        lines.extend(page_lines)
        page_of.extend([page.number] * len(page_lines))

    invoice, problems = fields_from_lines(
        lines, source=source, document_index=document_index, today=today, page_of=page_of, hints=hints
    )
    seller, buyer = find_parties(build_blocks(segments), source)
    return invoice, seller, buyer, problems


def fields_from_lines(
    lines: list[Line],
    *,
    source: str,
    document_index: int | None,
    today: date | None,
    page_of: list[int] | None = None,
    hints: ClientHints | None = None,
) -> tuple[InvoiceFields, list[Problem]]:
    """Build InvoiceFields from positioned lines (a PDF's or a mail body's) and check them."""
    learned = [(label.field, label.label) for label in hints.labels if label.corrections >= LEARN_AFTER] if hints else []
    candidates = find_candidates(lines, learned)
    if hints is not None and page_of is not None:
        _add_learned_positions(candidates, lines, page_of, hints)
    if not candidates.get("total") and not candidates.get("outstanding"):
        _add_unlabelled_total(candidates, lines)

    def field(kind: str) -> Field:
        chosen = best(candidates.get(kind, []))
        if chosen is None:
            return Field()
        confidence, note = chosen.confidence, chosen.note
        if kind in ("total", "outstanding") and any(_AMBIGUOUS_SEPARATOR.search(word.text) for word in chosen.words):
            confidence, note = min(confidence, 0.6), "scheidingsteken onduidelijk: duizendtal of decimalen"
        return Field(chosen.value, round(confidence, 2), _where(source, chosen, page_of), note)

    invoice = InvoiceFields(
        number=field("number"),
        date=field("date"),
        due_date=field("due_date"),
        payment_term_days=field("payment_term_days"),
        subtotal=field("subtotal"),
        vat=field("vat"),
        total=field("total"),
        outstanding=field("outstanding"),
        document_index=document_index,
    )
    invoice = _pick_consistent_amounts(invoice, candidates, source, page_of)
    invoice = _check_rival_totals(invoice, candidates)
    invoice = _check_dates(invoice, today)
    if invoice.total.present and not invoice.outstanding.present:
        invoice = replace(invoice, outstanding=replace(invoice.total, note="geen betaling vermeld; gelijk aan het totaal"))
    if invoice.total.present:
        invoice = replace(invoice, currency=_currency(lines, invoice.total))
    return invoice, _problems(invoice, source)


# One group of three digits after the only separator and no decimals: "1,210" or "1.210"
# is 1210 to one reader and 1.21 to another.
_AMBIGUOUS_SEPARATOR = re.compile(r"^[^\d]*\d{1,3}[.,]\d{3}(?![\d.,])[^\d]*$")
# A currency other than the euro written beside a number.
_OTHER_CURRENCY = re.compile(r"(?:\b(USD|GBP|CHF|JPY|CNY|SEK|NOK|DKK|PLN)\b|US\$|\$|£|¥)\s?-?\d|\d\s?(USD|GBP|CHF|JPY|CNY|SEK|NOK|DKK|PLN)\b")
_SYMBOLS = {"$": "USD", "US$": "USD", "£": "GBP", "¥": "JPY"}


def _currency(lines: list[Line], total: Field) -> Field:
    """Return EUR, or the other currency printed beside an amount, untrusted, so that it goes to review."""
    for line in lines:
        found = _OTHER_CURRENCY.search(line.text)
        if found:
            marker = found.group(1) or found.group(2) or found.group(0).rstrip("-0123456789 ").strip()
            code = _SYMBOLS.get(marker, marker)
            return Field(code, min(total.confidence, 0.6), total.source, f"valuta {marker} op de factuur")
    return Field("EUR", total.confidence, total.source)


def _add_learned_positions(
    candidates: dict[str, list[Candidate]], lines: list[Line], page_of: list[int], hints: ClientHints
) -> None:
    """Add the value printed where staff found this field on the client's earlier invoices.

    A position corrected `LEARN_AFTER` times or more gives a trusted candidate; a single
    correction gives one below the threshold, so staff still see it.
    """
    # NOTE: no test covers learned positions yet; learned labels and client values are tested.
    for position in hints.positions:
        words: list[Word] = []
        line_index = None
        for index, line in enumerate(lines):
            if page_of[index] != position.page or line.bottom < position.top - 3 or line.top > position.bottom + 3:
                continue
            inside = [word for word in line.words if word.x1 > position.x0 - 4 and word.x0 < position.x1 + 4]
            if inside:
                words.extend(inside)
                line_index = index if line_index is None else line_index
        if not words or line_index is None:
            continue
        text = " ".join(word.text for word in words)
        value = _value_of_kind(position.field, text)
        if value is None:
            continue
        strength = LEARNED_STRENGTH if position.corrections >= LEARN_AFTER else 0.7
        confidence = min([strength] + [word.confidence for word in words])
        candidates.setdefault(position.field, []).insert(0, Candidate(position.field, value, confidence, line_index, tuple(words), LEARNED_NOTE))


def _add_unlabelled_total(candidates: dict[str, list[Candidate]], lines: list[Line]) -> None:
    """Find a total whose label was lost (OCR drops bold labels) as the amount equal to subtotal + VAT."""
    subtotals = candidates.get("subtotal", [])
    vats = candidates.get("vat", [])
    if not subtotals or not vats:
        return
    sums = {subtotals[0].value + sum((item.value for item in vats), Decimal("0"))}
    sums |= {subtotal.value + vat.value for subtotal in subtotals for vat in vats}
    for index, line in enumerate(lines):
        if re.search(r"[A-Za-z]{3,}", line.text):
            continue
        found = find_amounts(line.text)
        if len(found) == 1 and found[0].value in sums and found[0].value != 0:
            confidence = min(0.75, line.confidence)
            candidates["total"] = [Candidate("total", found[0].value, confidence, index, line.words, "totaal zonder label")]
            return


def _value_of_kind(kind: str, text: str) -> object | None:
    if kind in ("date", "due_date"):
        found = find_dates(text)
        return found[0].value if len(found) == 1 else None
    if kind in ("total", "outstanding", "subtotal", "vat"):
        amounts = find_amounts(text)
        return amounts[-1].value if amounts else None
    if kind == "number":
        token = text.strip().split()[-1] if text.strip() else ""
        return token if any(char.isdigit() for char in token) else None
    return None


def _where(source: str, candidate: Candidate, page_of: list[int] | None) -> str:
    words = candidate.words
    if not words:
        return source
    page = page_of[candidate.line_index] if page_of and candidate.line_index < len(page_of) else None
    page_part = f"#page={page};" if page is not None else "#"
    x0 = min(word.x0 for word in words)
    top = min(word.top for word in words)
    x1 = max(word.x1 for word in words)
    bottom = max(word.bottom for word in words)
    if source.startswith("body"):
        return f"{source}#line={candidate.line_index + 1}"
    return f"{source}{page_part}x0={x0:.1f},top={top:.1f},x1={x1:.1f},bottom={bottom:.1f}"


def _pick_consistent_amounts(
    invoice: InvoiceFields, candidates: dict[str, list[Candidate]], source: str, page_of: list[int] | None
) -> InvoiceFields:
    """Prefer the subtotal, VAT and total that add up; lower the total when none do."""
    totals = candidates.get("total", []) or candidates.get("outstanding", [])
    subtotals = candidates.get("subtotal", [])
    vats = candidates.get("vat", [])

    for total in sorted(totals, key=lambda item: -item.confidence):
        for subtotal in sorted(subtotals, key=lambda item: -item.confidence):
            for vat in sorted(vats, key=lambda item: -item.confidence):
                if isinstance(total.value, Decimal) and subtotal.value + vat.value == total.value and total.value != 0:
                    note = "subtotaal + btw = totaal"
                    return replace(
                        invoice,
                        total=_confirmed(total, source, page_of, note),
                        subtotal=_confirmed(subtotal, source, page_of, note),
                        vat=_confirmed(vat, source, page_of, note),
                    )

    # Several VAT rates: the VAT lines together must make up the difference. A column
    # header such as "BTW" may add a stray candidate, so subsets are tried.
    rate_lines = list({item.line_index: item for item in vats}.values())[:6]
    for size in range(2, len(rate_lines) + 1):
        for group in combinations(rate_lines, size):
            vat_sum = sum((item.value for item in group), Decimal("0"))
            for total in totals:
                for subtotal in subtotals:
                    if subtotal.value + vat_sum == total.value and total.value != 0:
                        note = "subtotaal + btw (som van de btw-regels) = totaal"
                        vat_field = replace(_confirmed(group[0], source, page_of, note), value=vat_sum)
                        return replace(
                            invoice,
                            total=_confirmed(total, source, page_of, note),
                            subtotal=_confirmed(subtotal, source, page_of, note),
                            vat=vat_field,
                        )

    if not invoice.total.present and invoice.outstanding.present:
        invoice = replace(
            invoice,
            total=replace(invoice.outstanding, note="openstaand bedrag; geen totaal gevonden"),
        )
    if invoice.total.present and invoice.subtotal.present and invoice.vat.present:
        return replace(
            invoice,
            total=replace(invoice.total, confidence=min(invoice.total.confidence, 0.6), note="subtotaal + btw is niet gelijk aan het totaal"),
        )
    return invoice


def _check_rival_totals(invoice: InvoiceFields, candidates: dict[str, list[Candidate]]) -> InvoiceFields:
    """Lower the total when another labelled total of a different amount is printed as clearly.

    "Totaal EUR 1.210,00" that adds up with subtotal and VAT, next to "Totaal te betalen
    EUR 12.100,00", leaves the claim amount open: either may be the one the client means.
    """
    if not invoice.total.present or not invoice.total.trusted:
        return invoice
    rivals = {
        item.value
        for item in candidates.get("total", [])
        if isinstance(item.value, Decimal) and item.confidence >= ACCEPT_CONFIDENCE and item.value != invoice.total.value
    }
    if not rivals:
        return invoice
    note = "ander totaal op de factuur: " + ", ".join(f"{value:.2f}" for value in sorted(rivals))
    return replace(invoice, total=replace(invoice.total, confidence=min(invoice.total.confidence, 0.6), note=note))


def _confirmed(candidate: Candidate, source: str, page_of: list[int] | None, note: str) -> Field:
    # OCR words stay below the acceptance threshold even when the amounts add up.
    word_confidence = min((word.confidence for word in candidate.words), default=1.0)
    confidence = CONFIRMED if word_confidence >= 1.0 else candidate.confidence
    return Field(candidate.value, confidence, _where(source, candidate, page_of), note)


def _check_dates(invoice: InvoiceFields, today: date | None) -> InvoiceFields:
    invoice_date = invoice.date
    due = invoice.due_date
    if invoice_date.present and today is not None and invoice_date.value > today:
        invoice_date = replace(invoice_date, confidence=min(invoice_date.confidence, 0.5), note="factuurdatum ligt in de toekomst")

    term = invoice.payment_term_days
    if not due.present and invoice_date.present and term.present:
        due = Field(
            invoice_date.value + timedelta(days=int(term.value)),
            round(min(invoice_date.confidence, term.confidence), 2),
            term.source,
            f"berekend: factuurdatum + {term.value} dagen",
        )
    if due.present and invoice_date.present and due.value < invoice_date.value:
        due = replace(due, confidence=min(due.confidence, 0.5), note="vervaldatum ligt voor de factuurdatum")
    elif due.present and invoice_date.present and due.trusted and _usual_term(invoice_date, due, term):
        # A weak date label ("Datum" over a column) is confirmed by a due date one usual term later.
        if 0.7 <= invoice_date.confidence < ACCEPT_CONFIDENCE and not invoice_date.note:
            invoice_date = replace(invoice_date, confidence=0.85, note="vervaldatum volgt na een gangbare termijn")
    return replace(invoice, date=invoice_date, due_date=due)


# Payment terms in days that Dutch invoices commonly print.
_USUAL_TERMS = {7, 8, 10, 14, 15, 21, 28, 30, 31, 45, 60, 90}


def _usual_term(invoice_date: Field, due: Field, term: Field) -> bool:
    days = (due.value - invoice_date.value).days
    if term.present:
        return days == term.value
    return days in _USUAL_TERMS


_MISSING = {
    "number": ("invoice_number_missing", "Factuurnummer niet gevonden"),
    "date": ("invoice_date_missing", "Factuurdatum niet gevonden"),
    "total": ("invoice_total_missing", "Totaalbedrag niet gevonden"),
}
_UNSURE = {
    "number": ("invoice_number_unsure", "Factuurnummer onzeker"),
    "date": ("invoice_date_unsure", "Factuurdatum onzeker"),
    "due_date": ("invoice_due_date_unsure", "Vervaldatum onzeker"),
    "total": ("invoice_total_unsure", "Totaalbedrag onzeker"),
}


def _problems(invoice: InvoiceFields, source: str) -> list[Problem]:
    problems: list[Problem] = []
    for name, (code, message) in _MISSING.items():
        if not getattr(invoice, name).present:
            problems.append(Problem(code, message, field=f"invoice.{name}", source=source))
    for name, (code, message) in _UNSURE.items():
        value: Field = getattr(invoice, name)
        if value.present and value.confidence < ACCEPT_CONFIDENCE:
            detail = f" ({value.note})" if value.note else ""
            problems.append(Problem(code, message + detail, field=f"invoice.{name}", source=value.source or source))
    if not invoice.due_date.present:
        problems.append(Problem("invoice_due_date_missing", "Vervaldatum en betalingstermijn niet gevonden", field="invoice.due_date", source=source))
    return problems
