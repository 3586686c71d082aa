"""Statutory interest (wettelijke rente, art. 6:119 and 6:119a BW) over one principal.

Rules applied, with their basis:

- Interest runs for every day from `start` through `end`, both inclusive. Art. 6:119a
  lid 1 BW: commercial interest runs from the day after the agreed payment day through
  the day of payment; `commercial_interest_start` gives that first day.
- Day count actual/365: each day earns base × rate / 365, also in a leap year. A full
  leap year of 366 days therefore earns 366/365 of the annual rate (€ 1.000 at 10 % over
  all of 2024 gives € 100,27). The law sets no day count; this is what common Dutch
  interest calculators do.
- Periods are split at every rate change in the table (art. 6:120 BW: a running interest
  moves to the new rate on the day it takes effect).
- Compounding (art. 6:119 lid 2, 6:119a lid 3 BW): after each full year, counted from
  `start`, the interest of that year is added to the base. The law reads "telkens na
  afloop van een jaar" and names no anchor date, so the anniversary of `start` is used,
  as common calculators do. A year that starts on 29 February ends on 28 February of
  the next year.
- Each period's amount is rounded to cents (ROUND_HALF_UP) and the total is the sum of
  the rounded periods, so the periods printed in a letter add up to its total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from phases.money import ZERO, to_cents
from phases.rates import InterestKind, RateTable

ONE_DAY = timedelta(days=1)
DAYS_PER_YEAR = 365
CONTRACT_CONFIDENCE = "contract"


@dataclass(frozen=True)
class InterestPeriod:
    """A run of days with one rate and one base; `end` is inclusive."""

    start: date
    end: date
    days: int
    rate_percent: Decimal
    base: Decimal
    amount: Decimal
    rate_confidence: str


@dataclass(frozen=True)
class InterestResult:
    """Interest over `principal` from `start` through `end` (inclusive).

    `periods` is empty when `end` is before `start`. `capitalised` is the interest added
    to the base at the completed anniversaries, so ``principal + capitalised`` is the
    base on `end`.
    """

    principal: Decimal
    start: date
    end: date
    kind: InterestKind
    periods: tuple[InterestPeriod, ...]
    total: Decimal
    capitalised: Decimal

    @property
    def days(self) -> int:
        return sum(period.days for period in self.periods)

    @property
    def rates_used(self) -> tuple[Decimal, ...]:
        """Distinct rates in the order they were applied."""
        seen: list[Decimal] = []
        for period in self.periods:
            if period.rate_percent not in seen:
                seen.append(period.rate_percent)
        return tuple(seen)


@dataclass(frozen=True)
class RateSegment:
    """A run of days `start`..`end` (inclusive) with one yearly rate."""

    start: date
    end: date
    rate_percent: Decimal
    confidence: str


@dataclass(frozen=True)
class InterestRule:
    """Which rate applies to a claim, and whether interest compounds.

    Without `contract_rate_percent` the statutory rate of `kind` applies and compounds
    yearly. With it, a commercial claim runs at the agreed rate (art. 6:119a lid 8 BW:
    an agreed rate counts as the statutory one) and a consumer claim at the higher of
    the agreed and the statutory rate (art. 6:119 lid 3 BW).
    NOTE: contractual interest is computed as simple interest. Yearly compounding is a
    rule for the statutory rate; a contract that also agrees compounding needs staff.
    """

    kind: InterestKind
    rates: RateTable
    contract_rate_percent: Decimal | None = None

    @property
    def compound(self) -> bool:
        return self.contract_rate_percent is None

    @property
    def legal_basis(self) -> str:
        if self.contract_rate_percent is not None:
            return "de algemene voorwaarden van onze opdrachtgever (contractuele rente)"
        if self.kind == "commercial":
            return "artikel 6:119a Burgerlijk Wetboek (wettelijke handelsrente)"
        return "artikel 6:119 Burgerlijk Wetboek (wettelijke rente)"

    def segments(self, first: date, last: date) -> list[RateSegment]:
        """Split first..last (inclusive) at every row of the rate table in that range."""
        contract = self.contract_rate_percent
        if contract is not None and self.kind == "commercial":
            return [RateSegment(first, last, contract, CONTRACT_CONFIDENCE)]

        boundaries = [first, *self.rates.changes_between(self.kind, first, last)]
        segments: list[RateSegment] = []
        for index, start in enumerate(boundaries):
            end = last if index + 1 == len(boundaries) else boundaries[index + 1] - ONE_DAY
            entry = self.rates.entry_on(self.kind, start)
            if contract is not None and contract > entry.rate_percent:
                segments.append(RateSegment(start, end, contract, CONTRACT_CONFIDENCE))
            else:
                segments.append(RateSegment(start, end, entry.rate_percent, entry.confidence))
        return segments


def commercial_interest_start(due_date: date) -> date:
    """Return the first day of commercial interest: the day after the due date."""
    return due_date + ONE_DAY


def anniversary(start: date, years: int) -> date:
    """Return the day `years` years after `start`; 29 February maps to 1 March."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def statutory_interest(
    principal: Decimal,
    start: date,
    end: date,
    kind: InterestKind,
    rates: RateTable,
) -> InterestResult:
    """Compute compound statutory interest of `kind` on `principal` for start..end inclusive.

    Raises ValueError for a negative principal and RateNotFound when `start` lies before
    the first rate of `kind` in the table.
    """
    if not isinstance(principal, Decimal):
        raise TypeError(f"principal must be a Decimal, got {type(principal).__name__}")
    if principal < 0:
        raise ValueError(f"principal must not be negative, got {principal}")

    rule = InterestRule(kind, rates)
    periods: list[InterestPeriod] = []
    base = principal
    capitalised = ZERO
    year_number = 0
    year_start = start

    while year_start <= end:
        full_year_end = anniversary(start, year_number + 1) - ONE_DAY
        year_end = min(full_year_end, end)

        year_periods = interest_periods(base, year_start, year_end, rule)
        periods.extend(year_periods)

        if year_end == full_year_end:
            year_interest = sum((period.amount for period in year_periods), ZERO)
            base += year_interest
            capitalised += year_interest

        year_number += 1
        year_start = anniversary(start, year_number)

    total = sum((period.amount for period in periods), ZERO)
    return InterestResult(
        principal=principal,
        start=start,
        end=end,
        kind=kind,
        periods=tuple(periods),
        total=total,
        capitalised=capitalised,
    )


def interest_periods(base: Decimal, first: date, last: date, rule: InterestRule) -> list[InterestPeriod]:
    """Return the interest on `base` for first..last (inclusive), one period per rate segment.

    The caller keeps first..last inside one interest year, so the base does not change.
    """
    return [interest_period(base, segment) for segment in rule.segments(first, last)]


def interest_period(base: Decimal, segment: RateSegment) -> InterestPeriod:
    """Compute base × rate × days / 365 for one segment, rounded to cents."""
    days = (segment.end - segment.start).days + 1
    amount = to_cents(base * segment.rate_percent * days / (100 * DAYS_PER_YEAR))
    return InterestPeriod(
        start=segment.start,
        end=segment.end,
        days=days,
        rate_percent=segment.rate_percent,
        base=base,
        amount=amount,
        rate_confidence=segment.confidence,
    )
