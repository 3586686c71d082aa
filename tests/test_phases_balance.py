"""The dossier ledger: interest across rate changes, compounding, payment allocation."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from phases.balance import ClaimInput, CostItem, compute_balance
from phases.interest import InterestRule, statutory_interest
from phases.rates import RateEntry, RateTable


@pytest.fixture(scope="module")
def rates() -> RateTable:
    return RateTable.load()


def flat(rate: str) -> RateTable:
    return RateTable([RateEntry(kind, date(2000, 1, 1), Decimal(rate), "verified-page", "test") for kind in ("commercial", "consumer")])


def d(text: str) -> date:
    return date.fromisoformat(text)


def claim(principal: str, start: str, number: str = "F-1") -> ClaimInput:
    return ClaimInput(number, d(start) - timedelta(days=1), Decimal(principal), d(start))


def test_commercial_2023_to_2026_with_compounding(rates: RateTable) -> None:
    # € 10.000 handelsrente from 2023-05-01 through 2026-03-31, days / 365, each period
    # rounded to cents:
    # Year 1, 2023-05-01 .. 2024-04-30, base 10.000,00:
    #   61 d x 10,50 %: 10000 x 10,50 x 61 / 36500 = 175,479.. -> 175,48
    #  184 d x 12,00 %: 10000 x 12,00 x 184 / 36500 = 604,931.. -> 604,93
    #  121 d x 12,50 %: 10000 x 12,50 x 121 / 36500 = 414,383.. -> 414,38
    #  year 1,194,79 -> base 11.194,79
    # Year 2, 2024-05-01 .. 2025-04-30:
    #   61 d x 12,50 %: 11194,79 x 12,50 x 61 / 36500 = 233,863.. -> 233,86
    #  184 d x 12,25 %: 11194,79 x 12,25 x 184 / 36500 = 691,316.. -> 691,32
    #  120 d x 11,15 %: 11194,79 x 11,15 x 120 / 36500 = 410,373.. -> 410,37
    #  year 1.335,55 -> base 12.530,34
    # Year 3, 2025-05-01 .. 2026-03-31:
    #   61 d x 11,15 %: 12530,34 x 11,15 x 61 / 36500 = 233,493.. -> 233,49
    #  184 d x 10,15 %: 12530,34 x 10,15 x 184 / 36500 = 641,141.. -> 641,14
    #   90 d x 10,15 % (new table row 2026-01-01): 12530,34 x 10,15 x 90 / 36500 = 313,601.. -> 313,60
    # Total 1.194,79 + 1.335,55 + 1.188,23 = 3.718,57
    expected = [
        (d("2023-05-01"), 61, "10.50", "10000.00", "175.48"),
        (d("2023-07-01"), 184, "12.00", "10000.00", "604.93"),
        (d("2024-01-01"), 121, "12.50", "10000.00", "414.38"),
        (d("2024-05-01"), 61, "12.50", "11194.79", "233.86"),
        (d("2024-07-01"), 184, "12.25", "11194.79", "691.32"),
        (d("2025-01-01"), 120, "11.15", "11194.79", "410.37"),
        (d("2025-05-01"), 61, "11.15", "12530.34", "233.49"),
        (d("2025-07-01"), 184, "10.15", "12530.34", "641.14"),
        (d("2026-01-01"), 90, "10.15", "12530.34", "313.60"),
    ]
    rule = InterestRule("commercial", rates)
    balance = compute_balance([claim("10000.00", "2023-05-01")], [], [], d("2026-03-31"), rule)
    periods = balance.claims[0].periods
    assert [(p.start, p.days, str(p.rate_percent), str(p.base), str(p.amount)) for p in periods] == [
        (start, days, rate, base, amount) for start, days, rate, base, amount in expected
    ]
    assert balance.interest_accrued == Decimal("3718.57")
    assert balance.capitalised == Decimal("2530.34")
    assert balance.total_open == Decimal("13718.57")

    # The plain statutory_interest function gives the same periods.
    plain = statutory_interest(Decimal("10000.00"), d("2023-05-01"), d("2026-03-31"), "commercial", rates)
    assert [(p.start, p.amount) for p in plain.periods] == [(p.start, p.amount) for p in periods]
    assert plain.total == Decimal("3718.57")


def test_consumer_across_year_boundary(rates: RateTable) -> None:
    # € 5.000 wettelijke rente (6:119 BW) from 2022-11-15 through 2024-02-29 (leap day):
    # Year 1, 2022-11-15 .. 2023-11-14:
    #   47 d x 2 %: 5000 x 2 x 47 / 36500 = 12,876.. -> 12,88
    #  181 d x 4 %: 5000 x 4 x 181 / 36500 = 99,178.. -> 99,18
    #  137 d x 6 %: 5000 x 6 x 137 / 36500 = 112,602.. -> 112,60
    #  year 224,66 -> base 5.224,66 from 2023-11-15
    # Year 2: 47 d x 6 %: 5224,66 x 6 x 47 / 36500 = 40,365.. -> 40,37
    #         60 d x 7 %: 5224,66 x 7 x 60 / 36500 = 60,119.. -> 60,12
    # Total 325,15
    rule = InterestRule("consumer", rates)
    balance = compute_balance([claim("5000.00", "2022-11-15")], [], [], d("2024-02-29"), rule)
    amounts = [(p.days, str(p.rate_percent), str(p.base), str(p.amount)) for p in balance.claims[0].periods]
    assert amounts == [
        (47, "2.00", "5000.00", "12.88"),
        (181, "4.00", "5000.00", "99.18"),
        (137, "6.00", "5000.00", "112.60"),
        (47, "6.00", "5224.66", "40.37"),
        (60, "7.00", "5224.66", "60.12"),
    ]
    assert balance.interest_accrued == Decimal("325.15")


def test_payment_goes_to_costs_then_interest_then_principal() -> None:
    # € 1.000 at a flat 10 % from 2026-01-01; BIK 150,00 due from 2026-01-11; 200,00 paid on 2026-01-20.
    # Interest 01-01 .. 01-20: 20 days: 1000 x 10 x 20 / 36500 = 5,479.. -> 5,48
    # Allocation: costs 150,00, interest 5,48, principal 44,52 -> principal 955,48.
    # Interest 01-21 .. 01-31: 11 days: 955,48 x 10 x 11 / 36500 = 2,879.. -> 2,88
    rule = InterestRule("commercial", flat("10"))
    costs = [CostItem(d("2026-01-11"), Decimal("150.00"), Decimal("0.00"), "BIK")]
    balance = compute_balance([claim("1000.00", "2026-01-01")], [(d("2026-01-20"), Decimal("200.00"))], costs, d("2026-01-31"), rule)
    allocation = balance.allocations[0]
    assert (allocation.to_costs, allocation.to_interest, allocation.to_principal, allocation.overpaid) == (
        Decimal("150.00"), Decimal("5.48"), Decimal("44.52"), Decimal("0.00"),
    )
    assert balance.principal_open == Decimal("955.48")
    assert balance.costs_open == Decimal("0.00")
    assert balance.interest_open == Decimal("2.88")
    assert balance.total_open == Decimal("958.36")
    assert [(p.end, p.base, p.amount) for p in balance.claims[0].periods] == [
        (d("2026-01-20"), Decimal("1000.00"), Decimal("5.48")),
        (d("2026-01-31"), Decimal("955.48"), Decimal("2.88")),
    ]


def test_payment_before_costs_are_due_skips_costs() -> None:
    # Paid 100,00 on 2026-01-05, costs due only from 01-11.
    # Interest 01-01 .. 01-05: 5 days: 1000 x 10 x 5 / 36500 = 1,369.. -> 1,37; principal gets 98,63.
    rule = InterestRule("commercial", flat("10"))
    costs = [CostItem(d("2026-01-11"), Decimal("150.00"), Decimal("0.00"), "BIK")]
    balance = compute_balance([claim("1000.00", "2026-01-01")], [(d("2026-01-05"), Decimal("100.00"))], costs, d("2026-01-11"), rule)
    allocation = balance.allocations[0]
    assert (allocation.to_costs, allocation.to_interest, allocation.to_principal) == (Decimal("0.00"), Decimal("1.37"), Decimal("98.63"))
    assert balance.costs_open == Decimal("150.00")


def test_oldest_claim_first_and_overpayment() -> None:
    # Two claims at 0 %: the older (due 2026-01-01) is paid first; 1.100 on 1.000 total overpays 100.
    rule = InterestRule("commercial", flat("0"))
    claims = [
        ClaimInput("NEW", d("2026-02-01"), Decimal("400.00"), d("2026-02-02")),
        ClaimInput("OLD", d("2026-01-01"), Decimal("600.00"), d("2026-01-02")),
    ]
    partial = compute_balance(claims, [(d("2026-03-01"), Decimal("700.00"))], [], d("2026-03-01"), rule)
    by_number = {item.invoice_number: item for item in partial.claims}
    assert by_number["OLD"].principal_open == Decimal("0.00")
    assert by_number["NEW"].principal_open == Decimal("300.00")

    over = compute_balance(claims, [(d("2026-03-01"), Decimal("1100.00"))], [], d("2026-03-01"), rule)
    assert over.overpaid == Decimal("100.00")
    assert over.is_paid


def test_capitalised_interest_paid_before_current_year() -> None:
    # € 1.000 at 10 % from 2024-01-01 (leap year: 366 days -> 1000 x 10 x 366 / 36500 = 100,27),
    # capitalised on 2025-01-01. On 2025-01-31 the year-2 interest is 31 days over 1.100,27:
    # 1100,27 x 10 x 31 / 36500 = 9,344.. -> 9,34. A payment of 50,00 that day pays
    # capitalised interest first: capitalised open 50,27, this year's 9,34 untouched.
    rule = InterestRule("commercial", flat("10"))
    balance = compute_balance([claim("1000.00", "2024-01-01")], [(d("2025-01-31"), Decimal("50.00"))], [], d("2025-01-31"), rule)
    item = balance.claims[0]
    assert item.capitalised == Decimal("100.27")
    assert item.interest_accrued == Decimal("109.61")
    assert item.interest_open == Decimal("59.61")
    assert item.principal_open == Decimal("1000.00")


def test_contract_rate_replaces_for_business_and_tops_up_for_consumer(rates: RateTable) -> None:
    # 1.000 from 2026-01-01 through 2026-01-31 (31 days).
    # Business, 12 % agreed: 1000 x 12 x 31 / 36500 = 10,191.. -> 10,19
    # Consumer, 2 % agreed, statutory 4 % is higher: 1000 x 4 x 31 / 36500 = 3,397.. -> 3,40
    # Consumer, 8 % agreed: 1000 x 8 x 31 / 36500 = 6,794.. -> 6,79
    business = compute_balance([claim("1000.00", "2026-01-01")], [], [], d("2026-01-31"), InterestRule("commercial", rates, Decimal("12")))
    assert business.interest_accrued == Decimal("10.19")
    assert business.claims[0].periods[0].rate_confidence == "contract"
    low = compute_balance([claim("1000.00", "2026-01-01")], [], [], d("2026-01-31"), InterestRule("consumer", rates, Decimal("2")))
    assert low.interest_accrued == Decimal("3.40")
    high = compute_balance([claim("1000.00", "2026-01-01")], [], [], d("2026-01-31"), InterestRule("consumer", rates, Decimal("8")))
    assert high.interest_accrued == Decimal("6.79")


def test_contract_interest_does_not_compound() -> None:
    # 1.000 at an agreed 10 % from 2025-01-01 to 2026-01-31: 365 + 31 days, no capitalisation:
    # 1000 x 10 x 396 / 36500 = 108,493.. -> 108,49
    rule = InterestRule("commercial", flat("5"), Decimal("10"))
    balance = compute_balance([claim("1000.00", "2025-01-01")], [], [], d("2026-01-31"), rule)
    assert balance.capitalised == Decimal("0.00")
    assert balance.interest_accrued == Decimal("108.49")
    assert len(balance.claims[0].periods) == 1
