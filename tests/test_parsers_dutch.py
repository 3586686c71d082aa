"""Dutch amounts, dates and identifiers as they appear on real invoices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from parsers.dutch import (
    find_amounts,
    find_dates,
    format_city,
    is_valid_iban,
    is_valid_kvk,
    is_valid_vat_id,
    normalise_iban,
    normalise_postcode,
    normalise_vat_id,
    parse_amount,
    parse_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("€ 1.234,56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("€1.234,56", "1234.56"),
        ("€\u00a01.234,56", "1234.56"),
        ("€\u202f1.234,56", "1234.56"),
        ("€ 5,-", "5.00"),
        ("€ 5,–", "5.00"),
        ("€ 5,--", "5.00"),
        ("€ 1.000,-", "1000.00"),
        ("1234,56", "1234.56"),
        ("27,80", "27.80"),
        ("1,234.56", "1234.56"),
        ("12.50", "12.50"),
        ("€ 10 000,00", "10000.00"),
        ("€ 10 000 000", "10000000.00"),
        ("€ 5329", "5329.00"),
        ("1.234", "1234.00"),
        ("1.234.567,89", "1234567.89"),
        ("1,5", "1.50"),
        ("EUR 12", "12.00"),
        ("12,00 EUR", "12.00"),
        ("1.250,00 euro", "1250.00"),
        ("-€ 3,10", "-3.10"),
        ("€ -3,10", "-3.10"),
        ("\u2212 3,10", "-3.10"),
        ("€ 3,10-", "-3.10"),
        ("(4,00)", "-4.00"),
        ("0,00", "0.00"),
    ],
)
def test_parse_amount_accepts(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    ["", "abc", "21%", "0,125", "1,2345", "12.34.5", "1.23.456", "€", "1 2", "2024-0101", "03-04-2024", "1.,5"],
)
def test_parse_amount_rejects(text: str) -> None:
    assert parse_amount(text) is None


def test_parse_amount_has_two_decimals() -> None:
    amount = parse_amount("€ 5")
    assert amount is not None
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("BTW 21% over € 1.020,30      €     214,26", ["1020.30", "214.26"]),
        ("8,5 € 92,50 € 786,25", ["8.50", "92.50", "786.25"]),
        ("Jaarabonnement 1 289,00 289,00", ["1.00", "289.00", "289.00"]),
        ("voor factuur 2024-0808 (€ 540,00) bellen", ["540.00"]),
        ("Totaal € 10 000,00 incl. btw", ["10000.00"]),
        ("Bel 06-12345678", []),
        ("op 03-04-2024", []),
    ],
)
def test_find_amounts_in_line(line: str, expected: list[str]) -> None:
    assert [str(found.value) for found in find_amounts(line)] == expected


def test_find_amounts_marks_currency() -> None:
    found = find_amounts("Aantal 3 à € 4,50")
    assert [item.has_currency for item in found] == [False, True]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03-04-2024", date(2024, 4, 3)),
        ("3-4-2024", date(2024, 4, 3)),
        ("03.04.2024", date(2024, 4, 3)),
        ("03/04/2024", date(2024, 4, 3)),
        ("2024-04-03", date(2024, 4, 3)),
        ("03-04-24", date(2024, 4, 3)),
        ("3 april 2024", date(2024, 4, 3)),
        ("3 April 2024", date(2024, 4, 3)),
        ("3 apr. 2024", date(2024, 4, 3)),
        ("3 mrt 2024", date(2024, 3, 3)),
        ("12 maart 2026", date(2026, 3, 12)),
        ("1 mei 2024", date(2024, 5, 1)),
        ("18 april 2014", date(2014, 4, 18)),
        ("31 okt. 2023", date(2023, 10, 31)),
        ("3 March 2024", date(2024, 3, 3)),
        ("April 3, 2024", date(2024, 4, 3)),
        ("woensdag 3 april 2024", date(2024, 4, 3)),
        ("02-08-2024", date(2024, 8, 2)),
    ],
)
def test_parse_date_day_first(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "31-02-2024", "13 foo 2024", "2024-0101", "3 april", "03-04-2024 en 04-04-2024", "1.234,56"])
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text) is None


def test_find_dates_in_sentence() -> None:
    found = find_dates("Gelieve vóór 14-02-2024 te betalen, factuurdatum 15 januari 2024.")
    assert [item.value for item in found] == [date(2024, 2, 14), date(2024, 1, 15)]


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("NL91ABNA0417164300", True),
        ("NL91 ABNA 0417 1643 00", True),
        ("nl91abna0417164300", True),
        ("NL50INGB0683251309", True),
        ("NL58RABO0198723202", True),
        ("NL91ABNA0417164301", False),
        ("NL91ABNA041716430", False),
        ("NL9112340417164300", False),
        ("BE68539007547034", True),
        ("DE89370400440532013000", True),
        ("GB82WEST12345698765432", True),
        ("DE89370400440532013001", False),
        ("", False),
    ],
)
def test_is_valid_iban(iban: str, valid: bool) -> None:
    assert is_valid_iban(iban) is valid


def test_normalise_iban() -> None:
    assert normalise_iban("nl91 abna 0417.1643.00") == "NL91ABNA0417164300"


@pytest.mark.parametrize(
    ("kvk", "valid"),
    [("12345678", True), ("04080176", True), ("1234 5678", True), ("1234567", False), ("123456789", False), ("1234567a", False), ("000012345678", False)],
)
def test_is_valid_kvk(kvk: str, valid: bool) -> None:
    assert is_valid_kvk(kvk) is valid


@pytest.mark.parametrize(
    ("vat_id", "valid"),
    [
        ("NL000099998B57", True),  # sole trader number, mod 97-10
        ("NL002455799B11", True),  # mod 97-10
        ("NL004495445B01", True),  # elfproef on the RSIN
        ("NL810433941B01", True),
        ("NL815254295B01", True),
        ("NL 8104.33.941.B01", True),
        ("nl810433941b01", True),
        ("NL111234567B01", False),  # passes neither check
        ("NL004495445B00", False),  # suffix 00 is never issued
        ("NL00449544B01", False),
        ("NL004495445X01", False),
        ("BE0505890632", True),
        ("BE0505890633", False),
        ("DE123456789", True),
    ],
)
def test_is_valid_vat_id(vat_id: str, valid: bool) -> None:
    assert is_valid_vat_id(vat_id) is valid


def test_normalise_vat_id() -> None:
    assert normalise_vat_id("NL 8104.33.941 B01") == "NL810433941B01"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3511ab", "3511 AB"),
        ("3511 AB", "3511 AB"),
        (" 8441 pk ", "8441 PK"),
        ("3511\u00a0AB", "3511 AB"),
        ("0511 AB", None),
        ("3511 SA", None),
        ("3511 SD", None),
        ("3511 ss", None),
        ("351 AB", None),
        ("3511 A", None),
        ("35111 AB", None),
    ],
)
def test_normalise_postcode(text: str, expected: str | None) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("UTRECHT", "Utrecht"), ("'S-HERTOGENBOSCH", "'s-Hertogenbosch"), ("ALPHEN AAN DEN RIJN", "Alphen aan den Rijn"), ("Deventer", "Deventer")],
)
def test_format_city(text: str, expected: str) -> None:
    assert format_city(text) == expected
