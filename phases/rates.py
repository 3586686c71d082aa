"""Statutory interest rates (wettelijke rente) by kind and start date.

Two kinds exist: ``consumer`` for art. 6:119 BW (non-commercial claims) and ``commercial``
for art. 6:119a BW (handelsrente). The table lives in ``config/legal/interest_rates.csv``
with one row per rate change, each with its source and how sure that source is.
"""

from __future__ import annotations

import bisect
import csv
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Literal

from phases.legal_config import LEGAL_CONFIG_DIR, LegalConfigError

logger = logging.getLogger(__name__)

InterestKind = Literal["commercial", "consumer"]
INTEREST_KINDS: tuple[InterestKind, ...] = ("commercial", "consumer")
DEFAULT_RATES_FILE = LEGAL_CONFIG_DIR / "interest_rates.csv"

# Confidence labels used in the table, strongest first.
CONFIDENCE_LEVELS = ("verified-page", "secondary-repo", "inferred", "conflict", "unverified")


class RateNotFound(LookupError):
    """No rate of the requested kind is known for the requested day."""


@dataclass(frozen=True)
class RateEntry:
    """One rate that applies from `start_date` until the next entry of the same kind."""

    kind: InterestKind
    start_date: date
    rate_percent: Decimal
    confidence: str
    source: str

    @property
    def verified(self) -> bool:
        return self.confidence == "verified-page"


def half_year_start(day: date) -> date:
    """Return 1 January or 1 July of the half year that contains `day`."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


class RateTable:
    """The rate history of both kinds, searchable by day."""

    def __init__(self, entries: list[RateEntry]) -> None:
        self._entries: dict[str, list[RateEntry]] = {kind: [] for kind in INTEREST_KINDS}
        for entry in entries:
            if entry.kind not in self._entries:
                raise LegalConfigError(f"unknown interest kind {entry.kind!r}")
            self._entries[entry.kind].append(entry)

        for kind, kind_entries in self._entries.items():
            kind_entries.sort(key=lambda item: item.start_date)
            starts = [item.start_date for item in kind_entries]
            if len(set(starts)) != len(starts):
                raise LegalConfigError(f"duplicate start date in the {kind} interest rates")
            if not kind_entries:
                raise LegalConfigError(f"no {kind} interest rates in the table")

        self._starts = {
            kind: [item.start_date for item in kind_entries]
            for kind, kind_entries in self._entries.items()
        }
        self._warned_half_years: set[date] = set()

    @classmethod
    def load(cls, path: Path = DEFAULT_RATES_FILE) -> RateTable:
        """Read the table from a CSV file with columns kind, start_date, rate_percent,
        confidence and source."""
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise LegalConfigError(f"cannot read interest rate table {path}: {exc}") from exc

        entries = [_parse_row(row, path, line) for line, row in enumerate(rows, start=2)]
        return cls(entries)

    def entries(self, kind: InterestKind) -> tuple[RateEntry, ...]:
        return tuple(self._entries[kind])

    def entry_on(self, kind: InterestKind, day: date) -> RateEntry:
        """Return the entry in force on `day`, or raise RateNotFound before the first one."""
        index = bisect.bisect_right(self._starts[kind], day) - 1
        if index < 0:
            first = self._starts[kind][0]
            raise RateNotFound(f"no {kind} interest rate before {first.isoformat()}, requested {day.isoformat()}")
        return self._entries[kind][index]

    def rate_on(self, kind: InterestKind, day: date) -> Decimal:
        """Return the rate in percent per year in force on `day`."""
        return self.entry_on(kind, day).rate_percent

    def changes_between(self, kind: InterestKind, first: date, last: date) -> list[date]:
        """Return the start dates of rate changes after `first` up to and including `last`."""
        low = bisect.bisect_right(self._starts[kind], first)
        high = bisect.bisect_right(self._starts[kind], last)
        return self._starts[kind][low:high]

    def covers(self, day: date) -> bool:
        """Tell whether the table has a commercial rate set for the half year of `day`.

        The commercial rate is fixed anew for every half year (art. 6:120 lid 2 BW), so a
        missing row for the current half year means the table is out of date. The consumer
        rate changes only now and then, so its rows cannot show staleness.
        """
        return self._entries["commercial"][-1].start_date >= half_year_start(day)

    def coverage_warning(self, day: date) -> str | None:
        """Return a Dutch warning for staff when the table may be out of date on `day`."""
        if self.covers(day):
            return None

        latest = self._entries["commercial"][-1].start_date
        if half_year_start(day) not in self._warned_half_years:
            self._warned_half_years.add(half_year_start(day))
            logger.warning(
                "interest rate table has no commercial rate for the half year of %s (latest %s)",
                day.isoformat(),
                latest.isoformat(),
            )
        return (
            f"De rentetabel heeft geen handelsrente voor het halfjaar vanaf "
            f"{half_year_start(day).strftime('%d-%m-%Y')}; het laatste tarief geldt vanaf "
            f"{latest.strftime('%d-%m-%Y')}. Werk config/legal/interest_rates.csv bij."
        )


def _parse_row(row: dict[str, str], path: Path, line: int) -> RateEntry:
    try:
        kind = row["kind"].strip()
        if kind not in INTEREST_KINDS:
            raise ValueError(f"kind must be one of {INTEREST_KINDS}, got {kind!r}")
        confidence = row["confidence"].strip()
        if confidence not in CONFIDENCE_LEVELS:
            raise ValueError(f"confidence must be one of {CONFIDENCE_LEVELS}, got {confidence!r}")
        rate = Decimal(row["rate_percent"].strip())
        if rate < 0:
            raise ValueError(f"rate_percent must not be negative, got {rate}")
        return RateEntry(
            kind=kind,
            start_date=date.fromisoformat(row["start_date"].strip()),
            rate_percent=rate,
            confidence=confidence,
            source=row["source"].strip(),
        )
    except (KeyError, ValueError, InvalidOperation, AttributeError) as exc:
        raise LegalConfigError(f"{path}:{line}: invalid interest rate row: {exc}") from exc


@lru_cache(maxsize=1)
def default_rate_table() -> RateTable:
    """Return the table in ``config/legal/interest_rates.csv``, read once per process."""
    return RateTable.load()
