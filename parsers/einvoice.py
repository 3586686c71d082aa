"""Structured e-invoices: UBL and UN/CEFACT CII XML to invoice fields and parties.

Reads UBL 2.0 / 2.1 invoices and credit notes (SI-UBL 2.0, Peppol BIS Billing 3,
EN 16931), UN/CEFACT Cross Industry Invoice D16B (NLCIUS CII, Factur-X, ZUGFeRD 2,
XRechnung CII) and the older ZUGFeRD 1.0 CrossIndustryDocument. Values in an e-invoice
are typed by its standard, so they get a high confidence; the checks a printed invoice
gets (subtotal + VAT = total, due date after the invoice date, KvK and IBAN formats)
still apply and lower it where they fail. Documents with a DOCTYPE are rejected by the
parser itself (defusedxml with `forbid_dtd`), whatever their encoding, so entity
expansion and external entities never run.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from parsers.dutch import format_city, is_valid_iban, is_valid_kvk, is_valid_vat_id, normalise_iban, normalise_postcode, normalise_vat_id
from parsers.model import Field, InvoiceFields, Party, Problem
from parsers.parties import debtor_kind

logger = logging.getLogger(__name__)

UBL_CONFIDENCE = 0.95
# Confidence of an e-invoice value that failed one of the consistency checks.
FAILED_CHECK_CONFIDENCE = 0.6
KVK_SCHEME = "0106"  # ISO 6523 code of the Dutch KvK register
# UNTDID 1001 document type codes that mean a credit note rather than a claim.
CREDIT_NOTE_CODES = {"381", "396", "81", "83", "532"}

_UBL_INVOICE_NS = b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_UBL_CREDIT_NS = b"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_CII_NS = b"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_ZUGFERD1_NS = b"urn:ferd:CrossIndustryDocument:invoice:1p0"
_TERM_DAYS = re.compile(r"(\d{1,3})\s*(?:dagen|days|dgn|tage)\b", re.IGNORECASE)

MESSAGES = {
    "credit_note": "Dit is een creditnota, geen factuur: het bedrag is een tegoed van de debiteur en geen vordering",
    "no_payment_means": "De e-factuur vermeldt geen betaalwijze of rekeningnummer; het IBAN van de cliënt staat er niet in",
    "totals_disagree": "subtotaal + btw is niet gelijk aan het totaal in de e-factuur",
    "payable_disagrees": "te betalen bedrag is niet gelijk aan totaal min vooruitbetaald",
}


@dataclass(frozen=True)
class EInvoice:
    """What one e-invoice yielded: fields, both parties, problems and what kind of document it is."""

    fields: InvoiceFields
    seller: Party
    buyer: Party
    problems: tuple[Problem, ...]
    syntax: str  # "UBL", "CII" or "ZUGFeRD 1"
    credit_note: bool = False


def einvoice_syntax(data: bytes) -> str | None:
    """Return "UBL", "CII" or "ZUGFeRD 1" when the bytes look like an e-invoice, else None.

    UTF-16 and UTF-32 documents are recognised by their byte order mark or first bytes.
    A document with a DOCTYPE is no e-invoice (and `read_einvoice` rejects it).
    """
    head = _ascii_head(data, 8192)
    if b"<!DOCTYPE" in head:
        return None
    if _UBL_INVOICE_NS in head or _UBL_CREDIT_NS in head:
        return "UBL"
    if _CII_NS in head:
        return "CII"
    if _ZUGFERD1_NS in head or b"CrossIndustryDocument" in head:
        return "ZUGFeRD 1"
    return None


def is_ubl_invoice(data: bytes) -> bool:
    """Tell whether the bytes look like a UBL Invoice document."""
    head = _ascii_head(data, 4096)
    return _UBL_INVOICE_NS in head and b"<!DOCTYPE" not in head


# XML encodings that are not ASCII-compatible, by the first bytes of "<?xml" or a byte
# order mark (XML 1.0, appendix F).
_WIDE_ENCODINGS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)


def _ascii_head(data: bytes, characters: int) -> bytes:
    """Return about the first `characters` characters of an XML document as ASCII bytes."""
    for prefix, codec in _WIDE_ENCODINGS:
        if data.startswith(prefix):
            width = 4 if "32" in codec else 2
            text = data[: characters * width].decode(codec, errors="replace")
            return text.encode("ascii", errors="replace")
    return data[:characters]


def read_ubl_invoice(
    data: bytes, document_index: int, *, source: str, today: date | None = None
) -> tuple[InvoiceFields, Party, Party, list[Problem]]:
    """Read a UBL invoice; kept for callers of the first version, see `read_einvoice`."""
    result = read_einvoice(data, document_index, source=source, today=today)
    return result.fields, result.seller, result.buyer, list(result.problems)


def read_einvoice(data: bytes, document_index: int | None, *, source: str, today: date | None = None) -> EInvoice:
    """Read number, dates, amounts and both parties from UBL or CII XML; never raises on bad XML."""
    empty = InvoiceFields(document_index=document_index)
    try:
        root = defused_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        logger.info("e-invoice XML rejected: %s", type(error).__name__)
        return EInvoice(empty, Party(), Party(), (_unreadable(source, "DOCTYPE niet toegestaan"),), "")
    except ElementTree.ParseError as error:
        logger.info("e-invoice XML could not be parsed: %s", error)
        return EInvoice(empty, Party(), Party(), (_unreadable(source, "ongeldige XML"),), "")

    _strip_namespaces(root)
    if root.tag in ("Invoice", "CreditNote"):
        result = _read_ubl(root, document_index, source)
    elif root.tag in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        result = _read_cii(root, document_index, source)
    else:
        return EInvoice(empty, Party(), Party(), (_unreadable(source, f"onbekend documenttype {root.tag}"),), "")
    return _checked(result, source, today)


def _strip_namespaces(root: ElementTree.Element) -> None:
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]


class _Reader:
    """Typed access to one XML tree with namespace-free paths, recording each value's path."""

    def __init__(self, root: ElementTree.Element, source: str) -> None:
        self.root = root
        self.source = source

    def text(self, *paths: str, element: ElementTree.Element | None = None) -> tuple[str, str]:
        base = self.root if element is None else element
        for path in paths:
            found = base.find(path)
            if found is not None and found.text and found.text.strip():
                return found.text.strip(), path
        return "", paths[0] if paths else ""

    def field(self, value: object, path: str, prefix: str = "") -> Field:
        if value is None or value == "":
            return Field()
        place = f"{prefix}/{path}" if prefix else path
        return Field(value, UBL_CONFIDENCE, f"{self.source}#xpath=/{self.root.tag}/{place}")


def _read_ubl(root: ElementTree.Element, document_index: int | None, source: str) -> EInvoice:
    reader = _Reader(root, source)
    credit = root.tag == "CreditNote"
    type_code, _ = reader.text("InvoiceTypeCode", "CreditNoteTypeCode")
    credit = credit or type_code in CREDIT_NOTE_CODES
    currency, _ = reader.text("DocumentCurrencyCode")

    number, number_path = reader.text("ID")
    issued, issued_path = reader.text("IssueDate")
    due_text, due_path = reader.text("DueDate", "PaymentMeans/PaymentDueDate", "PaymentTerms/PaymentDueDate")
    subtotal, subtotal_path = reader.text("LegalMonetaryTotal/TaxExclusiveAmount")
    total, total_path = reader.text("LegalMonetaryTotal/TaxInclusiveAmount")
    payable, payable_path = reader.text("LegalMonetaryTotal/PayableAmount")
    prepaid, _ = reader.text("LegalMonetaryTotal/PrepaidAmount")
    vat, vat_path = _tax_in_currency(root, "TaxTotal/TaxAmount", currency)

    invoice = InvoiceFields(
        number=reader.field(number, number_path),
        date=reader.field(_date(issued), issued_path),
        due_date=reader.field(_date(due_text), due_path),
        subtotal=_amount_field(reader, subtotal, subtotal_path),
        vat=_amount_field(reader, vat, vat_path),
        total=_amount_field(reader, total, total_path),
        outstanding=_amount_field(reader, payable, payable_path),
        currency=reader.field(currency or None, "DocumentCurrencyCode"),
        document_index=document_index,
    )
    if not invoice.due_date.present:
        term_text, term_path = reader.text("PaymentTerms/Note")
        invoice = _due_from_term(invoice, term_text, reader.field(term_text, term_path).source)
    invoice = _with_prepaid_note(invoice, prepaid)

    seller_element = root.find("AccountingSupplierParty/Party")
    buyer_element = root.find("AccountingCustomerParty/Party")
    seller = _ubl_party(reader, seller_element, "AccountingSupplierParty/Party", debtor=False)
    buyer = _ubl_party(reader, buyer_element, "AccountingCustomerParty/Party", debtor=True)

    problems: list[Problem] = []
    iban, iban_path = reader.text("PaymentMeans/PayeeFinancialAccount/ID")
    if iban and is_valid_iban(iban):
        seller = replace(seller, iban=reader.field(normalise_iban(iban), iban_path))
    if root.find("PaymentMeans") is None:
        problems.append(Problem("einvoice_no_payment_means", MESSAGES["no_payment_means"], field="client.iban", source=source, blocking=False))
    return EInvoice(invoice, seller, buyer, tuple(problems), "UBL", credit)


def _ubl_party(reader: _Reader, element: ElementTree.Element | None, path: str, *, debtor: bool) -> Party:
    if element is None:
        return Party()

    def value(*subpaths: str) -> tuple[str, str]:
        return reader.text(*subpaths, element=element)

    def field(text: str | None, subpath: str) -> Field[str]:
        return reader.field(text or None, subpath, prefix=path)

    name, name_path = value("PartyLegalEntity/RegistrationName", "PartyName/Name")
    kvk = ""
    kvk_path = "PartyLegalEntity/CompanyID"
    for company in [*element.findall("PartyLegalEntity/CompanyID"), *element.findall("PartyIdentification/ID")]:
        text = (company.text or "").strip()
        if company.get("schemeID") in (KVK_SCHEME, "NL:KVK") and is_valid_kvk(text):
            kvk = text
            break
    vat_text, vat_path = value("PartyTaxScheme/CompanyID")
    vat_id = normalise_vat_id(vat_text) if vat_text and is_valid_vat_id(vat_text) else ""
    country, country_path = value("PostalAddress/Country/IdentificationCode")
    postcode_text, postcode_path = value("PostalAddress/PostalZone")
    postcode = normalise_postcode(postcode_text) if country in ("", "NL") else postcode_text
    street_name, street_path = value("PostalAddress/StreetName")
    building, _ = value("PostalAddress/BuildingNumber")
    street = " ".join(part for part in (street_name, building) if part)
    city, city_path = value("PostalAddress/CityName")
    email, email_path = value("Contact/ElectronicMail")
    contact, contact_path = value("Contact/Name")
    phone, phone_path = value("Contact/Telephone")

    party = Party(
        name=field(name, name_path),
        contact=field(contact, contact_path),
        kvk=field(kvk, kvk_path),
        vat_id=field(vat_id, vat_path),
        email=field(email.lower(), email_path),
        phone=field(phone, phone_path),
        street=field(street, street_path),
        postcode=field(postcode, postcode_path),
        city=field(format_city(city) if city else "", city_path),
        country=field(country or ("NL" if postcode and normalise_postcode(postcode) else ""), country_path),
    )
    if debtor:
        kind, confidence, note = debtor_kind(name, has_company_id=bool(kvk or vat_id))
        party = replace(party, kind=Field(kind, confidence, reader.field("x", path, prefix="").source, note))
    return party


def _read_cii(root: ElementTree.Element, document_index: int | None, source: str) -> EInvoice:
    reader = _Reader(root, source)
    # CII D16B names (Factur-X, ZUGFeRD 2, NLCIUS) first, then ZUGFeRD 1.0 names.
    document = "ExchangedDocument" if root.find("ExchangedDocument") is not None else "HeaderExchangedDocument"
    transaction = (
        "SupplyChainTradeTransaction" if root.find("SupplyChainTradeTransaction") is not None else "SpecifiedSupplyChainTradeTransaction"
    )
    agreement = f"{transaction}/ApplicableHeaderTradeAgreement"
    if root.find(agreement) is None:
        agreement = f"{transaction}/ApplicableSupplyChainTradeAgreement"
    settlement = f"{transaction}/ApplicableHeaderTradeSettlement"
    if root.find(settlement) is None:
        settlement = f"{transaction}/ApplicableSupplyChainTradeSettlement"
    summation = f"{settlement}/SpecifiedTradeSettlementHeaderMonetarySummation"
    if root.find(summation) is None:
        summation = f"{settlement}/SpecifiedTradeSettlementMonetarySummation"

    type_code, _ = reader.text(f"{document}/TypeCode")
    currency, currency_path = reader.text(f"{settlement}/InvoiceCurrencyCode")
    number, number_path = reader.text(f"{document}/ID")
    issued, issued_path = reader.text(f"{document}/IssueDateTime/DateTimeString")
    due_text, due_path = reader.text(f"{settlement}/SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString")
    subtotal, subtotal_path = reader.text(f"{summation}/TaxBasisTotalAmount")
    total, total_path = reader.text(f"{summation}/GrandTotalAmount")
    payable, payable_path = reader.text(f"{summation}/DuePayableAmount")
    prepaid, _ = reader.text(f"{summation}/TotalPrepaidAmount")
    vat, vat_path = _tax_in_currency(root, f"{summation}/TaxTotalAmount", currency)

    invoice = InvoiceFields(
        number=reader.field(number, number_path),
        date=reader.field(_cii_date(issued), issued_path),
        due_date=reader.field(_cii_date(due_text), due_path),
        subtotal=_amount_field(reader, subtotal, subtotal_path),
        vat=_amount_field(reader, vat, vat_path),
        total=_amount_field(reader, total, total_path),
        outstanding=_amount_field(reader, payable, payable_path),
        currency=reader.field(currency or None, currency_path),
        document_index=document_index,
    )
    if not invoice.due_date.present:
        term_text, term_path = reader.text(f"{settlement}/SpecifiedTradePaymentTerms/Description")
        invoice = _due_from_term(invoice, term_text, reader.field(term_text, term_path).source)
    invoice = _with_prepaid_note(invoice, prepaid)

    seller_path = f"{agreement}/SellerTradeParty"
    buyer_path = f"{agreement}/BuyerTradeParty"
    seller = _cii_party(reader, root.find(seller_path), seller_path, debtor=False)
    buyer = _cii_party(reader, root.find(buyer_path), buyer_path, debtor=True)

    problems: list[Problem] = []
    iban_path = f"{settlement}/SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/IBANID"
    iban, _ = reader.text(iban_path)
    if iban and is_valid_iban(iban):
        seller = replace(seller, iban=reader.field(normalise_iban(iban), iban_path))
    if root.find(f"{settlement}/SpecifiedTradeSettlementPaymentMeans") is None:
        problems.append(Problem("einvoice_no_payment_means", MESSAGES["no_payment_means"], field="client.iban", source=source, blocking=False))
    syntax = "CII" if root.tag == "CrossIndustryInvoice" else "ZUGFeRD 1"
    return EInvoice(invoice, seller, buyer, tuple(problems), syntax, type_code in CREDIT_NOTE_CODES)


def _cii_party(reader: _Reader, element: ElementTree.Element | None, path: str, *, debtor: bool) -> Party:
    if element is None:
        return Party()

    def value(*subpaths: str) -> tuple[str, str]:
        return reader.text(*subpaths, element=element)

    def field(text: str | None, subpath: str) -> Field[str]:
        return reader.field(text or None, subpath, prefix=path)

    name, name_path = value("Name")
    kvk = ""
    kvk_path = "SpecifiedLegalOrganization/ID"
    for identifier in element.findall("SpecifiedLegalOrganization/ID"):
        text = (identifier.text or "").strip()
        if identifier.get("schemeID") == KVK_SCHEME and is_valid_kvk(text):
            kvk = text
    vat_id = ""
    vat_path = "SpecifiedTaxRegistration/ID"
    for registration in element.findall("SpecifiedTaxRegistration/ID"):
        text = (registration.text or "").strip()
        if registration.get("schemeID", "VA") == "VA" and is_valid_vat_id(text):
            vat_id = normalise_vat_id(text)
    country, country_path = value("PostalTradeAddress/CountryID")
    postcode_text, postcode_path = value("PostalTradeAddress/PostcodeCode")
    postcode = normalise_postcode(postcode_text) if country in ("", "NL") else postcode_text
    street, street_path = value("PostalTradeAddress/LineOne")
    city, city_path = value("PostalTradeAddress/CityName")
    email, email_path = value(
        "URIUniversalCommunication/URIID", "DefinedTradeContact/EmailURIUniversalCommunication/URIID"
    )
    contact, contact_path = value("DefinedTradeContact/PersonName")
    phone, phone_path = value("DefinedTradeContact/TelephoneUniversalCommunication/CompleteNumber")

    party = Party(
        name=field(name, name_path),
        contact=field(contact, contact_path),
        kvk=field(kvk, kvk_path),
        vat_id=field(vat_id, vat_path),
        email=field(email.lower() if "@" in email else "", email_path),
        phone=field(phone, phone_path),
        street=field(street.rstrip(" ,"), street_path),
        postcode=field(postcode, postcode_path),
        city=field(format_city(city) if city else "", city_path),
        country=field(country, country_path),
    )
    if debtor:
        kind, confidence, note = debtor_kind(name, has_company_id=bool(kvk or vat_id))
        party = replace(party, kind=Field(kind, confidence, reader.field("x", path).source, note))
    return party


def _tax_in_currency(root: ElementTree.Element, path: str, currency: str) -> tuple[str, str]:
    """Return the VAT total in the document currency (a second total may be in the tax currency)."""
    candidates = root.findall(path)
    for element in candidates:
        if element.text and element.text.strip() and element.get("currencyID", currency) == currency:
            return element.text.strip(), path
    for element in candidates:
        if element.text and element.text.strip():
            return element.text.strip(), path
    return "", path


def _due_from_term(invoice: InvoiceFields, term_text: str, source: str) -> InvoiceFields:
    match = _TERM_DAYS.search(term_text)
    if not match or not invoice.date.present:
        return invoice
    days = int(match.group(1))
    due = Field(invoice.date.value + timedelta(days=days), 0.9, source, f"berekend: factuurdatum + {days} dagen")
    return replace(invoice, due_date=due, payment_term_days=Field(days, 0.9, source))


def _with_prepaid_note(invoice: InvoiceFields, prepaid: str) -> InvoiceFields:
    amount = _amount(prepaid)
    if amount and invoice.outstanding.present:
        return replace(invoice, outstanding=replace(invoice.outstanding, note=f"vooruitbetaald {amount}"))
    return invoice


def _checked(result: EInvoice, source: str, today: date | None) -> EInvoice:
    """Apply the consistency checks and add the problems of missing or contradicting values."""
    invoice = result.fields
    problems = list(result.problems)

    if invoice.subtotal.present and invoice.vat.present and invoice.total.present:
        if invoice.subtotal.value + invoice.vat.value != invoice.total.value:
            invoice = replace(invoice, total=_lowered(invoice.total, MESSAGES["totals_disagree"]))
    if invoice.total.present and invoice.outstanding.present and invoice.outstanding.value > invoice.total.value:
        invoice = replace(invoice, outstanding=_lowered(invoice.outstanding, MESSAGES["payable_disagrees"]))
    if invoice.date.present and today is not None and invoice.date.value > today:
        invoice = replace(invoice, date=_lowered(invoice.date, "factuurdatum ligt in de toekomst"))
    if invoice.date.present and invoice.due_date.present and invoice.due_date.value < invoice.date.value:
        invoice = replace(invoice, due_date=_lowered(invoice.due_date, "vervaldatum ligt voor de factuurdatum"))

    if not invoice.number.present:
        problems.append(Problem("invoice_number_missing", "Factuurnummer niet gevonden", field="invoice.number", source=source))
    if not (invoice.outstanding.present or invoice.total.present):
        problems.append(Problem("invoice_total_missing", "Totaalbedrag niet gevonden", field="invoice.total", source=source))
    if result.credit_note:
        problems.append(Problem("einvoice_credit_note", MESSAGES["credit_note"], field="invoice.outstanding", source=source))
    return replace(result, fields=invoice, problems=tuple(problems))


def _lowered(value: Field, note: str) -> Field:
    return replace(value, confidence=min(value.confidence, FAILED_CHECK_CONFIDENCE), note=note)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _cii_date(text: str) -> date | None:
    """Parse a CII date in format 102 (20141110); ISO dates are accepted too."""
    if re.fullmatch(r"\d{8}", text):
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            return None
    return _date(text)


# xsd:decimal, the type of every UBL and CII amount: no exponent, no thousands separator.
_XSD_DECIMAL = re.compile(r"[+-]?(?:\d{1,15}(?:\.\d*)?|\.\d+)")


def _amount(text: str) -> Decimal | None:
    """Return an xsd:decimal amount rounded to cents, or None for anything else ("1E+6", "NaN", "1.210,00")."""
    if not _XSD_DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _amount_field(reader: _Reader, text: str, path: str) -> Field:
    """Return an amount as a field, lowered when it had to be rounded to cents.

    EN 16931 allows at most two decimals in document amounts, so "1210.004999" is a
    malformed or crafted value, and the rounded 1210.00 is not trusted.
    """
    value = _amount(text)
    found = reader.field(value, path)
    if value is not None and Decimal(text) != value:
        return _lowered(found, f"bedrag {text} heeft meer dan twee decimalen")
    return found


def _unreadable(source: str, reason: str) -> Problem:
    return Problem("einvoice_unreadable", f"De e-factuur (XML) kon niet gelezen worden: {reason}", source=source)
