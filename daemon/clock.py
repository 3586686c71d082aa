"""The injectable clock: every deadline rule asks it for today, never the system."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Clock:
    """Current moment in UTC and current date in Amsterdam, optionally pinned to a day.

    With `fixed_today` set (the INCASSO_TODAY setting), `today()` returns that date and
    `now()` returns the current time of day on that date, so rehearsals and tests run
    every rule as if it were that day.
    """

    def __init__(self, fixed_today: date | None = None) -> None:
        self.fixed_today = fixed_today

    def now(self) -> datetime:
        real = datetime.now(timezone.utc)
        if self.fixed_today is None:
            return real
        local = real.astimezone(AMSTERDAM)
        pinned = datetime.combine(self.fixed_today, local.timetz())
        return pinned.astimezone(timezone.utc)

    def today(self) -> date:
        if self.fixed_today is not None:
            return self.fixed_today
        return datetime.now(AMSTERDAM).date()
