"""Working days and term ends under the Algemene termijnenwet (Atw).

Art. 1 Atw: a statutory term that ends on a Saturday, Sunday or recognised holiday runs on
to the next day that is none of these. Art. 2: a term of at least three days is extended
where needed so that it contains at least two such working days. Recognised holidays
(art. 3): Nieuwjaarsdag, Goede Vrijdag (lid 2), Tweede Paasdag, Koningsdag, 5 mei (every
year), Hemelvaartsdag, Tweede Pinksterdag, Eerste and Tweede Kerstdag, and the days
equated with them by a Besluit gelijkstelling (lid 3), read from
``config/legal/atw_days.toml``.

The `holidays` package's Dutch calendar is the starting point. It is corrected because it
lists 5 May only in lustrum years, lists Eerste Paasdag and Eerste Pinksterdag (Sundays,
not Atw holidays), and knows nothing of the gelijkgestelde dagen.
"""

from __future__ import annotations

import logging
import tomllib
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import holidays
from dateutil.easter import easter

from phases.legal_config import LEGAL_CONFIG_DIR, LegalConfigError

logger = logging.getLogger(__name__)

DEFAULT_ATW_FILE = LEGAL_CONFIG_DIR / "atw_days.toml"
ONE_DAY = timedelta(days=1)
SATURDAY = 5
KINGS_DAY_NAMES = frozenset({"Koningsdag", "Koninginnedag"})
GELIJKGESTELDE_DAG = "Gelijkgestelde dag (Besluit gelijkstelling)"

# Art. 2 Atw: terms of at least this many days must contain at least this many working days.
ART2_MIN_TERM_DAYS = 3
ART2_MIN_WORKING_DAYS = 2


def _computed_atw_days(year: int) -> dict[date, str]:
    """Return the Atw holidays that follow from the date of Easter or a fixed date."""
    easter_sunday = easter(year)
    return {
        date(year, 1, 1): "Nieuwjaarsdag",
        easter_sunday - timedelta(days=2): "Goede Vrijdag",
        easter_sunday + timedelta(days=1): "Tweede Paasdag",
        date(year, 5, 5): "Bevrijdingsdag (5 mei)",
        easter_sunday + timedelta(days=39): "Hemelvaartsdag",
        easter_sunday + timedelta(days=50): "Tweede Pinksterdag",
        date(year, 12, 25): "Eerste Kerstdag",
        date(year, 12, 26): "Tweede Kerstdag",
    }


class AtwCalendar:
    """Atw holidays per year plus the configured gelijkgestelde dagen."""

    def __init__(self, gelijkgestelde_dagen: frozenset[date], known_through: date) -> None:
        self.gelijkgestelde_dagen = gelijkgestelde_dagen
        self.known_through = known_through
        self._years: dict[int, dict[date, str]] = {}
        self._warned_beyond_known = False

    @classmethod
    def load(cls, path: Path = DEFAULT_ATW_FILE) -> AtwCalendar:
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
            days = frozenset(item["date"] for item in data["gelijkgestelde_dagen"])
            known_through = data["known_through"]
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise LegalConfigError(f"cannot read Atw days {path}: {exc}") from exc
        except (KeyError, TypeError) as exc:
            raise LegalConfigError(f"{path}: invalid Atw days file: {exc!r}") from exc

        if not all(type(day) is date for day in days) or type(known_through) is not date:
            raise LegalConfigError(f"{path}: dates must be TOML dates such as 2026-05-15")
        return cls(days, known_through)

    def holidays(self, year: int) -> dict[date, str]:
        """Return the Atw holidays and gelijkgestelde dagen of `year` with Dutch names."""
        if year not in self._years:
            self._years[year] = self._build_year(year)
        return self._years[year]

    def _build_year(self, year: int) -> dict[date, str]:
        computed = _computed_atw_days(year)
        library = holidays.country_holidays("NL", years=year, language="nl")

        days: dict[date, str] = {}
        for day, name in library.items():
            if day in computed:
                days[day] = computed[day]
            elif name in KINGS_DAY_NAMES:
                days[day] = name

        # Correct the library: 5 May outside lustrum years, and anything else it lacks.
        for day, name in computed.items():
            days.setdefault(day, name)

        if not any(name in KINGS_DAY_NAMES for name in days.values()):
            logger.warning("holidays package lists no Koningsdag for %s", year)

        for day in self.gelijkgestelde_dagen:
            if day.year == year:
                days.setdefault(day, GELIJKGESTELDE_DAG)
        return dict(sorted(days.items()))

    def is_atw_holiday(self, day: date) -> bool:
        return day in self.holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        """Tell whether `day` is neither a Saturday, a Sunday nor an Atw holiday."""
        return day.weekday() < SATURDAY and not self.is_atw_holiday(day)

    def covers(self, day: date) -> bool:
        """Tell whether the gelijkgestelde dagen for `day` are known."""
        return day <= self.known_through

    def next_working_day(self, day: date) -> date:
        """Return `day` itself when it is a working day, otherwise the first one after it."""
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def term_end(self, sent_on: date, days: int) -> date:
        """Return the last day of a term of `days` days that starts the day after `sent_on`.

        The nominal last day is ``sent_on + days``; art. 1 and 2 Atw move it forward.
        """
        if days < 1:
            raise ValueError(f"a term must be at least 1 day, got {days}")

        end = self.next_working_day(sent_on + timedelta(days=days))

        if days >= ART2_MIN_TERM_DAYS:
            while self._working_days_between(sent_on, end) < ART2_MIN_WORKING_DAYS:
                end = self.next_working_day(end + ONE_DAY)

        if not self.covers(end) and not self._warned_beyond_known:
            self._warned_beyond_known = True
            logger.warning(
                "term end %s lies after the last known gelijkgestelde dagen (%s)",
                end.isoformat(),
                self.known_through.isoformat(),
            )
        return end

    def _working_days_between(self, sent_on: date, end: date) -> int:
        """Count working days after `sent_on` up to and including `end`."""
        count = 0
        day = sent_on + ONE_DAY
        while day <= end:
            count += self.is_working_day(day)
            day += ONE_DAY
        return count


@lru_cache(maxsize=1)
def default_calendar() -> AtwCalendar:
    return AtwCalendar.load()


def is_working_day(day: date) -> bool:
    """Tell whether `day` is a working day under the Atw, using the configured decrees."""
    return default_calendar().is_working_day(day)


def term_end(sent_on: date, days: int) -> date:
    """Return the last day of a term of `days` days sent on `sent_on` (see AtwCalendar)."""
    return default_calendar().term_end(sent_on, days)
