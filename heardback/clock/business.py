"""Business-day arithmetic: weekends, an employer's public holidays, the candidate's time zone.

A promise of "5 business days" made on a Friday afternoon in Berlin means the end of the
business day on the following Friday, Berlin time, skipping a public holiday in between.
Deadlines are the *close of business* (17:00 local) of the last business day, stored in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

CLOSE_OF_BUSINESS = time(17, 0)
WEEKEND = frozenset({5, 6})  # Saturday, Sunday


class UnknownTimeZone(ValueError):
    pass


class UnknownCountry(ValueError):
    pass


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    # OSError: a name longer than the file system allows ("File name too long") is looked
    # up as a file before it is found missing.
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:
        raise UnknownTimeZone(
            f"Unknown time zone {name!r}; use an IANA name such as Europe/Berlin"
        ) from error


def is_valid_time_zone(name: str) -> bool:
    try:
        zone(name)
    except UnknownTimeZone:
        return False
    return True


@lru_cache(maxsize=256)
def _holiday_calendar(country: str, subdivision: str, year: int) -> holidays.HolidayBase:
    if not country:
        return holidays.HolidayBase()
    try:
        return holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    except NotImplementedError as error:
        # Name the subdivision too: "DE" is fine, "DE-ZZ" is what is wrong.
        where = f"{country}-{subdivision}" if subdivision else country
        raise UnknownCountry(f"No holiday calendar for {where!r}") from error


def is_business_day(day: date, *, country: str = "", subdivision: str = "") -> bool:
    if day.weekday() in WEEKEND:
        return False
    return day not in _holiday_calendar(country, subdivision, day.year)


def add_business_days(
    start_day: date, days: int, *, country: str = "", subdivision: str = ""
) -> date:
    """The date `days` business days after `start_day` (0: the next business day on or after)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start_day
    while not is_business_day(day, country=country, subdivision=subdivision):
        day += timedelta(days=1)
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day, country=country, subdivision=subdivision):
            remaining -= 1
    return day


def business_days_between(
    start_day: date, end_day: date, *, country: str = "", subdivision: str = ""
) -> int:
    """How many business days lie after `start_day` up to and including `end_day`."""
    count = 0
    day = start_day
    while day < end_day:
        day += timedelta(days=1)
        if is_business_day(day, country=country, subdivision=subdivision):
            count += 1
    return count


def deadline_after(
    moment: datetime,
    business_days: int,
    *,
    time_zone: str,
    country: str = "",
    subdivision: str = "",
) -> datetime:
    """Close of business, in `time_zone`, `business_days` business days after `moment`.

    The day of `moment` itself never counts, so a promise always gives whole days.
    The result is an aware datetime in the same zone; DST is handled by zoneinfo.
    """
    if moment.tzinfo is None:
        raise ValueError("deadline_after needs an aware datetime")
    if business_days < 1:
        raise ValueError("a promise is at least one business day")
    tz = zone(time_zone)
    local_day = moment.astimezone(tz).date()
    day = local_day
    remaining = business_days
    while remaining > 0:
        day += timedelta(days=1)
        if is_business_day(day, country=country, subdivision=subdivision):
            remaining -= 1
    return datetime.combine(day, CLOSE_OF_BUSINESS, tzinfo=tz)
