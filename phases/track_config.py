"""Presumptions of the collection track: assumed receipt of letters, grace days.

Read from ``config/legal/track.toml``. The assumed receipt day matters most for the
consumer's 14-dagenbrief: its 14 days start the day after receipt, so a receipt day that
is assumed too early makes the letter void. The rules here only ever assume receipt
later than the post or the mail server would deliver.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from phases.calendar import AtwCalendar
from phases.facts import Channel
from phases.legal_config import LEGAL_CONFIG_DIR, LegalConfigError

DEFAULT_TRACK_FILE = LEGAL_CONFIG_DIR / "track.toml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SUNDAY = 6
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class TrackConfig:
    post_days_after_posting: int = 2
    post_skip_weekdays: frozenset[int] = frozenset({0, SUNDAY})
    post_skip_atw_holidays: bool = True
    email_contact_days_after_issue: int = 1
    arrangement_grace_days: int = 5
    letters_on_working_days_only: bool = True

    @classmethod
    def load(cls, path: Path = DEFAULT_TRACK_FILE) -> TrackConfig:
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
            post = data["receipt"]["post"]
            email = data["receipt"]["email"]
            config = cls(
                post_days_after_posting=int(post["days_after_posting"]),
                post_skip_weekdays=frozenset(WEEKDAYS.index(day) for day in post["skip_weekdays"]),
                post_skip_atw_holidays=bool(post["skip_atw_holidays"]),
                email_contact_days_after_issue=int(email["contact_days_after_issue"]),
                arrangement_grace_days=int(data["arrangement"]["grace_days"]),
                letters_on_working_days_only=bool(data["letters"]["working_days_only"]),
            )
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise LegalConfigError(f"cannot read track settings {path}: {exc}") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise LegalConfigError(f"{path}: invalid track settings: {exc!r}") from exc

        if config.post_days_after_posting < 1 or config.email_contact_days_after_issue < 0:
            raise LegalConfigError(f"{path}: receipt days must be at least 1 (post) and 0 (e-mail)")
        if len(config.post_skip_weekdays) == len(WEEKDAYS):
            raise LegalConfigError(f"{path}: skip_weekdays leaves no delivery day")
        if config.arrangement_grace_days < 0:
            raise LegalConfigError(f"{path}: arrangement grace_days must not be negative")
        return config

    def assumed_receipt(self, sent_on: date, channel: Channel, calendar: AtwCalendar) -> date:
        """Return the day a letter issued on `sent_on` is assumed to reach the debtor."""
        if channel == "email":
            day = sent_on
            for _ in range(self.email_contact_days_after_issue):
                day += ONE_DAY
                while day.weekday() == SUNDAY or calendar.is_atw_holiday(day):
                    day += ONE_DAY
            return day

        day = sent_on
        counted = 0
        while counted < self.post_days_after_posting:
            day += ONE_DAY
            if day.weekday() in self.post_skip_weekdays:
                continue
            if self.post_skip_atw_holidays and calendar.is_atw_holiday(day):
                continue
            counted += 1
        return day


@lru_cache(maxsize=1)
def default_track_config() -> TrackConfig:
    return TrackConfig.load()
