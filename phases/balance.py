"""The balance of a dossier on a day: interest, costs and payments, allocated by law.

The ledger is replayed day by day in date order. Before each payment, interest on every
claim is accrued through the payment day (art. 6:119a lid 1 BW counts the day of payment),
then the payment is allocated:

1. costs that are due (the BIK; art. 6:44 lid 1 BW, and HR 10 July 2015,
   ECLI:NL:HR:2015:1868, for BIK as costs);
2. interest, oldest claim first, capitalised interest before this year's interest;
3. principal, oldest claim first (art. 6:43 lid 2 BW: among due and equally onerous
   claims the oldest first, with the due date as the claim's age);
4. anything left is an overpayment.

Interest after a payment runs on the lower base. Compounding follows
`phases.interest`: at each anniversary of a claim's interest start the unpaid interest
of the year joins the base.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from phases.interest import InterestPeriod, InterestRule, RateSegment, anniversary, interest_period, interest_periods
from phases.money import ZERO

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ClaimInput:
    """One claim for the ledger: its principal and the first day interest runs."""

    invoice_number: str
    due_date: date
    principal: Decimal
    interest_start: date


@dataclass(frozen=True)
class CostItem:
    """Collection costs that become due on `due_on`; `vat` is included in `total`."""

    due_on: date
    amount: Decimal
    vat: Decimal
    label: str

    @property
    def total(self) -> Decimal:
        return self.amount + self.vat


@dataclass(frozen=True)
class ClaimBalance:
    invoice_number: str
    principal: Decimal
    principal_open: Decimal
    interest_start: date
    periods: tuple[InterestPeriod, ...]
    interest_accrued: Decimal
    interest_paid: Decimal
    interest_open: Decimal
    capitalised: Decimal


@dataclass(frozen=True)
class Allocation:
    """The split of one payment over costs, interest and principal."""

    received_on: date
    amount: Decimal
    to_costs: Decimal
    to_interest: Decimal
    to_principal: Decimal
    overpaid: Decimal


@dataclass(frozen=True)
class Balance:
    """Everything owed and paid on `on`, with the interest accrued through that day."""

    on: date
    claims: tuple[ClaimBalance, ...]
    costs: tuple[CostItem, ...]
    costs_due: Decimal
    costs_paid: Decimal
    allocations: tuple[Allocation, ...]

    @property
    def principal(self) -> Decimal:
        return sum((claim.principal for claim in self.claims), ZERO)

    @property
    def principal_open(self) -> Decimal:
        return sum((claim.principal_open for claim in self.claims), ZERO)

    @property
    def interest_accrued(self) -> Decimal:
        return sum((claim.interest_accrued for claim in self.claims), ZERO)

    @property
    def interest_paid(self) -> Decimal:
        return sum((claim.interest_paid for claim in self.claims), ZERO)

    @property
    def interest_open(self) -> Decimal:
        return sum((claim.interest_open for claim in self.claims), ZERO)

    @property
    def capitalised(self) -> Decimal:
        return sum((claim.capitalised for claim in self.claims), ZERO)

    @property
    def costs_open(self) -> Decimal:
        return self.costs_due - self.costs_paid

    @property
    def paid(self) -> Decimal:
        return sum((allocation.amount for allocation in self.allocations), ZERO)

    @property
    def overpaid(self) -> Decimal:
        return sum((allocation.overpaid for allocation in self.allocations), ZERO)

    @property
    def total_open(self) -> Decimal:
        """What the debtor still owes on `on`: open costs, interest and principal."""
        return self.costs_open + self.interest_open + self.principal_open

    @property
    def is_paid(self) -> bool:
        return self.total_open <= 0


class _ClaimLedger:
    """Running state of one claim: open principal, capitalised and current-year interest."""

    def __init__(self, claim: ClaimInput, rule: InterestRule) -> None:
        self.claim = claim
        self.rule = rule
        self.principal_open = claim.principal
        self.capitalised_open = ZERO  # capitalised interest not yet paid; part of the base
        self.year_open = ZERO  # this interest year's accrued interest not yet paid
        self.capitalised_total = ZERO
        self.interest_paid = ZERO
        self.periods: list[InterestPeriod] = []
        self.cursor = claim.interest_start  # first day not yet accrued
        self.year_number = 0

    @property
    def base(self) -> Decimal:
        return self.principal_open + self.capitalised_open

    @property
    def interest_open(self) -> Decimal:
        return self.capitalised_open + self.year_open

    def accrue_through(self, day: date) -> None:
        start = self.claim.interest_start
        while self.cursor <= day:
            year_end = anniversary(start, self.year_number + 1) - ONE_DAY
            piece_end = min(day, year_end)
            if self.base > 0:
                for period in interest_periods(self.base, self.cursor, piece_end, self.rule):
                    self._append(period)
            self.cursor = piece_end + ONE_DAY
            if piece_end == year_end:
                if self.rule.compound:
                    self.capitalised_open += self.year_open
                    self.capitalised_total += self.year_open
                    self.year_open = ZERO
                self.year_number += 1

    def _append(self, period: InterestPeriod) -> None:
        """Add a period, or extend the previous one when only a payment on another claim
        split them (same base, one rate-table row, same interest year), so the letter
        shows one line."""
        previous = self.periods[-1] if self.periods else None
        if (
            previous is not None
            and previous.end + ONE_DAY == period.start
            and previous.base == period.base
            and previous.rate_percent == period.rate_percent
            and previous.rate_confidence == period.rate_confidence
            and self._same_interest_year(previous.start, period.end)
            and len(self.rule.segments(previous.start, period.end)) == 1
        ):
            merged = interest_period(period.base, RateSegment(previous.start, period.end, period.rate_percent, period.rate_confidence))
            self.periods[-1] = merged
            self.year_open += merged.amount - previous.amount
            return
        self.periods.append(period)
        self.year_open += period.amount

    def _same_interest_year(self, first: date, last: date) -> bool:
        if not self.rule.compound:
            return True
        start = self.claim.interest_start
        year_end = anniversary(start, self.year_number + 1) - ONE_DAY
        year_start = anniversary(start, self.year_number)
        return year_start <= first and last <= year_end

    def pay_interest(self, available: Decimal) -> Decimal:
        """Pay capitalised interest, then this year's; return what was used."""
        used = ZERO
        for attribute in ("capitalised_open", "year_open"):
            part = min(available - used, getattr(self, attribute))
            if part > 0:
                setattr(self, attribute, getattr(self, attribute) - part)
                used += part
        self.interest_paid += used
        return used

    def pay_principal(self, available: Decimal) -> Decimal:
        part = min(available, self.principal_open)
        self.principal_open -= part
        return part

    def result(self) -> ClaimBalance:
        accrued = sum((period.amount for period in self.periods), ZERO)
        return ClaimBalance(
            invoice_number=self.claim.invoice_number,
            principal=self.claim.principal,
            principal_open=self.principal_open,
            interest_start=self.claim.interest_start,
            periods=tuple(self.periods),
            interest_accrued=accrued,
            interest_paid=self.interest_paid,
            interest_open=self.interest_open,
            capitalised=self.capitalised_total,
        )


def compute_balance(
    claims: tuple[ClaimInput, ...] | list[ClaimInput],
    payments: tuple[tuple[date, Decimal], ...] | list[tuple[date, Decimal]],
    costs: tuple[CostItem, ...] | list[CostItem],
    on: date,
    rule: InterestRule,
) -> Balance:
    """Replay the claims, costs and payments up to and including `on`.

    `payments` are (received_on, amount) pairs; payments after `on` are ignored, and so
    are costs due after `on`.
    """
    ledgers = [
        _ClaimLedger(claim, rule)
        for claim in sorted(claims, key=lambda item: (item.due_date, item.invoice_number))
    ]
    due_costs = [item for item in costs if item.due_on <= on]
    costs_paid = ZERO
    allocations: list[Allocation] = []

    for received_on, amount in sorted((item for item in payments if item[0] <= on), key=lambda item: item[0]):
        for ledger in ledgers:
            ledger.accrue_through(received_on)

        costs_open = sum((item.total for item in due_costs if item.due_on <= received_on), ZERO) - costs_paid
        to_costs = min(amount, max(costs_open, ZERO))
        costs_paid += to_costs
        left = amount - to_costs

        to_interest = ZERO
        for ledger in ledgers:
            to_interest += ledger.pay_interest(left - to_interest)
        left -= to_interest

        to_principal = ZERO
        for ledger in ledgers:
            to_principal += ledger.pay_principal(left - to_principal)
        left -= to_principal

        allocations.append(Allocation(received_on, amount, to_costs, to_interest, to_principal, left))

    for ledger in ledgers:
        ledger.accrue_through(on)

    return Balance(
        on=on,
        claims=tuple(ledger.result() for ledger in ledgers),
        costs=tuple(due_costs),
        costs_due=sum((item.total for item in due_costs), ZERO),
        costs_paid=costs_paid,
        allocations=tuple(allocations),
    )
