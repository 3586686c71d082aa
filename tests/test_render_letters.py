"""Render the ingebrekestelling to a real PDF and read its text back."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest

from daemon.render import HouseFont, LetterRenderer
from daemon.templating import format_date as datum
from daemon.templating import format_long_date as datum_lang
from phases.facts import Claim, DossierFacts
from phases.letters import AgencyInfo, ClientInfo, DebtorInfo, ingebrekestelling_context
from phases.money import format_euro
from phases.rates import RateTable
from tests.shared_paths import SHARED, requires_shared

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
LETTER = "letters/ingebrekestelling.html.j2"
MAIL = "letters/letter_mail.txt.j2"

AGENCY = AgencyInfo(
    name="Incassobureau Noorderlicht B.V.",
    street="Stationsplein 12",
    postcode="9711 AA",
    city="Groningen",
    phone="050 123 4567",
    email="info@noorderlicht.example",
    iban="NL91ABNA0417164300",
    kvk="12345678",
    wki_registration="W-0001234",
    website="www.noorderlicht.example",
)
CLIENT = ClientInfo(name="Installatiebedrijf Hoekstra B.V.", street="Industrieweg 4", postcode="3542 AD", city="Utrecht")
DEBTOR = DebtorInfo(
    name="Brasserie Naïef B.V.",
    contact="Zoë Çelik-Hoëvenaars",
    street="Hinthamerstraat 101 bis",
    postcode="5211 MG",
    city="'s-Hertogenbosch",
)
TODAY = date(2026, 12, 4)


def normalise(text: str) -> list[str]:
    """Split PDF text into lines with runs of spaces and no-break spaces collapsed."""
    return [re.sub(r"[ \u00a0]+", " ", line).strip() for line in text.splitlines() if line.strip()]


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    completed = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return completed.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def renderer() -> LetterRenderer:
    return LetterRenderer(TEMPLATES)


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    facts = DossierFacts(
        dossier_number="2026-000123",
        debtor_kind="business",
        claims=(
            Claim("F2026-0412", date(2026, 9, 1), date(2026, 10, 1), Decimal("1250.00"), "levering van kantoormeubilair"),
            Claim("F2026-0450", date(2026, 10, 1), date(2026, 10, 31), Decimal("3400.50")),
        ),
    )
    return ingebrekestelling_context(
        facts, today=TODAY, agency=AGENCY, client=CLIENT, debtor=DEBTOR, rates=RateTable.load()
    )


def test_letter_pdf_text(renderer: LetterRenderer, context: dict[str, Any], tmp_path: Path) -> None:
    pdf = renderer.render_pdf(LETTER, context)
    assert pdf.startswith(b"%PDF-")
    lines = normalise(pdf_text(pdf, tmp_path))
    text = "\n".join(lines)

    # Debtor address block, with the city in capitals as PostNL prints it.
    for expected in ("Brasserie Naïef B.V.", "t.a.v. Zoë Çelik-Hoëvenaars", "Hinthamerstraat 101 bis", "5211 MG 'S-HERTOGENBOSCH"):
        assert expected in lines

    # 1250,00 from 02-10-2026 through 04-12-2026: 64 days at 10,40 %:
    #   1250 x 10,40 x 64 / 36500 = 22,7945.. -> 22,79
    # 3400,50 from 01-11-2026 through 04-12-2026: 34 days at 10,40 %:
    #   3400,50 x 10,40 x 34 / 36500 = 32,9425.. -> 32,94
    # BIK over 4650,50: 375 + 10 % x 2150,50 = 590,05
    # Total: 4650,50 + 22,79 + 32,94 + 590,05 = 5296,28
    assert "Hoofdsom factuur F2026-0412 € 1.250,00" in lines
    assert "Hoofdsom factuur F2026-0450 € 3.400,50" in lines
    assert "Wettelijke handelsrente van 02-10-2026 t/m 04-12-2026 € 22,79" in lines
    assert "Wettelijke handelsrente van 01-11-2026 t/m 04-12-2026 € 32,94" in lines
    assert "02-10-2026 t/m 04-12-2026: 64 dagen × 10,40 % per jaar over € 1.250,00 € 22,79" in lines
    assert "01-11-2026 t/m 04-12-2026: 34 dagen × 10,40 % per jaar over € 3.400,50 € 32,94" in lines
    assert "Buitengerechtelijke incassokosten € 590,05" in lines
    assert "Totaal te betalen € 5.296,28" in lines

    # Payment: the last day of the 7-day term (Friday 11 December 2026), IBAN and reference.
    assert "Datum 4 december 2026" in lines
    assert "Uiterlijk op 11 december 2026" in lines
    assert "Betalingskenmerk 2026-000123" in lines
    assert "Rekeningnummer (IBAN) NL91ABNA0417164300" in lines
    assert "Dossiernummer 2026-000123" in lines

    # No euro sign lost. Lines ending in an amount: per claim the principal, the interest
    # and its one period (3 x 2 claims), then the BIK, the total and the payment box.
    amount_lines = [line for line in lines if re.search(r"\d,\d\d$", line)]
    assert len(amount_lines) == 9
    for line in amount_lines:
        assert re.search(r"€ [\d.]+,\d\d$", line), line
    assert "?" not in "".join(line for line in lines if "€" in line)
    assert "\ufffd" not in text


def test_letter_pdf_metadata_and_fonts(renderer: LetterRenderer, context: dict[str, Any]) -> None:
    pdf = renderer.render_pdf(LETTER, context)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert str(document.docinfo["/Title"]) == "Ingebrekestelling dossier 2026-000123"
        assert len(document.pages) >= 1
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        fonts = {char["fontname"] for page in document.pages for char in page.chars}
    assert fonts
    assert all("DejaVu-Sans" in name for name in fonts), fonts


def test_letter_vat_row_only_when_client_cannot_deduct(renderer: LetterRenderer, tmp_path: Path) -> None:
    facts = DossierFacts("2026-000200", "business", (Claim("A-1", date(2026, 11, 1), date(2026, 11, 15), Decimal("100.00")),))
    base = dict(today=TODAY, agency=AGENCY, debtor=DEBTOR, rates=RateTable.load())

    without_vat = renderer.render_html(LETTER, ingebrekestelling_context(facts, client=CLIENT, **base))
    assert "Btw" not in without_vat

    client = ClientInfo(name="Woonstichting De Linde", cannot_deduct_vat=True)
    context = ingebrekestelling_context(facts, client=client, **base)
    lines = normalise(pdf_text(renderer.render_pdf(LETTER, context), tmp_path))
    # BIK minimum 40,00; VAT 21 % = 8,40.
    # Interest 16-11..04-12-2026: 19 days: 100 x 10,40 x 19 / 36500 = 0,5413.. -> 0,54
    # Total 100 + 0,54 + 40 + 8,40 = 148,94
    assert "Buitengerechtelijke incassokosten € 40,00" in lines
    assert "Btw 21,00 % over de incassokosten € 8,40" in lines
    assert "Totaal te betalen € 148,94" in lines


def test_html_escapes_party_names(renderer: LetterRenderer, context: dict[str, Any]) -> None:
    hostile = dict(context, debtor=DebtorInfo(name="<script>x</script> & Co", street="a", postcode="1234 AB", city="b"))
    html = renderer.render_html(LETTER, hostile)
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt; &amp; Co" in html


def test_mail_body(renderer: LetterRenderer, context: dict[str, Any]) -> None:
    body = renderer.render_html(MAIL, context)
    assert "Geachte heer, mevrouw," in body
    assert "dossier 2026-000123" in body
    assert f"U moet nog {format_euro(Decimal('5296.28'))} betalen." in body
    assert "uiterlijk op 11 december 2026" in body
    assert "Rekeningnummer (IBAN): NL91ABNA0417164300" in body
    assert "&amp;" not in body  # plain text, not HTML-escaped


def test_date_filters() -> None:
    assert datum(date(2026, 12, 4)) == "04-12-2026"
    assert datum_lang(date(2026, 12, 4)) == "4 december 2026"
    assert datum_lang(date(2027, 3, 1)) == "1 maart 2027"


CASE22_TEMPLATE = """{% extends "letters/base.html.j2" %}
{% block title %}Aanmaning {{ dossier_number }}{% endblock %}
{% block content %}
<table class="amounts">
{% for row in rows %}
  <tr{% if loop.last %} class="total"{% endif %}><td>{{ row.label }}</td><td class="amount">{{ row.amount | euro }}</td></tr>
{% endfor %}
</table>
{% endblock %}
"""


@pytest.mark.corpus
@requires_shared()
def test_case22_euro_without_house_glyph(tmp_path: Path) -> None:
    case_dir = SHARED / "cases"
    data = json.loads((case_dir / "case22-euro-sign-font-fallback.data.json").read_text(encoding="utf-8"))
    expected = json.loads((case_dir / "case22.expected.json").read_text(encoding="utf-8"))
    font = HouseFont("Bedrijfsletter", case_dir / "case22-assets" / "Bedrijfsletter-Regular.ttf")

    # Our base layout plus a table of the case's rows, in a private copy of the templates.
    shutil.copytree(TEMPLATES / "letters", tmp_path / "templates" / "letters")
    (tmp_path / "templates" / "letters" / "case22.html.j2").write_text(CASE22_TEMPLATE, encoding="utf-8")
    renderer = LetterRenderer(tmp_path / "templates", house_font=font)

    rows = [{"label": row["label"], "amount": Decimal(row["amount"])} for row in data["amounts"]]
    assert sum((row["amount"] for row in rows[:-1]), Decimal(0)) == rows[-1]["amount"]
    debtor = DebtorInfo(
        name=data["debtor"]["name"],
        contact=data["debtor"]["contact"],
        street=data["debtor"]["street"],
        postcode=data["debtor"]["postcode"],
        city=data["debtor"]["city"],
    )
    agency = AgencyInfo(**{**AGENCY.__dict__, "iban": data["agency"]["iban"]})
    context = {"agency": agency, "debtor": debtor, "dossier_number": data["dossier"]["number"], "rows": rows}

    pdf = renderer.render_pdf("letters/case22.html.j2", context)
    lines = normalise(pdf_text(pdf, tmp_path))
    for expected_line in expected["pdf_must"]["text_lines_contain_exactly"]:
        assert expected_line in lines, expected_line

    # Every euro sign is drawn, and from the fallback font: the house font has no U+20AC.
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        chars = [char for page in document.pages for char in page.chars]
    euro_fonts = [char["fontname"] for char in chars if char["text"] == "€"]
    assert len(euro_fonts) == len(rows)
    assert all("DejaVu-Sans" in name for name in euro_fonts), euro_fonts
    assert any("Bedrijfsletter" in char["fontname"] for char in chars)


@pytest.mark.corpus
@requires_shared()
def test_case22_font_in_full_letter(context: dict[str, Any], tmp_path: Path) -> None:
    font = HouseFont("Bedrijfsletter", SHARED / "cases" / "case22-assets" / "Bedrijfsletter-Regular.ttf")
    renderer = LetterRenderer(TEMPLATES, house_font=font)
    pdf = renderer.render_pdf(LETTER, context)

    lines = normalise(pdf_text(pdf, tmp_path))
    assert "t.a.v. Zoë Çelik-Hoëvenaars" in lines
    assert "Totaal te betalen € 5.296,28" in lines

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        chars = [char for page in document.pages for char in page.chars]
    euro_fonts = [char["fontname"] for char in chars if char["text"] == "€"]
    euro_in_text = sum(line.count("€") for line in lines)
    assert len(euro_fonts) == euro_in_text
    assert all("DejaVu-Sans" in name for name in euro_fonts), euro_fonts
