"""Extract step of intake: one parsed mail to client, debtor, invoices and review reasons.

Each attachment is classified (invoice, terms, reminder, e-invoice, image, other) with a
reason. A structured e-invoice (UBL or CII XML, also embedded in a Factur-X or ZUGFeRD
PDF) is the source of truth for its invoice, and a PDF rendering of the same invoice is
only cross-checked against it. Other invoice PDFs and scanned images are read for their
fields and parties, and a claim typed in the mail body is read when no invoice is
attached. Everything missing or unsure becomes a Problem with a Dutch message for the
review queue, with the field path (`invoices[0].due_date`) it concerns.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from datetime import date

from parsers.body import extract_body_claim, parse_signature
from parsers.checks import apply_client_hints, check_sender_domain, document_domains
from parsers.einvoice import EInvoice, einvoice_syntax, read_einvoice
from parsers.images import read_image
from parsers.invoice import extract_invoice_fields
from parsers.limits import bounded_extraction
from parsers.model import (
    ACCEPT_CONFIDENCE,
    Attachment,
    ClientHints,
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
# A credit note states what the seller owes the buyer; it is no claim.
_CREDIT_NOTE = re.compile(r"\b(credit\s*-?\s*nota|credit\s*-?\s*factuur|credit\s*note|te\s+crediteren|creditering)\b", _I)
_INVOICE_NAME = re.compile(r"factuur|invoice|nota|scan|rekening", _I)

# Wall seconds of OCR for all attachments of one mail together. One scanned A4 page
# takes Tesseract 5 about 2 s; without a total, a mail of 30 scans took 72 s.
DEFAULT_MAIL_OCR_SECONDS = 20.0
# OCR wall seconds for a single file read without a mail (`extract_document`).
DEFAULT_DOCUMENT_OCR_SECONDS = 60.0
# PDF, image and XML attachments read per mail; a claim seldom has more than a handful.
MAX_READ_DOCUMENTS = 20

MESSAGES = {
    "credit_note": "Dit lijkt een creditnota, geen factuur: het bedrag is een tegoed van de debiteur en geen vordering",
    "debtor_is_sender": "De debiteur op de factuur is de afzender zelf ({name}); koper en verkoper zijn mogelijk verwisseld",
    "too_many_attachments": "De mail heeft meer dan {limit} bijlagen; alleen de eerste {limit} zijn gelezen, controleer de rest",
    "no_invoice_found": "Geen factuur gevonden in de bijlagen of de tekst van de mail",
    "debtor_kind_unsure": "Niet zeker of de debiteur een bedrijf of een consument is",
    "debtor_name_missing": "Naam van de debiteur niet gevonden",
    "debtor_address_missing": "Adres van de debiteur niet volledig gevonden (straat, postcode, plaats)",
    "client_name_missing": "Naam van de cliënt (de verkoper op de factuur) niet gevonden",
    "client_email_missing": "E-mailadres van de cliënt ontbreekt (geen geldige afzender)",
    "several_debtors": "De facturen zijn gericht aan verschillende debiteuren; splits de opdracht",
    "einvoice_pdf_mismatch": "De PDF wijkt af van de e-factuur: {what}; controleer welke juist is",
    "einvoice_embedded_unreadable": (
        "De PDF meldt een ingebedde e-factuur (Factur-X/ZUGFeRD), maar die kon niet gelezen worden; "
        "alleen de PDF-tekst is gebruikt"
    ),
}


@dataclass(frozen=True)
class _ReadInvoice:
    fields: InvoiceFields
    seller: Party
    buyer: Party
    problems: list[Problem]
    structured: bool = False  # read from e-invoice XML: the source of truth for this invoice
    domains: tuple[str, ...] = ()  # e-mail and web domains printed on the document


def extract_claim(
    mail: ParsedMail,
    *,
    today: date,
    ocr: bool = True,
    hints: ClientHints | None = None,
    ocr_seconds: float = DEFAULT_MAIL_OCR_SECONDS,
) -> Extraction:
    """Extract client, debtor and invoices from a parsed mail.

    `today` is used to flag invoice dates in the future. `ocr` allows Tesseract on
    scanned PDFs and images when it is installed, within `ocr_seconds` (wall time) for
    all attachments together. `hints` are what staff corrections taught about this
    sender's invoices (see `dossiers.corrections.client_hints`). Only the first
    MAX_READ_DOCUMENTS PDF, image and XML attachments are read.
    """
    problems: list[Problem] = list(mail.problems)
    documents: list[DocumentInfo] = []
    read: list[_ReadInvoice] = []

    ocr_deadline = time.monotonic() + ocr_seconds
    documents_read = 0
    for attachment in mail.attachments:
        problems.extend(attachment.problems)
        if _is_costly(attachment):
            if documents_read >= MAX_READ_DOCUMENTS:
                documents.append(DocumentInfo(attachment.index, "other", "niet gelezen: te veel bijlagen"))
                continue
            documents_read += 1
        ocr_left = ocr_deadline - time.monotonic()
        info, invoice = _handle_attachment(attachment, today=today, ocr=ocr and ocr_left > 1, hints=hints, ocr_seconds=max(ocr_left, 0.0))
        documents.append(info)
        if invoice is not None:
            read.append(invoice)
    if any(info.reason == "niet gelezen: te veel bijlagen" for info in documents):
        problems.append(Problem("too_many_attachments", MESSAGES["too_many_attachments"].format(limit=MAX_READ_DOCUMENTS)))

    read = _merge_structured(read)
    for item in read:
        problems.extend(item.problems)
    signature = parse_signature(mail.text_body)
    body_invoice = None
    if not any(_has_claim(item.fields) for item in read):
        fields, debtor, body_problems = extract_body_claim(mail.text_body, today=today)
        if _has_claim(fields) and (debtor.name.present or not read):
            body_invoice = _ReadInvoice(fields, Party(), debtor, body_problems)

    if not read and body_invoice is None:
        problems.append(Problem("no_invoice_found", MESSAGES["no_invoice_found"]))
        client = apply_client_hints(_client(None, signature, mail), hints)
        all_problems = _client_problems(client, mail) + problems
        return bounded_extraction(Extraction(client, Party(), (), tuple(documents), tuple(_unique(all_problems))), today)

    if body_invoice is not None:
        # Problems of unreadable PDFs stay; the "missing" problems of those PDFs are replaced by the body's.
        problems = [problem for problem in problems if not problem.code.startswith("invoice_")]
        problems.extend(body_invoice.problems)
        read = [body_invoice]

    seller = next((item.seller for item in read if item.seller.name.present), read[0].seller)
    client = _client(seller, signature, mail)
    client = apply_client_hints(client, hints)
    domains = tuple(domain for item in read for domain in item.domains)
    client, domain_problems = check_sender_domain(client, mail.from_address, domains)
    debtor = read[0].buyer
    debtor_problems = _debtor_problems(debtor) + _debtor_is_sender(debtor, signature, hints)
    if len({item.buyer.name.value for item in read if item.buyer.name.present}) > 1:
        debtor_problems.append(Problem("several_debtors", MESSAGES["several_debtors"], field="debtor.name"))

    invoices = tuple(item.fields for item in read)
    all_problems = _client_problems(client, mail) + domain_problems + debtor_problems + _with_invoice_paths(problems, invoices)
    extraction = Extraction(
        client,
        debtor,
        invoices,
        tuple(documents),
        tuple(_unique(all_problems)),
        body_only=body_invoice is not None,
    )
    return bounded_extraction(extraction, today)


def extract_document(
    data: bytes,
    filename: str,
    *,
    today: date,
    ocr: bool = True,
    hints: ClientHints | None = None,
    content_type: str = "",
) -> Extraction:
    """Extract a claim from one file (PDF, e-invoice XML or image) that came without a mail.

    There is no sender, so the client's e-mail address is not asked for.
    """
    kind = content_type or _content_type_of(filename, data)
    attachment = Attachment(index=0, filename=filename, content_type=kind, payload=data, disposition="attachment")
    mail = ParsedMail(
        message_id="",
        from_address="",
        from_name="",
        to_addresses=(),
        reply_to="",
        subject="",
        date_header="",
        in_reply_to="",
        references=(),
        headers={},
        text_body="",
        html_body="",
        attachments=(attachment,),
    )
    extraction = extract_claim(mail, today=today, ocr=ocr, hints=hints, ocr_seconds=DEFAULT_DOCUMENT_OCR_SECONDS)
    problems = tuple(problem for problem in extraction.problems if problem.code != "client_email_missing")
    return replace(extraction, problems=problems)


def _content_type_of(filename: str, data: bytes) -> str:
    name = filename.lower()
    if data[:1024].lstrip().startswith(b"%PDF-") or name.endswith(".pdf"):
        return "application/pdf"
    if name.endswith(".xml") or data[:200].lstrip().startswith(b"<?xml"):
        return "application/xml"
    if data.startswith(b"\x89PNG") or name.endswith(".png"):
        return "image/png"
    if data.startswith(b"\xff\xd8") or name.endswith((".jpg", ".jpeg")):
        return "image/jpeg"
    if name.endswith((".tif", ".tiff")):
        return "image/tiff"
    return "application/octet-stream"


def _is_costly(attachment: Attachment) -> bool:
    """Tell whether reading the attachment runs a PDF, image or XML reader."""
    kind = attachment.content_type
    name = attachment.filename.lower()
    return attachment.is_document and (kind in ("application/pdf", "application/xml", "text/xml") or kind.startswith("image/") or name.endswith((".pdf", ".xml")))


def _handle_attachment(
    attachment: Attachment, *, today: date, ocr: bool, hints: ClientHints | None, ocr_seconds: float
) -> tuple[DocumentInfo, _ReadInvoice | None]:
    source = f"attachment[{attachment.index}]:{attachment.filename}"
    if not attachment.is_document:
        return DocumentInfo(attachment.index, "image", attachment.ignore_reason), None
    if any(problem.code == "attachment_too_large" for problem in attachment.problems):
        return DocumentInfo(attachment.index, "other", "te groot om te lezen"), None

    content_type = attachment.content_type
    if content_type == "message/rfc822":
        return DocumentInfo(attachment.index, "correspondence", "doorgestuurde mail"), None
    if content_type in ("application/xml", "text/xml") or attachment.filename.lower().endswith(".xml"):
        syntax = einvoice_syntax(attachment.payload)
        if syntax is None:
            return DocumentInfo(attachment.index, "other", "XML zonder e-factuur"), None
        result = read_einvoice(attachment.payload, attachment.index, source=source, today=today)
        return DocumentInfo(attachment.index, "einvoice", f"e-factuur ({syntax} XML)"), _from_einvoice(result)
    if content_type.startswith("image/"):
        return _handle_image(attachment, source, today=today, ocr=ocr, hints=hints, ocr_seconds=ocr_seconds)
    if content_type != "application/pdf":
        return DocumentInfo(attachment.index, "other", f"bestandstype {content_type}"), None

    pdf = read_pdf(attachment.payload, source=source, ocr=ocr, ocr_seconds=ocr_seconds)
    structured = _embedded_einvoice(pdf, attachment.index, source, today)
    if structured is not None:
        return _handle_hybrid_pdf(pdf, structured, attachment.index, today=today, hints=hints)

    kind, reason = classify_pdf(attachment.filename, pdf)
    extra: list[Problem] = []
    if pdf.declares_einvoice:
        extra.append(Problem("einvoice_embedded_unreadable", MESSAGES["einvoice_embedded_unreadable"], source=source))
    if kind == "invoice" and _CREDIT_NOTE.search("\n".join(pdf.text.splitlines()[:30])):
        extra.append(Problem("credit_note", MESSAGES["credit_note"], field="invoice.outstanding", source=source))
    if kind != "invoice":
        if extra:
            return DocumentInfo(attachment.index, "invoice", "e-factuur-PDF zonder leesbare XML"), _ReadInvoice(
                InvoiceFields(document_index=attachment.index), Party(), Party(), list(pdf.problems) + extra
            )
        return DocumentInfo(attachment.index, kind, reason), None

    fields, seller, buyer, problems = extract_invoice_fields(pdf, attachment.index, today=today, hints=hints)
    text_was_read = any(page.words for page in pdf.pages)
    if text_was_read and not (fields.number.present or fields.total.present or fields.outstanding.present) and not extra:
        return DocumentInfo(attachment.index, "other", "geen factuurnummer of bedrag gevonden"), None
    problems = list(pdf.problems) + extra + problems
    if not text_was_read:
        # Nothing was read: the PDF problem explains it, the per-field "missing" list would only repeat it.
        problems = [problem for problem in problems if not problem.code.startswith("invoice_")]
    return DocumentInfo(attachment.index, "invoice", reason), _ReadInvoice(
        fields, seller, buyer, problems, domains=document_domains(pdf.text)
    )


def _handle_image(
    attachment: Attachment, source: str, *, today: date, ocr: bool, hints: ClientHints | None, ocr_seconds: float
) -> tuple[DocumentInfo, _ReadInvoice | None]:
    """OCR a scanned invoice sent as a JPEG, PNG or TIFF image; every value stays below the threshold."""
    pdf = read_image(attachment.payload, source=source, ocr=ocr, ocr_seconds=ocr_seconds)
    if not pdf.pages or not any(page.words for page in pdf.pages):
        if _INVOICE_NAME.search(attachment.filename) and pdf.problems:
            return DocumentInfo(attachment.index, "image", "afbeelding, niet gelezen"), _ReadInvoice(
                InvoiceFields(document_index=attachment.index), Party(), Party(), list(pdf.problems)
            )
        return DocumentInfo(attachment.index, "image", "afbeelding"), None
    kind, reason = classify_pdf(attachment.filename, pdf)
    if kind != "invoice":
        return DocumentInfo(attachment.index, "image", "afbeelding zonder factuur"), None
    fields, seller, buyer, problems = extract_invoice_fields(pdf, attachment.index, today=today, hints=hints)
    if not (fields.number.present or fields.total.present or fields.outstanding.present):
        return DocumentInfo(attachment.index, "image", "afbeelding zonder factuurnummer of bedrag"), None
    return DocumentInfo(attachment.index, "invoice", "gescande factuur (afbeelding, OCR)"), _ReadInvoice(
        fields, seller, buyer, list(pdf.problems) + problems, domains=document_domains(pdf.text)
    )


def _embedded_einvoice(pdf: PdfDocument, index: int, source: str, today: date) -> EInvoice | None:
    for name, payload in pdf.embedded_files:
        if einvoice_syntax(payload) is None:
            continue
        result = read_einvoice(payload, index, source=f"{source}/{name}", today=today)
        if result.syntax:
            return result
    return None


def _handle_hybrid_pdf(
    pdf: PdfDocument, structured: EInvoice, index: int, *, today: date, hints: ClientHints | None
) -> tuple[DocumentInfo, _ReadInvoice]:
    """Take a Factur-X / ZUGFeRD PDF's XML as the truth and cross-check its printed text."""
    read = _from_einvoice(structured)
    if any(page.words for page in pdf.pages):
        printed, _, _, _ = extract_invoice_fields(pdf, index, today=today, hints=hints)
        read = replace(read, problems=read.problems + _cross_check(structured.fields, printed, pdf.source))
    info = DocumentInfo(index, "einvoice", f"e-factuur in PDF ({structured.syntax} XML)")
    return info, replace(read, domains=document_domains(pdf.text))


def _from_einvoice(result: EInvoice) -> _ReadInvoice:
    return _ReadInvoice(result.fields, result.seller, result.buyer, list(result.problems), structured=bool(result.syntax))


def _cross_check(truth: InvoiceFields, printed: InvoiceFields, source: str) -> list[Problem]:
    """Compare the printed invoice number and total with the e-invoice's."""
    problems: list[Problem] = []
    if printed.number.present and truth.number.present and _normalised_number(printed.number.value) != _normalised_number(truth.number.value):
        what = f"factuurnummer {printed.number.value} in de PDF, {truth.number.value} in de XML"
        problems.append(Problem("einvoice_pdf_mismatch", MESSAGES["einvoice_pdf_mismatch"].format(what=what), field="invoice.number", source=printed.number.source or source))
    printed_total = printed.total if printed.total.present else printed.outstanding
    totals = {value.value for value in (truth.total, truth.outstanding) if value.present}
    if printed_total.present and totals and printed_total.value not in totals:
        shown = ", ".join(f"{value:.2f}" for value in sorted(totals))
        what = f"totaal {printed_total.value:.2f} in de PDF, {shown} in de XML"
        problems.append(Problem("einvoice_pdf_mismatch", MESSAGES["einvoice_pdf_mismatch"].format(what=what), field="invoice.total", source=printed_total.source or source))
    return problems


def _normalised_number(value: object) -> str:
    return re.sub(r"[\s\-/._]", "", str(value)).lstrip("0").upper()


def _merge_structured(read: list[_ReadInvoice]) -> list[_ReadInvoice]:
    """Keep one read per invoice: an e-invoice wins over its PDF rendering, which is cross-checked.

    A single PDF beside a single e-invoice is taken as its rendering even when its
    number differs, so that a misread number becomes a review reason, not a second claim.
    """
    structured = [item for item in read if item.structured]
    printed = [item for item in read if not item.structured]
    if structured:
        kept = list(structured)
        numbers = {_normalised_number(item.fields.number.value) for item in structured if item.fields.number.present}
        unmatched: list[_ReadInvoice] = []
        for item in printed:
            number = item.fields.number.value
            twin = next((s for s in structured if number and _normalised_number(s.fields.number.value) == _normalised_number(number)), None)
            if twin is None and len(structured) == 1 and len(printed) == 1 and _has_claim(item.fields):
                twin = structured[0]
            if twin is None:
                if not number or _normalised_number(number) not in numbers:
                    unmatched.append(item)
                continue
            checks = _cross_check(twin.fields, item.fields, item.fields.number.source)
            position = kept.index(twin)
            kept[position] = replace(twin, problems=twin.problems + checks, domains=twin.domains + item.domains)
        read = kept + unmatched
    return _without_duplicates(read)


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
    if _REMINDER_WORDS.search(head) and not re.search(r"^[ \t]*(factuur|invoice)[ \t]*\.?[ \t]*$", head, _I | re.MULTILINE):
        return "reminder", "herinnering of aanmaning"
    if _INVOICE_WORDS.search(text) and re.search(r"\d", text):
        return "invoice", "factuur herkend aan de tekst"
    return "other", "geen factuur herkend"


def _has_claim(fields: InvoiceFields) -> bool:
    return fields.total.present or fields.outstanding.present


def _without_duplicates(read: list[_ReadInvoice]) -> list[_ReadInvoice]:
    """Keep one read per invoice number (the same PDF attached twice)."""
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


def _client_problems(client: Party, mail: ParsedMail) -> list[Problem]:
    problems: list[Problem] = []
    if not client.name.present:
        problems.append(Problem("client_name_missing", MESSAGES["client_name_missing"], field="client.name"))
    if not client.email.present:
        problems.append(Problem("client_email_missing", MESSAGES["client_email_missing"], field="client.email", source="header:From"))
    return problems


def _debtor_is_sender(debtor: Party, signature: Party, hints: ClientHints | None) -> list[Problem]:
    """Flag a debtor whose name is the sender's own company (from the mail signature or earlier corrections)."""
    if not debtor.name.present:
        return []
    own_names = [signature.name.value, hints.name if hints is not None else None]
    debtor_key = _company_key(str(debtor.name.value))
    for name in own_names:
        if name and debtor_key and _company_key(str(name)) == debtor_key:
            message = MESSAGES["debtor_is_sender"].format(name=debtor.name.value)
            return [Problem("debtor_is_sender", message, field="debtor.name", source=debtor.name.source)]
    return []


def _company_key(name: str) -> str:
    """Return a company name without legal form, punctuation and case, for comparison."""
    lowered = re.sub(r"\b(b\.?\s?v\.?|n\.?\s?v\.?|v\.?o\.?f\.?|c\.?v\.?|holding)(?=\W|$)", " ", name.lower())
    return re.sub(r"[\W_]+", "", lowered)


def _debtor_problems(debtor: Party) -> list[Problem]:
    problems: list[Problem] = []
    if not debtor.name.present:
        problems.append(Problem("debtor_name_missing", MESSAGES["debtor_name_missing"], field="debtor.name"))
    if not (debtor.street.present and debtor.postcode.present and debtor.city.present):
        problems.append(Problem("debtor_address_missing", MESSAGES["debtor_address_missing"], field="debtor.street", source=debtor.name.source))
    if debtor.name.present and (not debtor.kind.present or debtor.kind.confidence < ACCEPT_CONFIDENCE):
        problems.append(Problem("debtor_kind_unsure", MESSAGES["debtor_kind_unsure"], field="debtor.kind", source=debtor.kind.source))
    return problems


def _with_invoice_paths(problems: list[Problem], invoices: tuple[InvoiceFields, ...]) -> list[Problem]:
    """Rename "invoice.total" of a document's problem to the path of its claim, "invoices[1].total"."""
    renamed: list[Problem] = []
    for problem in problems:
        if problem.field.startswith("invoice."):
            position = _invoice_position(problem.source, invoices)
            if position is not None:
                problem = replace(problem, field=f"invoices[{position}].{problem.field.removeprefix('invoice.')}")
        renamed.append(problem)
    return renamed


def _invoice_position(source: str, invoices: tuple[InvoiceFields, ...]) -> int | None:
    if source.startswith("body"):
        return next((position for position, invoice in enumerate(invoices) if invoice.document_index is None), None)
    match = re.match(r"attachment\[(\d+)\]", source)
    if match is None:
        return 0 if len(invoices) == 1 else None
    index = int(match.group(1))
    found = next((position for position, invoice in enumerate(invoices) if invoice.document_index == index), None)
    if found is None and len(invoices) == 1:
        return 0  # a rendering cross-checked against the one e-invoice of the mail
    return found


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str, str]] = set()
    unique: list[Problem] = []
    for problem in problems:
        key = (problem.code, problem.field, problem.source)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique
