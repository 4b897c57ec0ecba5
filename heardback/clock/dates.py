"""One date style per language: every date a person reads, in the console, on the candidate
pages and in emails, is written here, with Babel's CLDR patterns.

Before this, three styles met on one page ("Dec. 1, 2026, 5:16 a.m." from Django's default
formats beside "Tuesday, 8 December 2026" from a hand-written pattern) and Spanish months
came out capitalised ("Dic"), which CLDR, and Spanish, write in lower case. Now a style is a
name (`STYLES`), each name one CLDR pattern or skeleton, and the language picks the rest:

=========  ==========================  ==========================  ===========================
style      en                          de                          es
=========  ==========================  ==========================  ===========================
short      Tue 8 Dec                   Di., 8. Dez.                mar, 8 dic
long       Tuesday, 8 December 2026    Dienstag, 8. Dezember 2026  martes, 8 de diciembre ...
date       8 Dec 2026                  08.12.2026                  8 dic 2026
datetime   Tue, 8 Dec 2026, 17:00      Di., 8. Dez. 2026, 17:00    mar, 8 dic 2026, 17:00
time       17:00                       17:00                       17:00
day_month  8 Dec                       8. Dez.                     8 dic
=========  ==========================  ==========================  ===========================

English is written the British way (day before month, 24-hour clock), as every built-in
text always was. Templates use the `when` filter (`{% load dates %}`), Python code `format`.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Literal

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from django.utils import translation

from heardback.clock.business import zone

Style = Literal["short", "long", "date", "datetime", "time", "day_month", "datetime_seconds"]
STYLES: tuple[Style, ...] = (
    "short",
    "long",
    "date",
    "datetime",
    "time",
    "day_month",
    "datetime_seconds",  # delivery logs, where the seconds tell what happened first
)

# Our language codes to CLDR locales (English is British English: see the module's doc).
LOCALES = {"en": "en_GB", "de": "de_DE", "es": "es_ES", "fr": "fr_FR"}


@lru_cache(maxsize=16)
def locale_for(language: str) -> Locale:
    code = LOCALES.get((language or "en").split("-")[0].lower(), "en_GB")
    return Locale.parse(code)


def _local(moment: datetime | date, time_zone: str | None) -> datetime | date:
    if isinstance(moment, datetime) and time_zone and moment.tzinfo is not None:
        return moment.astimezone(zone(time_zone))
    return moment


def format(
    moment: datetime | date | None,
    style: Style = "date",
    *,
    language: str | None = None,
    time_zone: str | None = None,
) -> str:
    """`moment` written in `style` for readers of `language` (the active one by default),
    in `time_zone` (UTC, or the moment's own zone, if none is given)."""
    if moment is None:
        return ""
    local = _local(moment, time_zone)
    return _format(local, _zone_key(local), style, language or translation.get_language() or "en")


def _zone_key(moment: datetime | date) -> str:
    """What the cache must tell apart beyond the moment itself: aware datetimes that are the
    same instant compare (and hash) equal whatever their zone, so 09:00 UTC and 10:00 in
    Paris would share one cached text."""
    if isinstance(moment, datetime) and moment.tzinfo is not None:
        return f"{moment.tzinfo}|{moment.utcoffset()}"
    return ""


@lru_cache(maxsize=8192)
def _format(moment: datetime | date, zone_key: str, style: Style, language: str) -> str:
    # Remembered: a page shows the same few dates again and again, and a CLDR format costs
    # more than a query's Python work.
    locale = locale_for(language)
    if style == "short":
        return format_skeleton("MMMEd", moment, locale=locale)
    if style == "long":
        return format_date(moment, "full", locale=locale)
    if style == "date":
        return format_date(moment, "medium", locale=locale)
    if style == "day_month":
        return format_skeleton("MMMd", moment, locale=locale)
    if style == "time":
        if not isinstance(moment, datetime):
            return ""
        return format_time(moment, "HH:mm", locale=locale)
    if style in ("datetime", "datetime_seconds"):
        day = format_skeleton("yMMMEd", moment, locale=locale)
        if not isinstance(moment, datetime):
            return day
        clock = "HH:mm:ss" if style == "datetime_seconds" else "HH:mm"
        return f"{day}, {format_time(moment, clock, locale=locale)}"
    raise ValueError(f"Unknown date style {style!r}; use one of {', '.join(STYLES)}.")
