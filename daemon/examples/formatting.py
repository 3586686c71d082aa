"""Dutch formatting of amounts, quantities and dates for the example documents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

MONTHS_NL = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)

NBSP = "\u00a0"


def _group_thousands(integer_digits: str) -> str:
    groups: list[str] = []
    while len(integer_digits) > 3:
        groups.insert(0, integer_digits[-3:])
        integer_digits = integer_digits[:-3]
    groups.insert(0, integer_digits)
    return ".".join(groups)


def amount_nl(amount: Decimal, places: int = 2) -> str:
    """Format `amount` the Dutch way with at least `places` decimals: `1.234,56`."""
    exponent = amount.as_tuple().exponent
    shown = max(places, -exponent) if isinstance(exponent, int) else places
    text = f"{abs(amount):.{shown}f}"
    integer_part, _, fraction = text.partition(".")
    sign = "-" if amount < 0 else ""
    return f"{sign}{_group_thousands(integer_part)},{fraction}"


def euro(amount: Decimal) -> str:
    """Format `amount` as `€ 1.234,56` with a no-break space after the euro sign."""
    return f"€{NBSP}{amount_nl(amount)}"


def euro_text(amount: Decimal) -> str:
    """Format `amount` as `€ 1.234,56` with a plain space, as typed in a mail body."""
    return f"€ {amount_nl(amount)}"


def quantity_nl(quantity: Decimal) -> str:
    """Format a quantity without trailing zeros: `2,5`, `12`, `2.500`."""
    normalized = quantity.normalize()
    if normalized == normalized.to_integral_value():
        return _group_thousands(f"{int(normalized)}")
    return amount_nl(normalized, places=0)


def percent_nl(rate: Decimal) -> str:
    """Format a VAT rate without trailing zeros: `21`, `9`."""
    return quantity_nl(rate)


def date_nl(value: date) -> str:
    """Format a date as `05-01-2026`."""
    return value.strftime("%d-%m-%Y")


def date_long_nl(value: date) -> str:
    """Format a date as `5 januari 2026`."""
    return f"{value.day} {MONTHS_NL[value.month - 1]} {value.year}"
