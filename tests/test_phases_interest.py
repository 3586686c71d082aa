import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from phases.interest import anniversary, commercial_interest_start, statutory_interest
from phases.rates import RateEntry, RateNotFound, RateTable


@pytest.fixture(scope="module")
def rates() -> RateTable:
    return RateTable.load()


def flat_table(rate: str) -> RateTable:
    """A table with one constant rate of both kinds since 2000."""
    return RateTable(
        [
            RateEntry(kind, date(2000, 1, 1), Decimal(rate), "verified-page", "test")
            for kind in ("commercial", "consumer")
        ]
    )


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_commercial_full_leap_year_2024(rates: RateTable) -> None:
    # 2024-01-01..2024-06-30: 182 days at 12,50 %: 1000 x 12,50 x 182 / 36500 = 62,3287.. -> 62,33
    # 2024-07-01..2024-12-31: 184 days at 12,25 %: 1000 x 12,25 x 184 / 36500 = 61,7534.. -> 61,75
    result = statutory_interest(Decimal("1000.00"), d("2024-01-01"), d("2024-12-31"), "commercial", rates)
    assert [(p.start, p.end, p.days, p.rate_percent, p.amount) for p in result.periods] == [
        (d("2024-01-01"), d("2024-06-30"), 182, Decimal("12.50"), Decimal("62.33")),
        (d("2024-07-01"), d("2024-12-31"), 184, Decimal("12.25"), Decimal("61.75")),
    ]
    assert result.total == Decimal("124.08")
    assert result.days == 366
    # The year from 2024-01-01 completes on 2024-12-31, so its interest joins the base.
    assert result.capitalised == Decimal("124.08")


def test_commercial_crossing_rate_change(rates: RateTable) -> None:
    # 2024-06-21..06-30: 10 days at 12,50 %: 1000 x 12,50 x 10 / 36500 = 3,4246.. -> 3,42
    # 2024-07-01..07-10: 10 days at 12,25 %: 1000 x 12,25 x 10 / 36500 = 3,3561.. -> 3,36
    result = statutory_interest(Decimal("1000.00"), d("2024-06-21"), d("2024-07-10"), "commercial", rates)
    assert [(p.days, p.rate_percent, p.base, p.amount) for p in result.periods] == [
        (10, Decimal("12.50"), Decimal("1000.00"), Decimal("3.42")),
        (10, Decimal("12.25"), Decimal("1000.00"), Decimal("3.36")),
    ]
    assert result.total == Decimal("6.78")
    assert result.rates_used == (Decimal("12.50"), Decimal("12.25"))
    assert result.capitalised == Decimal("0.00")


def test_commercial_compounds_after_calendar_year(rates: RateTable) -> None:
    # Year 1 (2024) as above: 124,08 -> base 1.124,08 from 2025-01-01.
    # 2025-01-01..01-31: 31 days at 11,15 %: 1124,08 x 11,15 x 31 / 36500 = 10,6448.. -> 10,64
    result = statutory_interest(Decimal("1000.00"), d("2024-01-01"), d("2025-01-31"), "commercial", rates)
    last = result.periods[-1]
    assert (last.start, last.end, last.days, last.rate_percent) == (d("2025-01-01"), d("2025-01-31"), 31, Decimal("11.15"))
    assert last.base == Decimal("1124.08")
    assert last.amount == Decimal("10.64")
    assert result.total == Decimal("134.72")


def test_commercial_compounds_on_anniversary_of_start(rates: RateTable) -> None:
    # Year 1 runs 2024-03-15..2025-03-14:
    #   2024-03-15..06-30: 108 days at 12,50 %: 5000 x 12,50 x 108 / 36500 = 184,9315.. -> 184,93
    #   2024-07-01..12-31: 184 days at 12,25 %: 5000 x 12,25 x 184 / 36500 = 308,7671.. -> 308,77
    #   2025-01-01..03-14:  73 days at 11,15 %: 5000 x 11,15 x 73 / 36500 = 111,50
    #   year total 605,20 -> base 5.605,20 from 2025-03-15
    # Year 2, 2025-03-15..06-30: 108 days at 11,15 %: 5605,20 x 11,15 x 108 / 36500 = 184,9255.. -> 184,93
    result = statutory_interest(Decimal("5000.00"), d("2024-03-15"), d("2025-06-30"), "commercial", rates)
    assert [(p.start, p.days, p.base, p.amount) for p in result.periods] == [
        (d("2024-03-15"), 108, Decimal("5000.00"), Decimal("184.93")),
        (d("2024-07-01"), 184, Decimal("5000.00"), Decimal("308.77")),
        (d("2025-01-01"), 73, Decimal("5000.00"), Decimal("111.50")),
        (d("2025-03-15"), 108, Decimal("5605.20"), Decimal("184.93")),
    ]
    assert result.capitalised == Decimal("605.20")
    assert result.total == Decimal("790.13")


def test_leap_year_counts_366_days_over_365() -> None:
    table = flat_table("10")
    # 2023: 365 days: 1000 x 10 x 365 / 36500 = 100,00
    assert statutory_interest(Decimal("1000"), d("2023-01-01"), d("2023-12-31"), "commercial", table).total == Decimal("100.00")
    # 2024: 366 days: 1000 x 10 x 366 / 36500 = 100,2739.. -> 100,27
    assert statutory_interest(Decimal("1000"), d("2024-01-01"), d("2024-12-31"), "commercial", table).total == Decimal("100.27")


def test_start_on_29_february_compounds_from_1_march() -> None:
    table = flat_table("10")
    # Year 1: 2024-02-29..2025-02-28 = 366 days: 1000 x 10 x 366 / 36500 = 100,27 -> base 1.100,27
    # Year 2 starts 2025-03-01: 1 day: 1100,27 x 10 / 36500 = 0,3014.. -> 0,30
    result = statutory_interest(Decimal("1000"), d("2024-02-29"), d("2025-03-01"), "commercial", table)
    assert [(p.start, p.end, p.days, p.amount) for p in result.periods] == [
        (d("2024-02-29"), d("2025-02-28"), 366, Decimal("100.27")),
        (d("2025-03-01"), d("2025-03-01"), 1, Decimal("0.30")),
    ]
    assert result.total == Decimal("100.57")


def test_anniversary_of_29_february() -> None:
    assert anniversary(d("2024-02-29"), 1) == d("2025-03-01")
    assert anniversary(d("2024-02-29"), 4) == d("2028-02-29")
    assert anniversary(d("2024-03-15"), 2) == d("2026-03-15")


def test_consumer_rate_applies_for_consumer_kind(rates: RateTable) -> None:
    # 2025-01-01..2025-12-31: 365 days at 6 %: 1000 x 6 x 365 / 36500 = 60,00
    result = statutory_interest(Decimal("1000.00"), d("2025-01-01"), d("2025-12-31"), "consumer", rates)
    assert result.total == Decimal("60.00")
    assert len(result.periods) == 1


def test_single_day(rates: RateTable) -> None:
    # 1 day at 12,50 %: 10000 x 12,50 / 36500 = 3,4246.. -> 3,42
    result = statutory_interest(Decimal("10000.00"), d("2024-03-01"), d("2024-03-01"), "commercial", rates)
    assert result.days == 1
    assert result.total == Decimal("3.42")


@pytest.mark.parametrize("end", ["2024-02-29", "2024-01-01", "2023-06-30"])
def test_zero_or_negative_span_is_zero(rates: RateTable, end: str) -> None:
    result = statutory_interest(Decimal("1000.00"), d("2024-03-01"), d(end), "commercial", rates)
    assert result.periods == ()
    assert result.total == Decimal("0")
    assert result.days == 0


def test_commercial_interest_starts_day_after_due_date() -> None:
    assert commercial_interest_start(d("2024-12-31")) == d("2025-01-01")
    assert commercial_interest_start(d("2024-02-28")) == d("2024-02-29")


def test_rejects_negative_principal_and_float(rates: RateTable) -> None:
    with pytest.raises(ValueError):
        statutory_interest(Decimal("-1"), d("2024-01-01"), d("2024-02-01"), "commercial", rates)
    with pytest.raises(TypeError):
        statutory_interest(1000.0, d("2024-01-01"), d("2024-02-01"), "commercial", rates)  # type: ignore[arg-type]


def test_start_before_table_raises(rates: RateTable) -> None:
    with pytest.raises(RateNotFound):
        statutory_interest(Decimal("100"), d("1990-01-01"), d("2024-01-01"), "commercial", rates)


def test_periods_sum_to_total_and_tile_the_span(rates: RateTable) -> None:
    generator = random.Random(20261204)
    for _ in range(300):
        start = d("2013-04-01") + timedelta(days=generator.randrange(0, 4700))
        end = start + timedelta(days=generator.randrange(0, 1500))
        principal = Decimal(generator.randrange(1, 5_000_000)) / 100
        kind = generator.choice(["commercial", "consumer"])
        result = statutory_interest(principal, start, end, kind, rates)

        assert sum(p.amount for p in result.periods) == result.total
        assert result.days == (end - start).days + 1
        assert result.periods[0].start == start
        assert result.periods[-1].end == end
        for before, after in zip(result.periods, result.periods[1:]):
            assert after.start == before.end + timedelta(days=1)
            assert after.base >= before.base
        for period in result.periods:
            assert period.rate_percent == rates.rate_on(kind, period.start)
            assert period.rate_percent == rates.rate_on(kind, period.end)
