"""Invoice amounts for the example mails, computed the way an invoice prints them.

Each line amount is quantity times unit price, rounded half up to cents. The VAT is
computed per rate over the sum of that rate's lines, and rounded half up to cents.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from daemon.examples.models import ExampleInvoice, InvoiceLine
from daemon.examples.parties import ClientProfile

CENT = Decimal("0.01")

# Due dates lie at least this many days before `today`, so every claim is overdue.
MIN_DAYS_OVERDUE = 14


def to_cents(amount: Decimal) -> Decimal:
    """Round `amount` half up to whole cents."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(line: InvoiceLine) -> Decimal:
    """Return the amount of one invoice line, excluding VAT."""
    _description, quantity, unit_price, _vat_rate = line
    return to_cents(quantity * unit_price)


def vat_by_rate(lines: tuple[InvoiceLine, ...]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Return, per VAT rate, the taxable base and the VAT rounded to cents."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        bases[line[3]] += line_amount(line)
    return {
        rate: (base, to_cents(base * rate / Decimal(100)))
        for rate, base in sorted(bases.items(), reverse=True)
    }


def invoice_number(profile: ClientProfile, invoice_date: date, sequence: int) -> str:
    """Format invoice number `sequence` the way `profile`'s client numbers invoices."""
    year = invoice_date.year
    return profile.number_format.format(year=year, yy=f"{year % 100:02d}", seq=sequence)


def renumber_by_date(
    profile: ClientProfile, invoices: tuple[ExampleInvoice, ...], first_sequence: int
) -> tuple[ExampleInvoice, ...]:
    """Sort `invoices` by date and number them from `first_sequence` in that order."""
    ordered = sorted(invoices, key=lambda invoice: invoice.date)
    return tuple(
        replace(invoice, number=invoice_number(profile, invoice.date, first_sequence + offset))
        for offset, invoice in enumerate(ordered)
    )


def make_invoice(
    rng: random.Random,
    profile: ClientProfile,
    *,
    today: date,
    sequence: int,
    partial_payment: bool = False,
    max_lines: int = 4,
) -> ExampleInvoice:
    """Draw an overdue invoice of `profile`'s client with number `sequence`.

    With `partial_payment`, a round amount of 20 to 60 percent of the total is noted
    as paid, so `outstanding` is less than `total`.
    """
    term = profile.payment_term_days
    invoice_date = today - timedelta(days=term + MIN_DAYS_OVERDUE + rng.randint(3, 80))
    due_date = invoice_date + timedelta(days=term)

    count = rng.randint(1, min(max_lines, len(profile.catalogue)))
    items = rng.sample(profile.catalogue, count)
    lines = tuple(
        (description, rng.choice(quantities), unit_price, vat_rate)
        for description, unit_price, quantities, vat_rate in items
    )

    subtotal = sum((line_amount(line) for line in lines), Decimal("0.00"))
    vat = sum((amount for _base, amount in vat_by_rate(lines).values()), Decimal("0.00"))
    total = subtotal + vat

    outstanding = total
    if partial_payment:
        share = Decimal(rng.randint(20, 60)) / Decimal(100)
        paid = (total * share / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 10
        paid = to_cents(max(Decimal(10), paid))
        if paid >= total:
            paid = to_cents(total / 2)
        outstanding = total - paid

    return ExampleInvoice(
        number=invoice_number(profile, invoice_date, sequence),
        date=invoice_date,
        due_date=due_date,
        payment_term_days=term,
        lines=lines,
        subtotal=subtotal,
        vat=vat,
        total=total,
        outstanding=outstanding,
    )
