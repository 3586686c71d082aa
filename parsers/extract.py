"""Extract step of intake: one parsed mail to client, debtor, invoices and review reasons.

Each attachment is classified (invoice, terms, reminder, e-invoice, image, other) with a
reason; the invoice PDFs are read for their fields and parties, and a claim typed in
the mail body is read when no invoice is attached. Everything missing or unsure becomes
a Problem with a Dutch message for the review queue.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date

from parsers.body import extract_body_claim, parse_signature
from parsers.einvoice import is_ubl_invoice, read_ubl_invoice
from parsers.invoice import extract_invoice_fields
from parsers.model import (
    ACCEPT_CONFIDENCE,
    Attachment,
    DocumentInfo,
    Extraction,
    Field,
    InvoiceFields,
    ParsedMail,
    Party,
    Problem,
)
from parsers.pdf import PdfDocument, read_pdf

logger = logging.getLogger(__name__)

_I = re.IGNORECASE
_TERMS_NAME = re.compile(r"voorwaarden|terms|conditions|\bav\b|leveringsvoorwaarden", _I)
_REMINDER_WORDS = re.compile(r"\b(herinnering|betalingsherinnering|aanmaning|sommatie|ingebrekestelling|reminder)\b", _I)
_INVOICE_WORDS = re.compile(r"\b(factuur|invoice|nota|rekening)\w*", _I)
_INVOICE_NAME = re.compile(r"factuur|invoice|nota|scan|rekening", _I)

MESSAGES = {
    "no_invoice_found": "Geen factuur gevonden in de bijlagen of de tekst van de mail",
    "debtor_kind_unsure": "Niet zeker of de debiteur een bedrijf of een consument is",
    "debtor_name_missing": "Naam van de debiteur niet gevonden",
    "debtor_address_missing": "Adres van de debiteur niet volledig gevonden (straat, postcode, plaats)",
    "client_name_missing": "Naam van de cliënt (de verkoper op de factuur) niet gevonden",
    "client_email_missing": "E-mailadres van de cliënt ontbreekt (geen geldige afzender)",
    "several_debtors": "De facturen zijn gericht aan verschillende debiteuren; splits de opdracht",
}


@dataclass(frozen=True)
class _ReadInvoice:
    fields: InvoiceFields
    seller: Party
    buyer: Party
    problems: list[Problem]


def extract_claim(mail: ParsedMail, *, today: date, ocr: bool = True) -> Extraction:
    """Extract client, debtor and invoices from a parsed mail.

    `today` is used to flag invoice dates in the future. `ocr` allows Tesseract on
    scanned PDFs when it is installed.
    """
    problems: list[Problem] = list(mail.problems)
    documents: list[DocumentInfo] = []
    read: list[_ReadInvoice] = []

    for attachment in mail.attachments:
        problems.extend(attachment.problems)
        info, invoice = _handle_attachment(attachment, today=today, ocr=ocr)
        documents.append(info)
        if invoice is not None:
            read.append(invoice)
            problems.extend(invoice.problems)

    read = _without_duplicates(read)
    signature = parse_signature(mail.text_body)
    body_invoice = None
    if not any(_has_claim(item.fields) for item in read):
        fields, debtor, body_problems = extract_body_claim(mail.text_body, today=today)
        if _has_claim(fields) and (debtor.name.present or not read):
            body_invoice = _ReadInvoice(fields, Party(), debtor, body_problems)

    if not read and body_invoice is None:
        problems.append(Problem("no_invoice_found", MESSAGES["no_invoice_found"]))
        client = _client(None, signature, mail)
        return Extraction(client, Party(), (), tuple(documents), tuple(_unique(_client_problems(client) + problems)))

    if body_invoice is not None:
        # Problems of unreadable PDFs stay; the "missing" problems of those PDFs are replaced by the body's.
        problems = [problem for problem in problems if not problem.code.startswith("invoice_")]
        problems.extend(body_invoice.problems)
        read = [body_invoice]

    seller = next((item.seller for item in read if item.seller.name.present), read[0].seller)
    client = _client(seller, signature, mail)
    debtor = read[0].buyer
    debtor_problems = _debtor_problems(debtor)
    if len({item.buyer.name.value for item in read if item.buyer.name.present}) > 1:
        debtor_problems.append(Problem("several_debtors", MESSAGES["several_debtors"], field="debtor.name"))

    invoices = tuple(item.fields for item in read)
    all_problems = _client_problems(client) + debtor_problems + problems
    return Extraction(client, debtor, invoices, tuple(documents), tuple(_unique(all_problems)))


def _handle_attachment(attachment: Attachment, *, today: date, ocr: bool) -> tuple[DocumentInfo, _ReadInvoice | None]:
    source = f"attachment[{attachment.index}]:{attachment.filename}"
    if not attachment.is_document:
        return DocumentInfo(attachment.index, "image", attachment.ignore_reason), None
    if any(problem.code == "attachment_too_large" for problem in attachment.problems):
        return DocumentInfo(attachment.index, "other", "te groot om te lezen"), None

    content_type = attachment.content_type
    if content_type == "message/rfc822":
        return DocumentInfo(attachment.index, "correspondence", "doorgestuurde mail"), None
    if content_type in ("application/xml", "text/xml") or attachment.filename.lower().endswith(".xml"):
        if is_ubl_invoice(attachment.payload):
            fields, seller, buyer, problems = read_ubl_invoice(attachment.payload, attachment.index, source=source, today=today)
            return DocumentInfo(attachment.index, "einvoice", "UBL-factuur (XML)"), _ReadInvoice(fields, seller, buyer, problems)
        return DocumentInfo(attachment.index, "other", "XML zonder UBL-factuur"), None
    if content_type.startswith("image/"):
        return DocumentInfo(attachment.index, "image", "afbeelding"), None
    if content_type != "application/pdf":
        return DocumentInfo(attachment.index, "other", f"bestandstype {content_type}"), None

    pdf = read_pdf(attachment.payload, source=source, ocr=ocr)
    kind, reason = classify_pdf(attachment.filename, pdf)
    if kind != "invoice":
        return DocumentInfo(attachment.index, kind, reason), None

    fields, seller, buyer, problems = extract_invoice_fields(pdf, attachment.index, today=today)
    text_was_read = any(page.words for page in pdf.pages)
    if text_was_read and not (fields.number.present or fields.total.present or fields.outstanding.present):
        return DocumentInfo(attachment.index, "other", "geen factuurnummer of bedrag gevonden"), None
    problems = list(pdf.problems) + problems
    if not text_was_read:
        # Nothing was read: the PDF problem explains it, the per-field "missing" list would only repeat it.
        problems = [problem for problem in problems if not problem.code.startswith("invoice_")]
    return DocumentInfo(attachment.index, "invoice", reason), _ReadInvoice(fields, seller, buyer, problems)


def classify_pdf(filename: str, pdf: PdfDocument) -> tuple[str, str]:
    """Classify a PDF as invoice, terms, reminder or other, with the reason in Dutch."""
    text = pdf.text
    head = "\n".join(text.splitlines()[:15])
    if not text.strip():
        if _INVOICE_NAME.search(filename) or not _TERMS_NAME.search(filename):
            return "invoice", "geen leesbare tekst; mogelijk een factuur"
        return "other", "geen leesbare tekst"
    if _TERMS_NAME.search(filename) or (
        re.search(r"algemene\s+(leverings)?voorwaarden|terms\s+and\s+conditions", head, _I) and len(re.findall(r"\bartikel\s+\d+", text, _I)) >= 2
    ):
        return "terms", "algemene voorwaarden"
    if _REMINDER_WORDS.search(head) and not re.search(r"^\s*(factuur|invoice)\s*\.?\s*$", head, _I | re.MULTILINE):
        return "reminder", "herinnering of aanmaning"
    if _INVOICE_WORDS.search(text) and re.search(r"\d", text):
        return "invoice", "factuur herkend aan de tekst"
    return "other", "geen factuur herkend"


def _has_claim(fields: InvoiceFields) -> bool:
    return fields.total.present or fields.outstanding.present


def _without_duplicates(read: list[_ReadInvoice]) -> list[_ReadInvoice]:
    """Keep one read per invoice number (a PDF and its UBL twin, or the same PDF twice)."""
    kept: list[_ReadInvoice] = []
    seen: set[str] = set()
    for item in read:
        number = item.fields.number.value
        if number and number in seen:
            continue
        if number:
            seen.add(number)
        kept.append(item)
    return kept


def _client(seller: Party | None, signature: Party, mail: ParsedMail) -> Party:
    client = seller or Party()
    for name in ("name", "kvk", "phone"):
        if not getattr(client, name).present and getattr(signature, name).present:
            client = replace(client, **{name: getattr(signature, name)})
    if mail.from_address:
        client = replace(client, email=Field(mail.from_address, 0.95, "header:From"))
    return client


def _client_problems(client: Party) -> list[Problem]:
    problems: list[Problem] = []
    if not client.name.present:
        problems.append(Problem("client_name_missing", MESSAGES["client_name_missing"], field="client.name"))
    if not client.email.present:
        problems.append(Problem("client_email_missing", MESSAGES["client_email_missing"], field="client.email", source="header:From"))
    return problems


def _debtor_problems(debtor: Party) -> list[Problem]:
    problems: list[Problem] = []
    if not debtor.name.present:
        problems.append(Problem("debtor_name_missing", MESSAGES["debtor_name_missing"], field="debtor.name"))
    if not (debtor.street.present and debtor.postcode.present and debtor.city.present):
        problems.append(Problem("debtor_address_missing", MESSAGES["debtor_address_missing"], field="debtor.street", source=debtor.name.source))
    if debtor.name.present and (not debtor.kind.present or debtor.kind.confidence < ACCEPT_CONFIDENCE):
        problems.append(Problem("debtor_kind_unsure", MESSAGES["debtor_kind_unsure"], field="debtor.kind", source=debtor.kind.source))
    return problems


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str, str]] = set()
    unique: list[Problem] = []
    for problem in problems:
        key = (problem.code, problem.field, problem.source)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique
