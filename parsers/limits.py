"""Plausibility limits on extracted text values, applied once at the end of extraction.

A value read from a hostile document can be of any length or contain control and
bidirectional format characters. Such a value is not passed on: an invoice number of
5,000 characters would be cut to fit a column and then name the wrong invoice, and a
country "Netherlands" does not fit a two-letter code. The value is dropped and a
blocking `value_implausible` problem names the field, so staff read it from the document.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from datetime import date
from decimal import Decimal

from parsers.model import Extraction, Field, InvoiceFields, Party, Problem

# Maximum length in characters per field. Postcodes, IBANs and VAT ids use their
# longest international forms; names and streets allow long legal names.
PARTY_LIMITS = {
    "name": 200,
    "kind": 20,
    "contact": 200,
    "kvk": 20,
    "vat_id": 20,
    "iban": 34,
    "email": 254,
    "phone": 40,
    "street": 200,
    "postcode": 12,
    "city": 100,
    "country": 2,
}
INVOICE_NUMBER_LIMIT = 64

# Amounts from this value up are kept but not trusted: a typo, a misread separator or a
# planted number costs more here than a look by staff.
UNUSUAL_AMOUNT = Decimal("1000000")
# Invoice dates more than this many years back are not trusted: such a date is far more
# often misread ("01-09-1900") than a real claim. NOTE: claims from a sale become
# time-barred after five years (art. 3:307 BW) unless interrupted; that is not checked here.
OLD_INVOICE_YEARS = 20
UNTRUSTED_CONFIDENCE = 0.6

_COUNTRY = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")

_LABELS = {
    "name": "Naam",
    "kind": "Soort",
    "contact": "Contactpersoon",
    "kvk": "KvK-nummer",
    "vat_id": "Btw-nummer",
    "iban": "IBAN",
    "email": "E-mailadres",
    "phone": "Telefoonnummer",
    "street": "Straat",
    "postcode": "Postcode",
    "city": "Plaats",
    "country": "Land",
    "number": "Factuurnummer",
    "currency": "Valuta",
}


def bounded_extraction(extraction: Extraction, today: date | None = None) -> Extraction:
    """Drop implausible text values from the client, the debtor and the invoices, with a problem for each.

    Amounts of UNUSUAL_AMOUNT and more, and invoice dates more than OLD_INVOICE_YEARS
    before `today`, are kept with a lowered confidence and a note.
    """
    problems: list[Problem] = []
    client = _bounded_party(extraction.client, "client", problems)
    debtor = _bounded_party(extraction.debtor, "debtor", problems)
    invoices = tuple(
        _unusual_values_lowered(_bounded_invoice(invoice, f"invoices[{index}]", problems), today)
        for index, invoice in enumerate(extraction.invoices)
    )
    if not problems and client is extraction.client and debtor is extraction.debtor and invoices == extraction.invoices:
        return extraction
    return replace(extraction, client=client, debtor=debtor, invoices=invoices, problems=extraction.problems + tuple(problems))


def _bounded_party(party: Party, prefix: str, problems: list[Problem]) -> Party:
    changes: dict[str, Field] = {}
    for item in dataclass_fields(Party):
        name = item.name
        value: Field = getattr(party, name)
        if not value.present or not isinstance(value.value, str):
            continue
        cleaned = _without_hidden_characters(value.value)
        reason = _length_reason(cleaned, PARTY_LIMITS[name])
        if name == "country" and reason is None and not _COUNTRY.fullmatch(cleaned):
            reason = "geen landcode van twee letters"
        if reason is not None:
            problems.append(_problem(f"{prefix}.{name}", name, reason, value.source))
            changes[name] = Field()
        elif cleaned != value.value:
            changes[name] = replace(value, value=cleaned)
    return replace(party, **changes) if changes else party


def _bounded_invoice(invoice: InvoiceFields, prefix: str, problems: list[Problem]) -> InvoiceFields:
    changes: dict[str, Field] = {}
    number = invoice.number
    if number.present and isinstance(number.value, str):
        cleaned = _without_hidden_characters(number.value)
        reason = _length_reason(cleaned, INVOICE_NUMBER_LIMIT)
        if reason is not None:
            problems.append(_problem(f"{prefix}.number", "number", reason, number.source))
            changes["number"] = Field()
        elif cleaned != number.value:
            changes["number"] = replace(number, value=cleaned)
    currency = invoice.currency
    if currency.present and not (isinstance(currency.value, str) and _CURRENCY.fullmatch(currency.value)):
        problems.append(_problem(f"{prefix}.currency", "currency", "geen valutacode van drie letters", currency.source))
        changes["currency"] = Field()
    return replace(invoice, **changes) if changes else invoice


def _unusual_values_lowered(invoice: InvoiceFields, today: date | None) -> InvoiceFields:
    changes: dict[str, Field] = {}
    for name in ("total", "outstanding"):
        value: Field = getattr(invoice, name)
        if isinstance(value.value, Decimal) and abs(value.value) >= UNUSUAL_AMOUNT and value.trusted:
            changes[name] = replace(value, confidence=UNTRUSTED_CONFIDENCE, note="ongebruikelijk hoog bedrag")
    invoice_date = invoice.date
    if today is not None and isinstance(invoice_date.value, date) and invoice_date.trusted:
        if invoice_date.value < today.replace(year=today.year - OLD_INVOICE_YEARS, day=min(today.day, 28)):
            note = f"factuurdatum ligt meer dan {OLD_INVOICE_YEARS} jaar terug; mogelijk verkeerd gelezen"
            changes["date"] = replace(invoice_date, confidence=UNTRUSTED_CONFIDENCE, note=note)
    return replace(invoice, **changes) if changes else invoice


def _without_hidden_characters(text: str) -> str:
    """Turn line breaks and tabs into spaces, drop other control and format characters (NUL, U+202E), and trim."""
    spaced = re.sub(r"[\t\n\r\x0b\x0c]+", " ", text)
    return "".join(char for char in spaced if unicodedata.category(char) not in ("Cc", "Cf")).strip()


def _length_reason(text: str, limit: int) -> str | None:
    if not text:
        return "leeg na het verwijderen van onzichtbare tekens"
    if len(text) > limit:
        return f"{len(text)} tekens, meer dan de {limit} die aannemelijk zijn"
    return None


def _problem(path: str, name: str, reason: str, source: str) -> Problem:
    label = _LABELS.get(name, name)
    message = f"{label} niet overgenomen: {reason}; lees de waarde uit het document"
    return Problem("value_implausible", message, field=path, source=source)
