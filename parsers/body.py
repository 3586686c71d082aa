"""Claim facts typed in a mail body, and the client's signature under it.

Clients without an invoice PDF write "Debiteur: …", "Adres: …", "Factuurnummer: …" and
"Openstaand bedrag: …" lines; the invoice fields are read with the same label rules as
a PDF, the debtor from its own labels. The signature after a closing ("Met vriendelijke
groet") gives the client's company name, KvK number and phone.
"""

from __future__ import annotations

import re
from datetime import date

from parsers.dutch import POSTCODE_CITY, find_amounts, find_dates, format_city, is_valid_kvk, normalise_kvk, normalise_postcode
from parsers.invoice import fields_from_lines
from parsers.layout import text_lines
from parsers.model import Field, InvoiceFields, Party, Problem
from parsers.parties import LEGAL_FORM, debtor_kind

_I = re.IGNORECASE
SOURCE = "body:text"

_CLOSINGS = re.compile(
    r"^\s*(met\s+vriendelijke\s+groet(en)?|vriendelijke\s+groet(en)?|hartelijke\s+groet(en)?|groet(en)?|mvg|m\.v\.g\.|"
    r"kind\s+regards|best\s+regards|regards|met\s+groet)\s*,?\s*$",
    _I,
)
# Lines that start quoted or forwarded text, which is not the client's own writing.
_QUOTE_START = re.compile(r"^\s*(>|-{2,}\s*(original|oorspronkelijk|doorgestuurd|forwarded)|op .+ schreef .+:$|on .+ wrote:$|van:\s|from:\s)", _I)
_LABELLED = re.compile(r"^\s*(?P<label>[A-Za-zÀ-ÿ.\- ]{2,30}?)\s*:\s*(?P<value>.+?)\s*$")
_DEBTOR_LABELS = {"debiteur", "naam debiteur", "klant", "afnemer", "naam", "bedrijf", "bedrijfsnaam", "debtor", "customer"}
_ADDRESS_LABELS = {"adres", "address", "straat", "adres debiteur", "factuuradres"}
_POSTCODE_LABELS = {"postcode", "postcode en plaats", "postcode/plaats", "plaats", "woonplaats"}
_EMAIL_LABELS = {"e-mail", "email", "e-mailadres", "mail"}
_PHONE_LABELS = {"telefoon", "tel", "tel.", "telefoonnummer", "mobiel", "phone"}
_CONTACT_LABELS = {"t.a.v.", "tav", "contactpersoon", "contact", "ter attentie van"}
_KVK_LABELS = {"kvk", "kvk-nummer", "kvk nummer", "kvk-nr", "kvk nr"}
_BTW_LABELS = {"btw", "btw-nummer", "btw-id", "btw nummer", "btw-nr", "vat"}
# Anchored at the start of a run and bounded, so a long run of word characters without
# an "@" is scanned once instead of once per start position (which was quadratic).
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63})+")
_PHONE = re.compile(r"(?:(?:tel(?:efoon)?|t|m|mob(?:iel)?|phone)\.?\s*:?\s*)?(\+31[\d \-()]{8,14}\d|0\d[\d \-]{7,11}\d)", _I)
_KVK = re.compile(r"\b(?:kvk|k\.v\.k\.?|kamer\s+van\s+koophandel)\b[^\d\n]{0,20}?(\d{2}\s?\.?\d{2}\s?\.?\d{2}\s?\.?\d{2})(?!\d)", _I)


def own_text(text: str) -> str:
    """Return the body without quoted replies and forwarded text."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_START.match(line):
            break
        kept.append(line)
    return "\n".join(kept)


def extract_body_claim(text: str, *, today: date | None) -> tuple[InvoiceFields, Party, list[Problem]]:
    """Read the invoice fields and the debtor from a claim written in the mail body.

    Labelled lines ("Factuurnummer: …") come first; without them a claim written as a
    sentence ("factuur 2026-0012 van 3 maart ad € 1.234,56 staat nog open") is read.
    """
    body = own_text(text)
    invoice, problems = fields_from_lines(text_lines(body), source=SOURCE, document_index=None, today=today)
    if not (invoice.total.present or invoice.outstanding.present):
        sentence = sentence_claim(body, today=today)
        if sentence is not None:
            invoice = sentence
            problems = [problem for problem in problems if problem.field not in _sentence_fields(sentence)]
    return invoice, body_debtor(body), problems


def _sentence_fields(invoice: InvoiceFields) -> set[str]:
    return {f"invoice.{name}" for name in ("number", "date", "total") if getattr(invoice, name).present}


_SENTENCE_INVOICE = re.compile(
    r"\b(?:factuur|nota|invoice)(?:nummer|nr\.?)?\s*(?:nr\.?|nummer|no\.?|number|#)?\s*:?\s*(?P<number>[A-Za-z]{0,5}[-/]?\d[\w\-/.]*[\w])",
    _I,
)
_OPEN_WORDS = re.compile(r"\b(open|openstaand|onbetaald|niet\s+betaald|nog\s+niet\s+(?:voldaan|betaald)|unpaid|outstanding)\b", _I)
_DAY_MONTH = re.compile(
    r"(?<![\w])(?P<d>\d{1,2})\s+(?P<m>januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec)\.?(?!\s*\d)",
    _I,
)
_MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "maart": 3, "mrt": 3, "april": 4, "apr": 4, "mei": 5,
    "juni": 6, "jun": 6, "juli": 7, "jul": 7, "augustus": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
# Confidence of a value read from a free sentence, and of a date whose year was inferred.
SENTENCE_CONFIDENCE = 0.85
INFERRED_YEAR_CONFIDENCE = 0.7


def sentence_claim(text: str, *, today: date | None) -> InvoiceFields | None:
    """Read an invoice number, date and amount from a sentence that names an invoice and an amount in euros."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SENTENCE_INVOICE.search(line)
        if match is None or find_dates(match.group("number")):
            continue
        rest = line[match.end() :]
        amounts = [found for found in find_amounts(rest) if found.has_currency]
        if not amounts:
            continue
        source = f"{SOURCE}#line={number}"
        amount = Field(amounts[0].value, SENTENCE_CONFIDENCE, source, "uit een zin in de mail")
        invoice_date = _sentence_date(rest[: amounts[0].start], today, source)
        still_open = bool(_OPEN_WORDS.search(line))
        return InvoiceFields(
            number=Field(match.group("number").rstrip("."), SENTENCE_CONFIDENCE, source, "uit een zin in de mail"),
            date=invoice_date,
            total=amount,
            outstanding=amount if still_open else Field(),
            currency=Field("EUR", SENTENCE_CONFIDENCE, source),
            document_index=None,
        )
    return None


def _sentence_date(text: str, today: date | None, source: str) -> Field:
    found = find_dates(text)
    if found:
        return Field(found[0].value, SENTENCE_CONFIDENCE, source, "uit een zin in de mail")
    match = _DAY_MONTH.search(text)
    if match is None or today is None:
        return Field()
    month = _MONTHS[match.group("m").lower()]
    try:
        value = date(today.year, month, int(match.group("d")))
        if value > today:
            value = date(today.year - 1, month, int(match.group("d")))
    except ValueError:
        return Field()
    return Field(value, INFERRED_YEAR_CONFIDENCE, source, f"jaar niet vermeld; {value.year} aangenomen")


def body_debtor(text: str) -> Party:
    """Read the debtor from labelled lines ("Debiteur:", "Adres:", "E-mail:") of a body."""
    values: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _LABELLED.match(line)
        if not match:
            continue
        label = match.group("label").strip().lower()
        value = match.group("value").strip()
        for key, labels in (
            ("name", _DEBTOR_LABELS),
            ("address", _ADDRESS_LABELS),
            ("postcode", _POSTCODE_LABELS),
            ("email", _EMAIL_LABELS),
            ("phone", _PHONE_LABELS),
            ("contact", _CONTACT_LABELS),
            ("kvk", _KVK_LABELS),
            ("vat_id", _BTW_LABELS),
        ):
            if label in labels and key not in values:
                values[key] = (value, number)

    if "name" not in values:
        return Party()

    def field(key: str, value: str | None, confidence: float = 0.85) -> Field[str]:
        if not value:
            return Field()
        return Field(value, confidence, f"{SOURCE}#line={values[key][1]}")

    name, contact = _split_contact(values["name"][0])
    street = postcode = city = None
    for key in ("address", "postcode"):
        if key in values:
            street_part, postcode_part, city_part = _split_address(values[key][0])
            street = street or street_part
            postcode = postcode or postcode_part
            city = city or city_part
    address_key = "address" if "address" in values else "postcode"

    kvk_value = normalise_kvk(values["kvk"][0]) if "kvk" in values and is_valid_kvk(values["kvk"][0]) else None
    vat_value = values["vat_id"][0] if "vat_id" in values else None
    kind, kind_confidence, kind_note = debtor_kind(name, has_company_id=bool(kvk_value or vat_value))
    email_match = _EMAIL.search(values["email"][0]) if "email" in values else None
    if contact is None and "contact" in values:
        contact = values["contact"][0]
    return Party(
        name=field("name", name),
        kind=Field(kind, kind_confidence, f"{SOURCE}#line={values['name'][1]}", kind_note),
        contact=field("name" if contact and "contact" not in values else "contact", contact),
        kvk=field("kvk", kvk_value),
        vat_id=field("vat_id", vat_value, 0.8),
        email=field("email", email_match.group(0).lower() if email_match else None),
        phone=field("phone", values["phone"][0] if "phone" in values else None, 0.8),
        street=field(address_key, street),
        postcode=field(address_key, postcode, 0.9),
        city=field(address_key, city),
        country=field(address_key, "NL" if postcode else None, 0.8),
    )


def _split_contact(name: str) -> tuple[str, str | None]:
    match = re.match(r"^(?P<name>.+?)\s*\(\s*t\.?\s?a\.?\s?v\.?\s*:?\s*(?P<contact>[^)]+)\)\s*$", name, _I)
    if match:
        return match.group("name").strip(), match.group("contact").strip()
    match = re.match(r"^(?P<name>.+?),?\s+t\.?a\.?v\.?\s*:?\s*(?P<contact>.+)$", name, _I)
    if match:
        return match.group("name").strip(), match.group("contact").strip()
    return name.strip(), None


def _split_address(text: str) -> tuple[str | None, str | None, str | None]:
    """Split "Brinkstraat 3, 7411 BR Deventer" into street, postcode and city."""
    match = POSTCODE_CITY.search(text)
    if not match or normalise_postcode(match.group("postcode")) is None:
        street = text.strip(" ,") or None
        return street, None, None
    street = text[: match.start()].strip(" ,") or None
    city = format_city((match.group("city") or "").strip(" ,")) or None
    return street, normalise_postcode(match.group("postcode")), city


def parse_signature(text: str) -> Party:
    """Read the client's company name, KvK number, phone and e-mail from the signature.

    The signature is the text after the last closing line ("Met vriendelijke groet"),
    up to ten lines. A company name is taken only when it carries a legal form.
    """
    body = own_text(text)
    lines = body.splitlines()
    start = None
    for number, line in enumerate(lines):
        if _CLOSINGS.match(line):
            start = number + 1
    if start is None:
        return Party()

    signature = [(number + 1, line.strip()) for number, line in enumerate(lines[start : start + 10], start=start) if line.strip()]
    name = kvk = phone = email = Field()
    for number, line in signature:
        source = f"{SOURCE}#line={number}"
        if not name.present and LEGAL_FORM.search(line) and len(line) <= 80 and not _KVK.search(line):
            name = Field(line, 0.8, source, "uit de ondertekening")
        kvk_match = _KVK.search(line)
        if not kvk.present and kvk_match and is_valid_kvk(kvk_match.group(1)):
            kvk = Field(normalise_kvk(kvk_match.group(1)), 0.85, source)
        phone_match = _PHONE.search(line)
        if not phone.present and phone_match and not kvk_match:
            phone = Field(re.sub(r"\s+", " ", phone_match.group(1)).strip(), 0.8, source)
        email_match = _EMAIL.search(line)
        if not email.present and email_match:
            email = Field(email_match.group(0).lower(), 0.8, source)
    return Party(name=name, kvk=kvk, phone=phone, email=email)
