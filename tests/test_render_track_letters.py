"""Render the letters of both tracks: window address for any name length, the consumer
letters' wording and VAT, and the case-22 kinds of fault (house font without a euro
sign, large amounts, diacritics) in every letter template."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from daemon.render import DEJAVU_SANS, HouseFont, LetterRenderer, TextMeasure, WINDOW_WIDTH_MM, fit_address
from phases.facts import Claim, DebtorProfile, DossierFacts, SentLetter, Terms
from phases.letters import AgencyInfo, ClientInfo, DebtorInfo, letter_context
from phases.rates import RateTable
from phases.rules import BUSINESS_TRACK, CONSUMER_TRACK, template_name
from tests.shared_paths import SHARED, requires_shared

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
MM = 72 / 25.4  # points per millimetre
TODAY = date(2026, 12, 4)
AGENCY = AgencyInfo("Incassobureau Noorderlicht B.V.", "Stationsplein 12", "9711 AA", "Groningen", "050 123 4567", "info@noorderlicht.example", "NL91ABNA0417164300", "12345678", "W-0001234")
CLIENT = ClientInfo(name="Installatiebedrijf Hoekstra B.V.", street="Industrieweg 4", postcode="3542 AD", city="Utrecht")


@pytest.fixture(scope="module")
def renderer() -> LetterRenderer:
    return LetterRenderer(TEMPLATES)


@pytest.fixture(scope="module")
def rates() -> RateTable:
    return RateTable.load()


def context_for(rule_index: int, consumer: bool, debtor: DebtorInfo, rates: RateTable, *, principal: str = "1250.00", vat: bool = False) -> dict[str, Any]:
    claims = (Claim("F-1", date(2026, 9, 1), date(2026, 10, 1), Decimal(principal), "levering van kantoormeubilair"),)
    track = CONSUMER_TRACK if consumer else BUSINESS_TRACK
    letters = tuple(SentLetter(phase, "post", date(2026, 11, phase * 7)) for phase in range(1, rule_index + 1))
    facts = DossierFacts(
        "2026-000123-4",
        "consumer" if consumer else "business",
        claims,
        letters=letters,
        terms=Terms(vat_on_costs=vat),
        profile=DebtorProfile(consumer=consumer, natural_person_nl=consumer),
    )
    return letter_context(facts, track[rule_index], today=TODAY, channel="post", agency=AGENCY, client=CLIENT, debtor=debtor, rates=rates)


def page_chars(pdf: bytes) -> list[dict[str, Any]]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return list(document.pages[0].chars)


def page_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return "\n".join(page.extract_text() or "" for page in document.pages)


def address_chars(pdf: bytes) -> list[dict[str, Any]]:
    """Characters between the return address (ends ~53 mm) and the body text (95 mm)."""
    return [char for char in page_chars(pdf) if 54 * MM <= char["top"] < 94 * MM]


def assert_inside_window(chars: list[dict[str, Any]]) -> None:
    # Window area on the sheet: 22-107 mm from the left, 55-85 mm from the top.
    assert chars
    for char in chars:
        assert char["x0"] >= 22 * MM - 0.5, char
        assert char["x1"] <= (22 + WINDOW_WIDTH_MM) * MM + 0.5, char
        assert char["bottom"] <= 85 * MM + 0.5, char


NAMES = [
    "Jansen",
    "Stichting Woningcorporatie Het Groene Hart van Zuid-Holland en Omstreken",
    "Coöperatieve Vereniging tot Bevordering van de Belangen der Gezamenlijke Bloembollentelers, "
    "Kwekers en Handelaren in Noord-Holland, Zuid-Holland en de Kop van Noord-Holland U.A.",
]


@pytest.mark.parametrize("name", NAMES)
def test_address_fits_window_for_any_name(renderer: LetterRenderer, rates: RateTable, name: str) -> None:
    debtor = DebtorInfo(name=name, contact="Zoë Çelik-Hoëvenaars", street="Hinthamerstraat 101 bis", postcode="5211 MG", city="'s-Hertogenbosch")
    context = context_for(0, False, debtor, rates)
    pdf = renderer.render_pdf(template_name(BUSINESS_TRACK[0], False), context)
    chars = address_chars(pdf)
    assert_inside_window(chars)
    text = "".join(char["text"] for char in chars).replace(" ", "")
    assert name.replace(" ", "") in text
    assert "5211MG'S-HERTOGENBOSCH" in text.replace("\u00a0", "")


def test_overlong_name_is_shortened_but_postcode_kept(renderer: LetterRenderer, rates: RateTable) -> None:
    name = " ".join(["Holding"] * 120)
    debtor = DebtorInfo(name=name, street="Lange Nieuwstraat 1", postcode="3512 PA", city="Utrecht", contact="afdeling crediteurenadministratie")
    window = fit_address(debtor, renderer.measure)
    assert window.shortened
    assert window.lines[-1] == "3512 PA\u00a0\u00a0UTRECHT"
    assert window.lines[-2] == "Lange Nieuwstraat 1"
    pdf = renderer.render_pdf(template_name(BUSINESS_TRACK[0], False), context_for(0, False, debtor, rates))
    chars = address_chars(pdf)
    assert_inside_window(chars)
    assert "UTRECHT" in "".join(char["text"] for char in chars)


def test_word_longer_than_window_is_cut() -> None:
    measure = TextMeasure([DEJAVU_SANS])
    debtor = DebtorInfo(name="X" * 90, street="Straat 1", postcode="1234 AB", city="Plaats")
    window = fit_address(debtor, measure)
    assert "".join(window.lines[:-2]) == "X" * 90
    for line in window.lines:
        assert measure.width_mm(line, window.font_size_pt) <= WINDOW_WIDTH_MM


def test_veertiendagenbrief_with_vat(renderer: LetterRenderer, rates: RateTable) -> None:
    # 1.250 principal: BIK 187,50, VAT 21 % = 39,375 -> 39,38, together 226,88.
    debtor = DebtorInfo(name="M. Bakker", street="Kerkstraat 3", postcode="8011 AB", city="Zwolle")
    context = context_for(0, True, debtor, rates, vat=True)
    assert context["bik"]["announced"] == {"amount": Decimal("187.50"), "vat": Decimal("39.38"), "total": Decimal("226.88")}
    assert context["bik"]["items"] == []
    text = " ".join(page_text(renderer.render_pdf(template_name(CONSUMER_TRACK[0], True), context)).split())
    assert "Die kosten zijn € 187,50 plus 21,00 % btw van € 39,38, samen € 226,88." in text
    assert "binnen veertien dagen vanaf de dag nadat deze brief bij u is bezorgd" in text
    assert "schuldhulpverlening" in text


def test_business_letter_has_no_debt_help_pointer(renderer: LetterRenderer, rates: RateTable) -> None:
    debtor = DebtorInfo(name="Afnemer B.V.", street="Laan 2", postcode="5678 CD", city="Breda")
    text = page_text(renderer.render_pdf(template_name(BUSINESS_TRACK[1], False), context_for(1, False, debtor, rates)))
    assert "schuldhulpverlening" not in text
    assert "Sommatie" in text or "Laatste aanmaning" in text


DEBTOR_22 = DebtorInfo(name="Brasserie Naïef B.V.", contact="Zoë Çelik-Hoëvenaars", street="Hinthamerstraat 101 bis", postcode="5211 MG", city="'s-Hertogenbosch")


@pytest.mark.corpus
@requires_shared()
@pytest.mark.parametrize(("index", "consumer"), [(0, True), (1, False), (1, True), (2, False), (2, True)])
def test_case22_font_in_every_letter(rates: RateTable, index: int, consumer: bool) -> None:
    # The house font of case 22 has no euro sign; large amounts near the BIK cap.
    font = HouseFont("Bedrijfsletter", SHARED / "cases" / "case22-assets" / "Bedrijfsletter-Regular.ttf")
    renderer = LetterRenderer(TEMPLATES, house_font=font)
    track = CONSUMER_TRACK if consumer else BUSINESS_TRACK
    context = context_for(index, consumer, DEBTOR_22, rates, principal="1000000.00")
    pdf = renderer.render_pdf(template_name(track[index], consumer), context)
    text = page_text(pdf)
    assert "€ 1.000.000,00" in text.replace("\u00a0", " ")
    if index > 0:
        assert "Buitengerechtelijke incassokosten € 6.775,00" in text.replace("\u00a0", " ")
    assert "Zoë Çelik-Hoëvenaars" in text
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        chars = [char for page in document.pages for char in page.chars]
    euros = [char["fontname"] for char in chars if char["text"] == "€"]
    assert len(euros) == text.count("€")
    assert euros
    assert all("DejaVu-Sans" in name for name in euros), set(euros)
    assert any("Bedrijfsletter" in char["fontname"] for char in chars)
    assert_inside_window(address_chars(pdf))
