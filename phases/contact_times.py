"""When the agency may e-mail a debtor: 07:00 to 20:00, not on Sundays or Atw holidays.

The Besluit kwaliteit incassodienstverlening (art. 4.2) bars electronic, telephone and
in-person contact with a debtor who is a natural person domiciled in the Netherlands
from 20:00 to 07:00, on Sundays and on the recognised holidays of the Algemene
termijnenwet. The product applies the window to every debtor, because a v.o.f. partner
or a sole trader is such a natural person and the debtor's legal form is not always
known for certain. Saturdays are allowed.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from phases.calendar import AtwCalendar

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
WINDOW_START = time(7, 0)
WINDOW_END = time(20, 0)
SUNDAY = 6


def is_contact_allowed(moment: datetime, calendar: AtwCalendar) -> bool:
    local = moment.astimezone(AMSTERDAM)
    day = local.date()
    if day.weekday() == SUNDAY or calendar.is_atw_holiday(day):
        return False
    return WINDOW_START <= local.time() < WINDOW_END


def next_contact_moment(moment: datetime, calendar: AtwCalendar) -> datetime:
    """Return `moment` if contact is allowed then, else the next 07:00 on an allowed day.

    The result has the timezone of `moment`.
    """
    if is_contact_allowed(moment, calendar):
        return moment
    local = moment.astimezone(AMSTERDAM)
    day = local.date() if local.time() < WINDOW_START else local.date() + timedelta(days=1)
    while day.weekday() == SUNDAY or calendar.is_atw_holiday(day):
        day += timedelta(days=1)
    return datetime.combine(day, WINDOW_START, tzinfo=AMSTERDAM).astimezone(moment.tzinfo)
