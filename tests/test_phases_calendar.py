from datetime import date, timedelta
from pathlib import Path

import pytest

from phases.calendar import AtwCalendar, default_calendar, is_working_day, term_end
from phases.legal_config import LegalConfigError

# Recognised days under the Atw, 2025-2028: the holidays of art. 3 lid 1-2 (Easter by the
# Gregorian computus) and the gelijkgestelde dagen of the Besluiten gelijkstelling.
ATW_TABLE: dict[int, list[tuple[str, str]]] = {
    2025: [
        ("2025-01-01", "Nieuwjaarsdag"),
        ("2025-04-18", "Goede Vrijdag"),
        ("2025-04-21", "Tweede Paasdag"),
        ("2025-04-26", "Koningsdag"),  # 27 April 2025 is a Sunday
        ("2025-05-05", "Bevrijdingsdag (5 mei)"),
        ("2025-05-29", "Hemelvaartsdag"),
        ("2025-05-30", "Gelijkgestelde dag (Besluit gelijkstelling)"),
        ("2025-06-09", "Tweede Pinksterdag"),
        ("2025-12-25", "Eerste Kerstdag"),
        ("2025-12-26", "Tweede Kerstdag"),
    ],
    2026: [
        ("2026-01-01", "Nieuwjaarsdag"),
        ("2026-01-02", "Gelijkgestelde dag (Besluit gelijkstelling)"),
        ("2026-04-03", "Goede Vrijdag"),
        ("2026-04-06", "Tweede Paasdag"),
        ("2026-04-27", "Koningsdag"),
        ("2026-05-05", "Bevrijdingsdag (5 mei)"),  # not a lustrum year
        ("2026-05-14", "Hemelvaartsdag"),
        ("2026-05-15", "Gelijkgestelde dag (Besluit gelijkstelling)"),
        ("2026-05-25", "Tweede Pinksterdag"),
        ("2026-12-25", "Eerste Kerstdag"),
        ("2026-12-26", "Tweede Kerstdag"),
    ],
    2027: [
        ("2027-01-01", "Nieuwjaarsdag"),
        ("2027-03-26", "Goede Vrijdag"),
        ("2027-03-29", "Tweede Paasdag"),
        ("2027-04-27", "Koningsdag"),
        ("2027-05-05", "Bevrijdingsdag (5 mei)"),
        ("2027-05-06", "Hemelvaartsdag"),
        ("2027-05-07", "Gelijkgestelde dag (Besluit gelijkstelling)"),
        ("2027-05-17", "Tweede Pinksterdag"),
        ("2027-12-25", "Eerste Kerstdag"),
        ("2027-12-26", "Tweede Kerstdag"),
    ],
    2028: [
        ("2028-01-01", "Nieuwjaarsdag"),
        ("2028-04-14", "Goede Vrijdag"),
        ("2028-04-17", "Tweede Paasdag"),
        ("2028-04-27", "Koningsdag"),
        ("2028-04-28", "Gelijkgestelde dag (Besluit gelijkstelling)"),
        ("2028-05-05", "Bevrijdingsdag (5 mei)"),
        ("2028-05-25", "Hemelvaartsdag"),
        ("2028-05-26", "Gelijkgestelde dag (Besluit gelijkstelling)"),
        ("2028-06-05", "Tweede Pinksterdag"),
        ("2028-12-25", "Eerste Kerstdag"),
        ("2028-12-26", "Tweede Kerstdag"),
    ],
}


@pytest.mark.parametrize("year", sorted(ATW_TABLE))
def test_atw_holidays_table(year: int) -> None:
    expected = {date.fromisoformat(day): name for day, name in ATW_TABLE[year]}
    assert default_calendar().holidays(year) == expected


@pytest.mark.parametrize("year", sorted(ATW_TABLE))
def test_working_days_day_by_day(year: int) -> None:
    holidays = {date.fromisoformat(day) for day, _ in ATW_TABLE[year]}
    day = date(year, 1, 1)
    while day.year == year:
        expected = day.weekday() < 5 and day not in holidays
        assert is_working_day(day) is expected, day.isoformat()
        day += timedelta(days=1)


def test_easter_and_pentecost_sundays_not_listed() -> None:
    days = default_calendar().holidays(2026)
    assert date(2026, 4, 5) not in days  # Eerste Paasdag
    assert date(2026, 5, 24) not in days  # Eerste Pinksterdag


@pytest.mark.parametrize(
    ("sent_on", "days", "expected"),
    [
        # Friday + 7 = Friday, a working day.
        ("2026-12-04", 7, "2026-12-11"),
        # Monday 2026-12-21 + 7 = Monday 28-12, a working day; Christmas lies inside the term.
        ("2026-12-21", 7, "2026-12-28"),
        # Friday 2026-12-18 + 7 = Friday 25-12 (Eerste Kerstdag), 26-12 Saturday, 27-12 Sunday
        # -> Monday 28-12.
        ("2026-12-18", 7, "2026-12-28"),
        # Thursday 2026-04-30 + 5 = Tuesday 05-05 (5 mei, not a lustrum year) -> Wednesday 06-05.
        ("2026-04-30", 5, "2026-05-06"),
        # Friday 2026-05-08 + 7 = Friday 15-05 (gelijkgestelde dag), then the weekend -> Monday 18-05.
        ("2026-05-08", 7, "2026-05-18"),
        # Thursday 2026-03-26 + 8 = Friday 03-04 (Goede Vrijdag), weekend, Monday 06-04
        # (Tweede Paasdag) -> Tuesday 07-04.
        ("2026-03-26", 8, "2026-04-07"),
        # Monday 2025-04-21 + 5 = Saturday 26-04 (also Koningsdag) -> Monday 28-04.
        ("2025-04-21", 5, "2025-04-28"),
        # Art. 2 Atw: Thursday 2026-12-24 + 3 = Sunday 27-12 -> Monday 28-12, but the term
        # (25-12 .. 28-12) holds only one working day, so it runs to Tuesday 29-12.
        ("2026-12-24", 3, "2026-12-29"),
        # Art. 2 does not apply to terms under three days: Friday + 1 = Saturday -> Monday.
        ("2026-12-04", 1, "2026-12-07"),
    ],
)
def test_term_end(sent_on: str, days: int, expected: str) -> None:
    assert term_end(date.fromisoformat(sent_on), days) == date.fromisoformat(expected)


def test_term_end_rejects_empty_term() -> None:
    with pytest.raises(ValueError):
        term_end(date(2026, 12, 4), 0)


def test_calendar_covers_known_decrees() -> None:
    calendar = default_calendar()
    assert calendar.covers(date(2028, 12, 31))
    assert not calendar.covers(date(2029, 1, 1))


def test_kings_day_moves_to_saturday_when_27_april_is_sunday() -> None:
    # 27 April 2031 is a Sunday, so Koningsdag is Saturday 26 April.
    days = default_calendar().holidays(2031)
    assert days.get(date(2031, 4, 26)) == "Koningsdag"
    assert date(2031, 4, 27) not in days


def test_custom_gelijkgestelde_dagen(tmp_path: Path) -> None:
    path = tmp_path / "atw.toml"
    path.write_text("known_through = 2030-12-31\n[[gelijkgestelde_dagen]]\ndate = 2030-05-31\n")
    calendar = AtwCalendar.load(path)
    assert not calendar.is_working_day(date(2030, 5, 31))
    # The default decrees are not part of this calendar.
    assert calendar.is_working_day(date(2026, 5, 15))


def test_atw_file_rejects_string_dates(tmp_path: Path) -> None:
    path = tmp_path / "atw.toml"
    path.write_text('known_through = 2030-12-31\n[[gelijkgestelde_dagen]]\ndate = "2030-05-31"\n')
    with pytest.raises(LegalConfigError):
        AtwCalendar.load(path)
