"""The claim as intake stores it: plain values per field and the review list.

`claim_report` turns an Extraction into the JSON shape of `incasso extract --json`:
amounts as strings with two decimals and a dot, dates in ISO form, absent values None,
and `review` listing every field path (`invoices[0].due_date`) that may not be acted on,
each with its reason in Dutch and the place in the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from parsers.model import Extraction, Field, InvoiceFields, Party, Problem

CLIENT_KEYS = ("name", "kvk", "vat_id", "iban", "email", "street", "postcode", "city", "country")
DEBTOR_KEYS = ("name", "kind", "contact", "street", "postcode", "city", "country", "kvk")
# Output key -> InvoiceFields attribute.
INVOICE_KEYS = {
    "number": "number",
    "date": "date",
    "due_date": "due_date",
    "amount_total": "total",
    "amount_vat": "vat",
    "amount_outstanding": "outstanding",
    "currency": "currency",
}
# Document kinds of the report; the parser's finer kinds map onto these.
_DOCUMENT_KINDS = {"invoice": "invoice", "einvoice": "invoice", "terms": "terms", "reminder": "reminder"}

# Fields without which no dossier can be acted on, and how staff name them.
_REQUIRED_CLIENT = {"name": "Naam van de cliënt"}
_REQUIRED_DEBTOR = {"name": "Naam van de debiteur"}
_REQUIRED_INVOICE = {
    "number": "Factuurnummer",
    "date": "Factuurdatum",
    "due_date": "Vervaldatum",
    "amount_outstanding": "Openstaand bedrag",
}
_LABELS = {
    "name": "Naam",
    "kvk": "KvK-nummer",
    "vat_id": "Btw-id",
    "iban": "IBAN",
    "email": "E-mailadres",
    "street": "Straat",
    "postcode": "Postcode",
    "city": "Plaats",
    "country": "Land",
    "kind": "Soort debiteur (bedrijf of consument)",
    "contact": "Contactpersoon",
    "number": "Factuurnummer",
    "date": "Factuurdatum",
    "due_date": "Vervaldatum",
    "amount_total": "Totaalbedrag",
    "amount_vat": "Btw-bedrag",
    "amount_outstanding": "Openstaand bedrag",
    "currency": "Valuta",
}


@dataclass(frozen=True)
class ReviewEntry:
    """One field, or the whole message when `field` is empty, that staff must check."""

    field: str
    reason: str
    source: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason, "source": self.source}


def plain(value: object) -> Any:
    """Return a value as the report shows it: Decimal "1234.50", date "2024-04-03", else itself."""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01')):f}"
    if isinstance(value, date):
        return value.isoformat()
    if value == "":
        return None
    return value


def claim_report(extraction: Extraction, filenames: dict[int, str] | None = None) -> dict[str, Any]:
    """Build the `incasso extract --json` object of one message or document.

    `filenames` maps attachment indexes to their names; without it the names are
    taken from the document list as "bijlage-N".
    """
    names = filenames or {}
    return {
        "client": _party_values(extraction.client, CLIENT_KEYS),
        "debtor": _party_values(extraction.debtor, DEBTOR_KEYS),
        "invoices": [_invoice_values(invoice) for invoice in extraction.invoices],
        "documents": [
            {
                "filename": names.get(info.attachment_index, f"bijlage-{info.attachment_index}"),
                "kind": _DOCUMENT_KINDS.get(info.kind, "other"),
            }
            for info in extraction.documents
        ],
        "body_only": extraction.body_only,
        "review": [entry.as_dict() for entry in review_entries(extraction)],
    }


def _party_values(party: Party, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: plain(getattr(party, key).value) for key in keys}


def _invoice_values(invoice: InvoiceFields) -> dict[str, Any]:
    return {key: plain(getattr(invoice, attribute).value) for key, attribute in INVOICE_KEYS.items()}


def review_entries(extraction: Extraction) -> list[ReviewEntry]:
    """List every reason not to act on the extraction, field by field.

    Blocking problems come first, then fields that are required but missing, then
    every printed value below the acceptance threshold. A field gets one entry.
    """
    entries: list[ReviewEntry] = []
    listed: set[str] = set()

    def add(path: str, reason: str, source: str = "") -> None:
        if path and path in listed:
            return
        if path:
            listed.add(path)
        entries.append(ReviewEntry(path, reason, source))

    for problem in extraction.problems:
        if problem.blocking:
            add(_problem_path(problem), problem.message, problem.source)

    fields: list[tuple[str, str, Field[Any], bool]] = []
    for key in CLIENT_KEYS:
        fields.append((f"client.{key}", key, getattr(extraction.client, key), key in _REQUIRED_CLIENT))
    if extraction.invoices:
        for key in DEBTOR_KEYS:
            fields.append((f"debtor.{key}", key, getattr(extraction.debtor, key), key in _REQUIRED_DEBTOR))
    for index, invoice in enumerate(extraction.invoices):
        for key, attribute in INVOICE_KEYS.items():
            value = getattr(invoice, attribute)
            if key == "amount_outstanding" and not value.present:
                value = invoice.total
            fields.append((f"invoices[{index}].{key}", key, value, key in _REQUIRED_INVOICE))

    for path, key, value, required in fields:
        if not value.present:
            if required:
                add(path, f"{_LABELS[key]} ontbreekt")
            continue
        if not value.trusted:
            note = f" ({value.note})" if value.note else ""
            add(path, f"{_LABELS[key]} onzeker gelezen{note}", value.source)
    return entries


def _problem_path(problem: Problem) -> str:
    """Return the report's field path of a problem ("invoice.total" of a single invoice is "invoices[0].amount_total")."""
    name = problem.field
    if not name:
        return ""
    renames = {"total": "amount_total", "vat": "amount_vat", "outstanding": "amount_outstanding"}
    prefix, _, attribute = name.rpartition(".")
    if prefix == "invoice":
        return f"invoices[0].{renames.get(attribute, attribute)}"
    if prefix.startswith("invoices["):
        return f"{prefix}.{renames.get(attribute, attribute)}"
    return name
