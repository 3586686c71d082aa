"""Structured e-invoices: UBL 2.1 / SI-UBL 2.0 / Peppol BIS 3 invoice XML to invoice fields.

Values in a UBL invoice are typed by the standard, so they get a high confidence; the
party identifiers are still checked (KvK 8 digits, IBAN mod 97) like printed ones.
Documents with a DOCTYPE are rejected to rule out entity-expansion attacks.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ElementTree
from datetime import date
from decimal import Decimal, InvalidOperation

from parsers.dutch import is_valid_iban, is_valid_kvk, normalise_iban, normalise_postcode, normalise_vat_id
from parsers.model import Field, InvoiceFields, Party, Problem
from parsers.parties import debtor_kind

logger = logging.getLogger(__name__)

_NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
UBL_CONFIDENCE = 0.95
KVK_SCHEME = "0106"  # ISO 6523 code of the Dutch KvK register


def is_ubl_invoice(data: bytes) -> bool:
    """Tell whether the bytes look like a UBL Invoice document."""
    head = data[:4096]
    return b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" in head and b"<!DOCTYPE" not in head


def read_ubl_invoice(
    data: bytes, document_index: int, *, source: str, today: date | None = None
) -> tuple[InvoiceFields, Party, Party, list[Problem]]:
    """Read number, dates, amounts and both parties from a UBL invoice; never raises on bad XML."""
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        return InvoiceFields(document_index=document_index), Party(), Party(), [_unreadable(source, "DOCTYPE niet toegestaan")]
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        logger.info("UBL invoice could not be parsed: %s", error)
        return InvoiceFields(document_index=document_index), Party(), Party(), [_unreadable(source, "ongeldige XML")]

    def text(path: str, element: ElementTree.Element = root) -> str:
        found = element.find(path, _NS)
        return (found.text or "").strip() if found is not None and found.text else ""

    def field(value: object, path: str) -> Field:
        if value is None or value == "":
            return Field()
        return Field(value, UBL_CONFIDENCE, f"{source}#xpath={path}")

    due_path = "cbc:DueDate" if text("cbc:DueDate") else "cac:PaymentMeans/cbc:PaymentDueDate"
    invoice = InvoiceFields(
        number=field(text("cbc:ID"), "cbc:ID"),
        date=field(_date(text("cbc:IssueDate")), "cbc:IssueDate"),
        due_date=field(_date(text(due_path)), due_path),
        subtotal=field(_amount(text("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount")), "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"),
        vat=field(_amount(text("cac:TaxTotal/cbc:TaxAmount")), "cac:TaxTotal/cbc:TaxAmount"),
        total=field(_amount(text("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")), "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
        outstanding=field(_amount(text("cac:LegalMonetaryTotal/cbc:PayableAmount")), "cac:LegalMonetaryTotal/cbc:PayableAmount"),
        currency=field(text("cbc:DocumentCurrencyCode") or None, "cbc:DocumentCurrencyCode"),
        document_index=document_index,
    )
    seller = _party(root.find("cac:AccountingSupplierParty/cac:Party", _NS), source, "cac:AccountingSupplierParty")
    iban = text("cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID")
    if iban and is_valid_iban(iban):
        seller = _replace_field(seller, "iban", Field(normalise_iban(iban), UBL_CONFIDENCE, f"{source}#xpath=cac:PaymentMeans"))
    buyer = _party(root.find("cac:AccountingCustomerParty/cac:Party", _NS), source, "cac:AccountingCustomerParty", debtor=True)

    problems: list[Problem] = []
    if not invoice.number.present:
        problems.append(Problem("invoice_number_missing", "Factuurnummer niet gevonden", field="invoice.number", source=source))
    if not (invoice.outstanding.present or invoice.total.present):
        problems.append(Problem("invoice_total_missing", "Totaalbedrag niet gevonden", field="invoice.total", source=source))
    if today is not None and invoice.date.present and invoice.date.value > today:
        problems.append(Problem("invoice_date_unsure", "Factuurdatum onzeker (factuurdatum ligt in de toekomst)", field="invoice.date", source=source))
    return invoice, seller, buyer, problems


def _party(element: ElementTree.Element | None, source: str, path: str, *, debtor: bool = False) -> Party:
    if element is None:
        return Party()

    def text(sub: str) -> str:
        found = element.find(sub, _NS)
        return (found.text or "").strip() if found is not None and found.text else ""

    def field(value: str | None, sub: str) -> Field[str]:
        if not value:
            return Field()
        return Field(value, UBL_CONFIDENCE, f"{source}#xpath={path}/cac:Party/{sub}")

    name = text("cac:PartyLegalEntity/cbc:RegistrationName") or text("cac:PartyName/cbc:Name")
    kvk = ""
    for company in element.findall("cac:PartyLegalEntity/cbc:CompanyID", _NS):
        if company.get("schemeID") == KVK_SCHEME and is_valid_kvk(company.text or ""):
            kvk = (company.text or "").strip()
    vat_id = normalise_vat_id(text("cac:PartyTaxScheme/cbc:CompanyID"))
    postcode_text = text("cac:PostalAddress/cbc:PostalZone")
    country = text("cac:PostalAddress/cac:Country/cbc:IdentificationCode")
    postcode = normalise_postcode(postcode_text) if country in ("", "NL") else postcode_text
    street = " ".join(part for part in (text("cac:PostalAddress/cbc:StreetName"), text("cac:PostalAddress/cbc:BuildingNumber")) if part)
    party = Party(
        name=field(name, "cac:PartyLegalEntity/cbc:RegistrationName"),
        contact=field(text("cac:Contact/cbc:Name"), "cac:Contact/cbc:Name"),
        kvk=field(kvk, "cac:PartyLegalEntity/cbc:CompanyID"),
        vat_id=field(vat_id, "cac:PartyTaxScheme/cbc:CompanyID"),
        email=field(text("cac:Contact/cbc:ElectronicMail").lower(), "cac:Contact/cbc:ElectronicMail"),
        phone=field(text("cac:Contact/cbc:Telephone"), "cac:Contact/cbc:Telephone"),
        street=field(street, "cac:PostalAddress/cbc:StreetName"),
        postcode=field(postcode, "cac:PostalAddress/cbc:PostalZone"),
        city=field(text("cac:PostalAddress/cbc:CityName"), "cac:PostalAddress/cbc:CityName"),
        country=field(country, "cac:PostalAddress/cac:Country"),
    )
    if debtor:
        kind, confidence, note = debtor_kind(name, has_company_id=bool(kvk or vat_id))
        party = _replace_field(party, "kind", Field(kind, confidence, f"{source}#xpath={path}", note))
    return party


def _replace_field(party: Party, name: str, value: Field) -> Party:
    from dataclasses import replace

    return replace(party, **{name: value})


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _amount(text: str) -> Decimal | None:
    try:
        return Decimal(text).quantize(Decimal("0.01")) if text else None
    except InvalidOperation:
        return None


def _unreadable(source: str, reason: str) -> Problem:
    return Problem("einvoice_unreadable", f"De e-factuur (XML) kon niet gelezen worden: {reason}", source=source)
