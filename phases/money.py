"""Money helpers: rounding to cents and Dutch amount notation.

Amounts are `Decimal` euros throughout the product. Rounding to cents is ROUND_HALF_UP
(0,005 becomes 0,01), the rounding a reader does by hand and the one Dutch interest
calculators print. The law prescribes no rounding rule for interest or BIK.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
NBSP = "\u00a0"


def to_cents(amount: Decimal) -> Decimal:
    """Round `amount` to whole cents, halves away from zero."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, got {type(amount).__name__}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_euro(amount: Decimal) -> str:
    """Format `amount` the Dutch way: ``€ 1.234,56``, with a no-break space after the sign.

    The amount is rounded to cents first. Negative amounts get the minus sign after the
    euro sign (``€ -12,50``), as Dutch bookkeeping software prints them.
    """
    cents = to_cents(amount)
    sign = "-" if cents < 0 else ""
    whole, fraction = f"{abs(cents):.2f}".split(".")

    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)

    return f"€{NBSP}{sign}{'.'.join(groups)},{fraction}"


def format_percent(rate_percent: Decimal) -> str:
    """Format a percentage the Dutch way with two decimals: ``12,25%`` becomes ``12,25 %``."""
    text = f"{rate_percent.quantize(CENT, rounding=ROUND_HALF_UP):.2f}".replace(".", ",")
    return f"{text}{NBSP}%"
