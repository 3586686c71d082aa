from decimal import Decimal

import pytest

from phases.money import NBSP, format_euro, format_percent, to_cents


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.005", "0.01"),  # half rounds up
        ("0.0049", "0.00"),
        ("2.675", "2.68"),  # float would give 2.67
        ("-0.005", "-0.01"),  # half rounds away from zero
        ("1000", "1000.00"),
    ],
)
def test_to_cents_half_up(amount: str, expected: str) -> None:
    assert to_cents(Decimal(amount)) == Decimal(expected)
    assert str(to_cents(Decimal(amount))) == expected


def test_to_cents_rejects_float() -> None:
    with pytest.raises(TypeError):
        to_cents(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", "€ 0,00"),
        ("0.5", "€ 0,50"),
        ("40", "€ 40,00"),
        ("999.99", "€ 999,99"),
        ("1000", "€ 1.000,00"),
        ("1234.56", "€ 1.234,56"),
        ("12345.67", "€ 12.345,67"),
        ("1000000.00", "€ 1.000.000,00"),
        ("1019120.67", "€ 1.019.120,67"),
        ("1234.565", "€ 1.234,57"),
        ("-12.5", "€ -12,50"),
    ],
)
def test_format_euro_dutch(amount: str, expected: str) -> None:
    assert format_euro(Decimal(amount)) == expected.replace(" ", NBSP)


def test_format_euro_uses_nbsp_after_sign() -> None:
    text = format_euro(Decimal("1"))
    assert text[1] == "\u00a0"
    assert " " not in text


def test_format_percent() -> None:
    assert format_percent(Decimal("12.25")) == f"12,25{NBSP}%"
    assert format_percent(Decimal("7")) == f"7,00{NBSP}%"
