"""Seller and buyer of an invoice from the blocks of its layout, without per-issuer templates.

The seller is the party whose block (letter head or footer) carries the KvK number,
IBAN or btw-id. The buyer is the address block: a name, an optional "t.a.v." contact,
a street with a house number and a postcode with a city, usually on the left under the
letter head.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from parsers.dutch import (
    POSTCODE_CITY,
    format_city,
    is_valid_iban,
    is_valid_kvk,
    is_valid_vat_id,
    normalise_iban,
    normalise_kvk,
    normalise_postcode,
    normalise_vat_id,
)
from parsers.layout import Block, Segment
from parsers.model import ACCEPT_CONFIDENCE, Field, Party

_I = re.IGNORECASE

LEGAL_FORM = re.compile(
    r"(?<![\w.])(b\.?\s?v\.?|n\.?\s?v\.?|v\.?\s?o\.?\s?f\.?|c\.?\s?v\.?|stichting|vereniging|co[öo]peratie(ve)?|u\.?a\.?|"
    r"maatschap|holding|eenmanszaak|h\.?o\.?d\.?n\.?|gmbh|bvba|bv\s?ba|s\.?a\.?r\.?l\.?|ltd\.?|inc\.?|llc|s\.?a\.?)(?![\w])",
    _I,
)
_KVK = re.compile(r"\b(?:kvk|k\.v\.k\.?|kamer\s+van\s+koophandel|coc|chamber\s+of\s+commerce|handelsregister)\b[^\d\n]{0,25}?(\d{2}\s?\.?\d{2}\s?\.?\d{2}\s?\.?\d{2})(?!\d)", _I)
_KVK_LABEL_ALONE = re.compile(
    r"^(?:kvk|k\.v\.k\.?|kamer\s+van\s+koophandel|coc|chamber\s+of\s+commerce|handelsregister)[\s\-]*(?:nummer|nr\.?|number|no\.?)?\s*:?$", _I
)
_CONTACT_LINE = re.compile(r"\b(tel(efoon)?|phone|e-?mail|fax|mob(iel)?|www\.|https?://)|@", _I)
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?)\b")
_VAT = re.compile(r"\b((?:NL\s?\d{4}\.?\d{2}\.?\d{3}\.?\s?B\.?\s?\d{2})|(?:BE\s?[01]?\d{3}\.?\s?\d{3}\.?\s?\d{3}))\b", _I)
# Anchored at the start of a run and bounded, so a long run of word characters without
# an "@" is scanned once instead of once per start position (which was quadratic).
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]{1,64}@[\w\-]{1,63}(?:\.[\w\-]{1,63})+")
_PHONE = re.compile(r"(?:\b(?:tel(?:efoon)?|t|phone|mob(?:iel)?|m)\b\.?\s*:?\s*)(\+?\(?\d[\d \-()]{7,16}\d)", _I)
_STREET = re.compile(r"^(?:[A-Za-zÀ-ÿ'][\wÀ-ÿ'.\-]*\s+){1,5}\d{1,5}(?:\s?[-/]?\s?[A-Za-z0-9]{1,4})?(?:\s+(?:bis|hs|rd|zw|[a-z]))?$", _I)
_POBOX = re.compile(r"^(postbus|antwoordnummer)\s+\d{1,6}$", _I)
_CONTACT = re.compile(r"^(t\.?\s?a\.?\s?v\.?|ter\s+attentie\s+van|attn\.?|attention)\s*:?\s*(.+)$", _I)
_BUYER_HEADINGS = re.compile(r"^(factuuradres|aan|debiteur|afnemer|klant|bill\s*to|invoice\s*to|customer|gefactureerd\s*aan|koper)\s*:?$", _I)
_OTHER_ADDRESS_HEADINGS = re.compile(r"^(afleveradres|leveradres|verzendadres|bezorgadres|ship\s*to|delivery\s*address|leverancier|crediteur)\s*:?$", _I)
_NOT_A_NAME = re.compile(r"^(factuur|invoice|nota|credit|kopie|pagina|datum|page|offerte)\b|:\s*\S|:$|@|www\.|https?://|\d{4,}", _I)
_CONSUMER_TITLES = re.compile(r"^(dhr\.?|de\s+heer|mevr\.?|mevrouw|mw\.?|mr\.?|mrs\.?|ms\.?|fam\.?|familie)\s", _I)
_COUNTRIES = {"nederland": "NL", "the netherlands": "NL", "netherlands": "NL", "nl": "NL", "belgië": "BE", "belgie": "BE", "belgium": "BE", "be": "BE", "duitsland": "DE", "deutschland": "DE", "germany": "DE"}


@dataclass(frozen=True)
class Identifiers:
    """Identifiers found in a block, each with the segment it came from."""

    kvk: tuple[str, Segment] | None
    iban: tuple[str, Segment] | None
    vat_id: tuple[str, Segment] | None
    email: tuple[str, Segment] | None
    phone: tuple[str, Segment] | None

    @property
    def any_company_id(self) -> bool:
        return bool(self.kvk or self.iban or self.vat_id)


def identifiers(segments: tuple[Segment, ...] | list[Segment]) -> Identifiers:
    """Find KvK, IBAN, btw-id, e-mail and phone in the segments; only valid numbers count.

    A KvK number may be printed on the line under a label that is printed alone ("KvK-nummer").
    """
    kvk = iban = vat = email = phone = None
    for position, segment in enumerate(segments):
        text = segment.text
        if kvk is None:
            match = _KVK.search(text)
            if match and is_valid_kvk(match.group(1)):
                kvk = (normalise_kvk(match.group(1)), segment)
            elif _KVK_LABEL_ALONE.match(text) and position + 1 < len(segments):
                following = segments[position + 1]
                number = re.match(r"^(\d{2}\s?\.?\d{2}\s?\.?\d{2}\s?\.?\d{2})(?!\d)", following.text)
                if number and is_valid_kvk(number.group(1)) and 0 < following.top - segment.top < segment.height * 2.5:
                    kvk = (normalise_kvk(number.group(1)), following)
        if iban is None:
            for match in _IBAN.finditer(text.upper()):
                if is_valid_iban(match.group(1)):
                    iban = (normalise_iban(match.group(1)), segment)
                    break
        if vat is None:
            for match in _VAT.finditer(text):
                if is_valid_vat_id(match.group(1)):
                    vat = (normalise_vat_id(match.group(1)), segment)
                    break
        if email is None:
            match = _EMAIL.search(text)
            if match:
                email = (match.group(0).lower().rstrip("."), segment)
        if phone is None:
            match = _PHONE.search(text)
            if match:
                phone = (re.sub(r"\s+", " ", match.group(1)).strip(), segment)
    return Identifiers(kvk, iban, vat, email, phone)


@dataclass(frozen=True)
class Address:
    """Name, contact, street, postcode and city read from one block."""

    name: Segment | None
    contact: tuple[str, Segment] | None
    street: Segment | None
    postcode: str
    city: str
    postcode_segment: Segment | None
    country: str


def read_address(block: Block) -> Address:
    """Read an address block top down: name first, the street above the postcode line."""
    segments = [segment for segment in block.segments if not _BUYER_HEADINGS.match(segment.text) and not _OTHER_ADDRESS_HEADINGS.match(segment.text)]
    postcode_index = None
    postcode = city = ""
    for index, segment in enumerate(segments):
        match = POSTCODE_CITY.search(segment.text)
        if match and normalise_postcode(match.group("postcode")):
            postcode_index = index
            postcode = normalise_postcode(match.group("postcode")) or ""
            city_text = re.split(r"\s(?:kvk|btw|iban|bic|tel|telefoon|e-?mail|www)\b", match.group("city") or "", flags=_I)[0]
            city = format_city(city_text.strip(" ,"))
            break

    contact = None
    street = None
    first_marked: int | None = None
    head = segments[:postcode_index] if postcode_index is not None else segments
    for index, segment in enumerate(head):
        text = segment.text.strip()
        contact_match = _CONTACT.match(text)
        if contact_match:
            contact = (contact_match.group(2).strip(), segment)
            first_marked = index if first_marked is None else first_marked
        elif _STREET.match(text) or _POBOX.match(text):
            street = segment if street is None else street
            first_marked = index if first_marked is None else first_marked

    # The name is the line just above the contact or street; lines higher up in the
    # same block are slogans or headings.
    name = None
    names = [segment for segment in head[: first_marked if first_marked is not None else len(head)] if not _NOT_A_NAME.search(segment.text.strip())]
    if names:
        name = names[-1] if first_marked is not None else names[0]

    country = ""
    if postcode_index is not None:
        for segment in segments[postcode_index + 1 : postcode_index + 3]:
            code = _COUNTRIES.get(segment.text.strip().lower())
            if code:
                country = code
                break
        if postcode and not country:
            country = "NL"
    postcode_segment = segments[postcode_index] if postcode_index is not None else None
    return Address(name, contact, street, postcode, city, postcode_segment, country)


def find_parties(blocks: list[Block], source: str) -> tuple[Party, Party]:
    """Return (seller, buyer) read from the layout blocks of the first page(s)."""
    seller_block = _seller_block(blocks)
    letterhead = None
    if seller_block is None or not _is_address(seller_block):
        letterhead = _letterhead_block(blocks, seller_block)
    buyer_block, ambiguous = _buyer_block(blocks, seller_block, letterhead)
    seller = _seller(blocks, seller_block, buyer_block, source, letterhead)
    buyer = _buyer(blocks, buyer_block, source)
    if ambiguous and buyer.name.present:
        note = "meerdere adresblokken; controleer wie de debiteur is"
        buyer = replace(buyer, name=replace(buyer.name, confidence=min(buyer.name.confidence, 0.6), note=note))
    return seller, buyer


def _is_address(block: Block) -> bool:
    address = read_address(block)
    return address.name is not None and bool(address.postcode)


def _letterhead_block(blocks: list[Block], seller_block: Block | None) -> Block | None:
    """Find the seller's own name and address in the letter head when its identifiers sit elsewhere.

    The letter head prints the seller's phone, e-mail or website beside its address, in a
    larger type than the rest, and carries no "t.a.v." line or buyer heading.
    """
    address_blocks = [block for block in blocks if block.page == 1 and block is not seller_block and _is_address(block)]
    if not address_blocks:
        return None
    usual_height = min(block.segments[0].height for block in address_blocks)
    scored: list[tuple[float, int, Block]] = []
    for order, block in enumerate(address_blocks):
        address = read_address(block)
        score = 0.0
        if any(_CONTACT_LINE.search(segment.text) for segment in block.segments):
            score += 2
        if block.segments[0].height > usual_height * 1.2:
            score += 1
        if address.contact is not None:
            score -= 3
        heading = _heading_before(blocks, block)
        if (heading and _BUYER_HEADINGS.match(heading)) or _BUYER_HEADINGS.match(block.segments[0].text):
            score -= 3
        if address.name is not None and LEGAL_FORM.search(address.name.text):
            score += 0.5
        scored.append((score, -order, block))
    best_score, _, best_block = max(scored, key=lambda item: (item[0], item[1]))
    return best_block if best_score >= 2 else None


def _seller_block(blocks: list[Block]) -> Block | None:
    scored: list[tuple[int, int, Block]] = []
    for order, block in enumerate(blocks):
        ids = identifiers(block.segments)
        score = sum(bool(item) for item in (ids.kvk, ids.iban, ids.vat_id))
        if any(re.search(r"\b(uw|your)\s+(btw|vat|kvk)", segment.text, _I) for segment in block.segments):
            score -= 2
        if score > 0:
            scored.append((score, -order, block))
    if not scored:
        return None
    return max(scored, key=lambda item: (item[0], item[1]))[2]


def _buyer_block(blocks: list[Block], seller_block: Block | None, letterhead: Block | None = None) -> tuple[Block | None, bool]:
    """Return the buyer's address block, and whether another block scored as well (ambiguous)."""
    scores: list[tuple[float, Block]] = []
    for order, block in enumerate(blocks):
        if block is seller_block or block is letterhead or block.page != 1:
            continue
        address = read_address(block)
        if not address.postcode or address.name is None:
            continue
        ids = identifiers(block.segments)
        if ids.iban or (ids.kvk and not _mentions_buyer_id(block)):
            continue
        heading = _heading_before(blocks, block)
        if heading is not None and _OTHER_ADDRESS_HEADINGS.match(heading):
            continue
        if block.segments and _OTHER_ADDRESS_HEADINGS.match(block.segments[0].text):
            continue
        score = 1.0
        if address.contact:
            score += 1
        if address.street:
            score += 0.5
        if (heading and _BUYER_HEADINGS.match(heading)) or _BUYER_HEADINGS.match(block.segments[0].text):
            score += 2
        if seller_block is not None and _same_party_name(block, seller_block):
            score -= 3
        if seller_block is not None and _shares_lines(block, seller_block):
            score -= 3  # the letter head: the seller's address beside its identifiers
        score -= order * 0.01
        scores.append((score, block))
    if not scores:
        return None, False
    scores.sort(key=lambda item: -item[0])
    ambiguous = len(scores) > 1 and scores[1][0] > scores[0][0] - 0.5 and letterhead is None and seller_block is not None and not _is_address(seller_block)
    return scores[0][1], ambiguous


def _shares_lines(block: Block, other: Block) -> bool:
    lines = {segment.line_index for segment in other.segments}
    return any(segment.line_index in lines for segment in block.segments)


def _mentions_buyer_id(block: Block) -> bool:
    return any(re.search(r"\b(uw|your)\b", segment.text, _I) for segment in block.segments)


def _heading_before(blocks: list[Block], block: Block) -> str | None:
    first = block.segments[0]
    for other in blocks:
        last = other.segments[-1]
        if other is block or last.page != first.page:
            continue
        if abs(last.x0 - first.x0) < 15 and 0 <= first.top - last.bottom < first.height * 4:
            return last.text
    return None


def _same_party_name(block: Block, other: Block) -> bool:
    return block.segments[0].text.strip().lower() == other.segments[0].text.strip().lower()


def _seller(
    blocks: list[Block], seller_block: Block | None, buyer_block: Block | None, source: str, letterhead: Block | None = None
) -> Party:
    if seller_block is None and letterhead is None:
        return Party()
    ids = identifiers(seller_block.segments) if seller_block is not None else identifiers([])
    # Letter heads often put the name and address above the identifiers, in a block of
    # their own, or at the top of the page with the identifiers in the footer.
    name_block = seller_block or letterhead
    assert name_block is not None
    address = read_address(name_block)
    if address.name is None or not address.postcode:
        above = _block_above(blocks, name_block)
        if above is not None and above is not buyer_block:
            name_block = above
            address = read_address(above)
        elif letterhead is not None:
            name_block = letterhead
            address = read_address(letterhead)
    name_segment = _legal_name(name_block) or address.name
    has_ids = ids.any_company_id
    name_confidence = 0.9 if name_segment is not None and LEGAL_FORM.search(name_segment.text) and has_ids else 0.7
    return Party(
        name=_field(name_segment.text if name_segment else None, name_confidence, name_segment, source),
        kvk=_id_field(ids.kvk, 0.95, source),
        vat_id=_id_field(ids.vat_id, 0.95, source),
        iban=_id_field(ids.iban, 0.95, source),
        email=_id_field(ids.email, 0.85, source),
        phone=_id_field(ids.phone, 0.8, source),
        street=_field(address.street.text if address.street else None, 0.85, address.street, source),
        postcode=_field(address.postcode or None, 0.9, address.postcode_segment, source),
        city=_field(address.city or None, 0.85, address.postcode_segment, source),
        country=_field(address.country or None, 0.8, address.postcode_segment, source),
    )


def _legal_name(block: Block) -> Segment | None:
    for segment in block.segments[:4]:
        if LEGAL_FORM.search(segment.text) and not _NOT_A_NAME.search(segment.text):
            return segment
    return None


def _block_above(blocks: list[Block], block: Block) -> Block | None:
    first = block.segments[0]
    candidates = [
        other
        for other in blocks
        if other is not block
        and other.page == first.page
        and abs(other.x0 - first.x0) < 20
        and 0 <= first.top - other.segments[-1].bottom < first.height * 6
    ]
    return max(candidates, key=lambda other: other.segments[-1].bottom, default=None)


def _buyer(blocks: list[Block], buyer_block: Block | None, source: str) -> Party:
    if buyer_block is None:
        return Party()
    address = read_address(buyer_block)
    ids = identifiers(buyer_block.segments)
    buyer_ids_elsewhere = _buyer_ids_elsewhere(blocks)
    kvk = ids.kvk or buyer_ids_elsewhere.kvk
    vat_id = ids.vat_id or buyer_ids_elsewhere.vat_id

    name = address.name.text.strip() if address.name else None
    kind, kind_confidence, kind_note = debtor_kind(name or "", has_company_id=bool(kvk or vat_id))
    if address.name is not None:
        kind_confidence = min(kind_confidence, address.name.confidence)
    contact = address.contact
    return Party(
        name=_field(name, 0.85, address.name, source),
        kind=Field(kind, kind_confidence, _source(source, address.name), kind_note),
        contact=_field(contact[0] if contact else None, 0.85, contact[1] if contact else None, source),
        kvk=_id_field(kvk, 0.9, source),
        vat_id=_id_field(vat_id, 0.9, source),
        email=_id_field(ids.email, 0.8, source),
        street=_field(address.street.text.strip() if address.street else None, 0.85, address.street, source),
        postcode=_field(address.postcode or None, 0.95, address.postcode_segment, source),
        city=_field(address.city or None, 0.85, address.postcode_segment, source),
        country=_field(address.country or None, 0.8, address.postcode_segment, source),
    )


def _buyer_ids_elsewhere(blocks: list[Block]) -> Identifiers:
    """Find the buyer's own ids printed away from the address ("Uw BTW nummer: NL…")."""
    marked = [segment for block in blocks for segment in block.segments if re.search(r"\b(uw|your)\s+(btw|vat|kvk)", segment.text, _I)]
    return identifiers(marked)


def debtor_kind(name: str, *, has_company_id: bool) -> tuple[str, float, str]:
    """Decide whether a debtor is a business or a consumer, with a confidence and a reason.

    A legal form in the name or a printed KvK number or btw-id makes it a business. A
    consumer is never accepted without review, because the 14-day letter and the BIK
    rules depend on it.
    """
    if LEGAL_FORM.search(name):
        return "business", 0.9, "rechtsvorm in de naam"
    if has_company_id:
        return "business", 0.85, "KvK-nummer of btw-id van de debiteur vermeld"
    if _CONSUMER_TITLES.match(name):
        return "consumer", round(ACCEPT_CONFIDENCE - 0.1, 2), "aanhef van een persoon, geen rechtsvorm"
    return "consumer", 0.5, "geen rechtsvorm en geen KvK-nummer gevonden"


def _source(source: str, segment: Segment | None) -> str:
    if segment is None:
        return source
    return f"{source}#page={segment.page};x0={segment.x0:.1f},top={segment.top:.1f},x1={segment.x1:.1f},bottom={segment.bottom:.1f}"


def _field(value: str | None, confidence: float, segment: Segment | None, source: str) -> Field[str]:
    if not value:
        return Field()
    if segment is not None:
        confidence = min(confidence, segment.confidence)
    return Field(value, confidence, _source(source, segment))


def _id_field(found: tuple[str, Segment] | None, confidence: float, source: str) -> Field[str]:
    if found is None:
        return Field()
    value, segment = found
    return Field(value, min(confidence, segment.confidence), _source(source, segment))
