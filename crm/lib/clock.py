"""The time as the partnership sees it: Europe/Amsterdam."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def now_local() -> datetime:
    return datetime.now(AMSTERDAM)


def today() -> date:
    return now_local().date()


def local(value: datetime) -> datetime:
    return value.astimezone(AMSTERDAM)
