from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from phases.legal_config import LegalConfigError
from phases.rates import RateNotFound, RateTable, half_year_start


@pytest.fixture(scope="module")
def rates() -> RateTable:
    return RateTable.load()


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        ("commercial", "2024-06-30", "12.50"),
        ("commercial", "2024-07-01", "12.25"),
        ("commercial", "2025-01-01", "11.15"),
        ("commercial", "2013-03-15", "7.75"),
        ("commercial", "2013-03-16", "8.75"),
        ("commercial", "2020-05-01", "8.00"),
        ("consumer", "2020-05-01", "2.00"),
        ("consumer", "2024-12-31", "7.00"),
        ("consumer", "2025-01-01", "6.00"),
    ],
)
def test_rate_on(rates: RateTable, kind: str, day: str, expected: str) -> None:
    assert rates.rate_on(kind, date.fromisoformat(day)) == Decimal(expected)  # type: ignore[arg-type]


def test_rate_before_first_entry(rates: RateTable) -> None:
    with pytest.raises(RateNotFound):
        rates.rate_on("commercial", date(2002, 8, 7))


def test_every_row_has_source_and_confidence(rates: RateTable) -> None:
    for kind in ("commercial", "consumer"):
        for entry in rates.entries(kind):
            assert entry.source, entry
            assert entry.confidence, entry
    assert rates.entry_on("commercial", date(2024, 7, 1)).verified


def test_changes_between(rates: RateTable) -> None:
    changes = rates.changes_between("commercial", date(2024, 1, 1), date(2025, 1, 1))
    assert changes == [date(2024, 7, 1), date(2025, 1, 1)]


def test_half_year_start() -> None:
    assert half_year_start(date(2026, 6, 30)) == date(2026, 1, 1)
    assert half_year_start(date(2026, 7, 1)) == date(2026, 7, 1)


def test_covers_current_half_year_only(rates: RateTable) -> None:
    latest = rates.entries("commercial")[-1].start_date
    assert rates.covers(latest)
    assert rates.coverage_warning(latest) is None
    next_half_year = date(latest.year + (latest.month == 7), 1 if latest.month == 7 else 7, 1)
    assert not rates.covers(next_half_year)
    warning = rates.coverage_warning(next_half_year)
    assert warning is not None
    assert next_half_year.strftime("%d-%m-%Y") in warning


def test_load_rejects_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("kind,start_date,rate_percent,confidence,source\ncommercial,2024-01-01,twelve,verified-page,x\n")
    with pytest.raises(LegalConfigError, match="rates.csv:2"):
        RateTable.load(path)

    path.write_text("kind,start_date,rate_percent,confidence,source\nbusiness,2024-01-01,12,verified-page,x\n")
    with pytest.raises(LegalConfigError):
        RateTable.load(path)


def test_load_rejects_duplicate_dates(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(
        "kind,start_date,rate_percent,confidence,source\n"
        "commercial,2024-01-01,12,verified-page,x\n"
        "commercial,2024-01-01,13,verified-page,y\n"
        "consumer,2024-01-01,7,verified-page,z\n"
    )
    with pytest.raises(LegalConfigError, match="duplicate"):
        RateTable.load(path)


def test_stale_table_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    table = RateTable.load()
    latest = table.entries("commercial")[-1].start_date
    later = date(latest.year + 1, latest.month, 1)
    with caplog.at_level("WARNING", logger="phases.rates"):
        assert table.coverage_warning(later) is not None
        assert table.coverage_warning(later) is not None
    assert len(caplog.records) == 1
