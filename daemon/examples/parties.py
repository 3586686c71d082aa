"""Invented clients (opdrachtgevers) and debtors for the example mails.

The four clients are the same for every seed, so a local set-up can register them as
known senders. Debtors are drawn per mail from name pools with a seeded generator.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from daemon.examples.identifiers import (
    make_iban,
    make_kvk,
    make_landline,
    make_mobile,
    make_postcode,
    make_vat_id,
)
from daemon.examples.models import ExampleParty

# A catalogue entry: description, unit price, choices of quantity, VAT rate in percent.
CatalogueItem = tuple[str, Decimal, tuple[Decimal, ...], Decimal]

_D = Decimal
_VAT_HIGH = _D("21")
_VAT_LOW = _D("9")


@dataclass(frozen=True)
class ClientProfile:
    """A client with the habits of its administration: numbering, layout, terms."""

    key: str
    party: ExampleParty
    domain: str
    short_name: str
    number_format: str  # str.format fields: year, yy, seq
    layout: str
    payment_term_days: int
    catalogue: tuple[CatalogueItem, ...]
    serves_consumers: bool


def _client_party(
    key: str,
    name: str,
    domain: str,
    contact: str,
    street: str,
    city: str,
    area_code: str,
) -> ExampleParty:
    # A generator per client keeps its identifiers fixed, whatever the mail seed.
    rng = random.Random(f"client:{key}")
    return ExampleParty(
        name=name,
        kvk=make_kvk(rng),
        vat_id=make_vat_id(rng),
        iban=make_iban(rng),
        email=f"administratie@{domain}",
        phone=make_landline(rng, area_code),
        street=street,
        postcode=make_postcode(rng),
        city=city,
        contact=contact,
        kind="business",
    )


CLIENTS: tuple[ClientProfile, ...] = (
    ClientProfile(
        key="hoekstra",
        party=_client_party(
            "hoekstra",
            "Hoekstra Installatietechniek B.V.",
            "hoekstra-installatie.example",
            "Marieke Hoekstra",
            "Ambachtsweg 14",
            "Zwolle",
            "038",
        ),
        domain="hoekstra-installatie.example",
        short_name="Hoekstra",
        number_format="{year}-{seq:04d}",
        layout="classic",
        payment_term_days=30,
        catalogue=(
            ("Vervangen cv-ketel incl. montage", _D("2495.00"), (_D("1"),), _VAT_HIGH),
            ("Arbeidsloon monteur (per uur)", _D("62.50"), (_D("2"), _D("3.5"), _D("6")), _VAT_HIGH),
            ("Jaarlijks onderhoud cv-installatie", _D("119.00"), (_D("1"),), _VAT_HIGH),
            ("Thermostaatkraan radiator", _D("38.75"), (_D("4"), _D("6"), _D("8")), _VAT_HIGH),
            ("Voorrijkosten", _D("45.00"), (_D("1"),), _VAT_HIGH),
            ("Koperen leiding 15 mm (per meter)", _D("7.95"), (_D("12"), _D("25")), _VAT_HIGH),
        ),
        serves_consumers=True,
    ),
    ClientProfile(
        key="vanleeuwen",
        party=_client_party(
            "vanleeuwen",
            "Van Leeuwen Drukwerk B.V.",
            "vanleeuwen-drukwerk.example",
            "Joost van Leeuwen",
            "Drukkerijstraat 3",
            "Apeldoorn",
            "055",
        ),
        domain="vanleeuwen-drukwerk.example",
        short_name="Van Leeuwen Drukwerk",
        number_format="VLD-{year}-{seq:05d}",
        layout="modern",
        payment_term_days=14,
        catalogue=(
            ("Folders A5 dubbelzijdig, 135 grams", _D("0.089"), (_D("2500"), _D("5000")), _VAT_HIGH),
            ("Visitekaartjes 350 grams mat", _D("0.12"), (_D("500"), _D("1000")), _VAT_HIGH),
            ("Opmaak en drukproef", _D("85.00"), (_D("1"), _D("2")), _VAT_HIGH),
            ("Roll-up banner 85 x 200 cm", _D("74.50"), (_D("1"), _D("2"), _D("3")), _VAT_HIGH),
            ("Brochure 16 pagina's, geniet", _D("2.35"), (_D("250"), _D("400")), _VAT_HIGH),
        ),
        serves_consumers=False,
    ),
    ClientProfile(
        key="goudenzwaan",
        party=_client_party(
            "goudenzwaan",
            "Café-Restaurant De Gouden Zwaan B.V.",
            "goudenzwaan.example",
            "Sanne Verbeek",
            "Markt 27",
            "Deventer",
            "0570",
        ),
        domain="goudenzwaan.example",
        short_name="Café De Gouden Zwaan",
        number_format="GZ{yy}{seq:04d}",
        layout="compact",
        payment_term_days=14,
        catalogue=(
            ("Lunchbuffet bedrijfsbijeenkomst (p.p.)", _D("24.50"), (_D("18"), _D("35"), _D("60")), _VAT_LOW),
            ("Koffie en thee arrangement (p.p.)", _D("6.25"), (_D("18"), _D("35"), _D("60")), _VAT_LOW),
            ("Zaalhuur bovenzaal (dagdeel)", _D("175.00"), (_D("1"), _D("2")), _VAT_HIGH),
            ("Borrel met bittergarnituur (p.p.)", _D("12.75"), (_D("20"), _D("40")), _VAT_LOW),
            ("Wijnarrangement (per fles)", _D("27.50"), (_D("6"), _D("12")), _VAT_HIGH),
        ),
        serves_consumers=False,
    ),
    ClientProfile(
        key="bosman",
        party=_client_party(
            "bosman",
            "Bosman Groenvoorziening B.V.",
            "bosman-groen.example",
            "Ruud Bosman",
            "Kwekerijweg 8",
            "Boskoop",
            "0172",
        ),
        domain="bosman-groen.example",
        short_name="Bosman Groen",
        number_format="{yy}{seq:05d}",
        layout="classic",
        payment_term_days=30,
        catalogue=(
            ("Snoeien en afvoeren groenafval", _D("345.00"), (_D("1"),), _VAT_HIGH),
            ("Hovenier (per uur)", _D("48.50"), (_D("4"), _D("8"), _D("16")), _VAT_HIGH),
            ("Sierbestrating leveren en leggen (per m²)", _D("64.00"), (_D("12"), _D("20"), _D("35")), _VAT_HIGH),
            ("Haagbeuk 125-150 cm", _D("8.95"), (_D("20"), _D("40")), _VAT_LOW),
            ("Maandelijks onderhoud bedrijfstuin", _D("210.00"), (_D("1"), _D("3")), _VAT_HIGH),
        ),
        serves_consumers=True,
    ),
)

CLIENTS_BY_KEY: dict[str, ClientProfile] = {profile.key: profile for profile in CLIENTS}

_SURNAMES = (
    "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos",
    "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer", "de Wit", "Dijkstra",
    "Koster", "Prins", "Huisman", "Kok", "Jansen", "Willems", "van der Veen", "Postma",
)
_FIRST_NAMES = (
    "Anouk", "Bram", "Chloë", "Daan", "Eline", "Fleur", "Gijs", "Hélène", "Iris",
    "Joris", "Lotte", "Maarten", "Noël", "Petra", "Ruben", "Sofie", "Thijs", "Zoë",
)
_BV_PATTERNS = (
    "{surname} Bouw B.V.",
    "{surname} Logistiek B.V.",
    "Transportbedrijf {surname} B.V.",
    "{surname} & Partners Adviseurs B.V.",
    "Kantoorinrichting {surname} B.V.",
    "{surname} Vastgoedbeheer B.V.",
)
_VOF_PATTERNS = (
    "Autobedrijf {surname} V.O.F.",
    "{surname} & {surname2} V.O.F.",
    "Bloemenhandel {surname} V.O.F.",
    "Schildersbedrijf Gebr. {surname} V.O.F.",
)
_STREETS = (
    "Stationsweg", "Kerkstraat", "Industrieweg", "Havenkade", "Molenweg", "Dorpsstraat",
    "Nijverheidsweg", "Julianalaan", "Parallelweg", "Ereprijsstraat", "Spoorlaan",
)
_CITIES = (
    ("Amersfoort", "033"), ("Utrecht", "030"), ("Groningen", "050"), ("Tilburg", "013"),
    ("Leeuwarden", "058"), ("Arnhem", "026"), ("Haarlem", "023"), ("Den Bosch", "073"),
    ("Enschede", "053"), ("Zwolle", "038"), ("Breda", "076"), ("Assen", "0592"),
)
_CONTACT_PREFIXES = ("de heer", "mevrouw")


def _slug(text: str) -> str:
    """Turn a name into an ASCII domain label (`Gebr. de Wit` -> `gebr-de-wit`)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(char if char.isalnum() else " " for char in ascii_text.lower()).split()
    return "-".join(word for word in words if word not in {"b", "v", "o", "f"})


def _address(rng: random.Random) -> tuple[str, str, str, str]:
    """Draw a street with house number, postcode, city and the city's area code."""
    street = f"{rng.choice(_STREETS)} {rng.randint(1, 180)}"
    city, area_code = rng.choice(_CITIES)
    return street, make_postcode(rng), city, area_code


def make_business_debtor(rng: random.Random, legal_form: str) -> ExampleParty:
    """Draw a business debtor whose name ends in `legal_form` ("B.V." or "V.O.F.")."""
    patterns = _BV_PATTERNS if legal_form == "B.V." else _VOF_PATTERNS
    surname, surname2 = rng.sample(_SURNAMES, 2)
    name = rng.choice(patterns).format(surname=surname, surname2=surname2)
    name = name[0].upper() + name[1:]  # "de Boer Bouw" starts a name as "De Boer Bouw"
    street, postcode, city, area_code = _address(rng)
    domain = f"{_slug(name)}.example"

    contact: str | None = None
    if rng.random() < 0.6:
        first = rng.choice(_FIRST_NAMES)
        contact = f"{rng.choice(_CONTACT_PREFIXES)} {first[0]}. {rng.choice(_SURNAMES)}"
    elif rng.random() < 0.5:
        contact = "crediteurenadministratie"

    return ExampleParty(
        name=name,
        kvk=make_kvk(rng),
        vat_id=make_vat_id(rng),
        iban=make_iban(rng),
        email=f"{rng.choice(('info', 'administratie', 'facturen'))}@{domain}",
        phone=make_landline(rng, area_code),
        street=street,
        postcode=postcode,
        city=city,
        contact=contact,
        kind="business",
    )


def make_consumer_debtor(rng: random.Random) -> ExampleParty:
    """Draw a private person: no legal form, no KvK number and no BTW-id."""
    first = rng.choice(_FIRST_NAMES)
    surname = rng.choice(_SURNAMES)
    street, postcode, city, _area_code = _address(rng)
    mailbox = _slug(f"{first[0]} {surname}").replace("-", ".", 1)
    return ExampleParty(
        name=f"{first} {surname}",
        kvk=None,
        vat_id=None,
        iban=make_iban(rng),
        email=f"{mailbox}@mail.example",
        phone=make_mobile(rng),
        street=street,
        postcode=postcode,
        city=city,
        contact=None,
        kind="consumer",
    )
