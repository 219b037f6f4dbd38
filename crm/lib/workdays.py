"""Working days in the Netherlands: Monday to Friday, except Dutch public holidays.

The public holidays come from the ``holidays`` package (``holidays.NL``: nieuwjaarsdag,
Goede Vrijdag, Pasen, Koningsdag, Bevrijdingsdag in lustrum years, Hemelvaart, Pinksteren,
Kerst). The digest is sent on working days only, escalation counts working days, and the quick due
dates of follow-ups ("over 2 weken", "+1 week") land on a working day.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.NL(years=year))


def is_public_holiday(day: date) -> bool:
    return day in _holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_public_holiday(day)


def previous_working_day(day: date) -> date:
    """The last working day before ``day``."""
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def next_working_day(day: date) -> date:
    """The first working day after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_day_on_or_after(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it: where a
    date planned "in two weeks" lands when that falls on a weekend or a public holiday."""
    return day if is_working_day(day) else next_working_day(day)


def working_days_between(start: date, end: date) -> int:
    """How many working days lie after ``start`` up to and including ``end`` (0 when end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def overdue_cutoff(day: date, working_days: int) -> date:
    """Follow-ups due before the returned date are overdue for MORE than ``working_days``
    working days on ``day``: it is the (working_days + 1)-th working day counting back
    from ``day`` (``day`` itself counts when it is a working day)."""
    counted, cursor = 0, day
    while True:
        if is_working_day(cursor):
            counted += 1
            if counted == working_days + 1:
                return cursor
        cursor -= timedelta(days=1)
