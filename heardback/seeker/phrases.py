"""Turning "you'll hear from us within two weeks" into a date.

Interviewers rarely give a date; they give a phrase. The phrases are few and regular, so a
small parser of our own reads them relative to the *interview date* (not today), with the
seeker's business days and public holidays. Anything it does not know goes to `dateparser`
as a fallback ("by 12 December", "on the 3rd"). A result always comes with a sentence that
says how it was read, so the seeker can correct it.

Conventions (documented in docs/seeker.md):
- "by Friday" / "Friday": the first Friday after the interview day.
- "next Friday": the Friday of the following calendar week.
- "N days": calendar days; "N business/working days": business days. A date landing on a
  weekend or holiday moves to the next business day (nobody decides on a Sunday).
- "this week" / "end of the week": the last business day of the interview's week;
  "next week": the last business day of the following week.
- "early next month": the 10th of next month; "mid next month": the 15th;
  "next month" / "end of next month": its last business day.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from heardback.clock.business import add_business_days, is_business_day

WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30,
    "a couple of": 2, "couple of": 2, "a couple": 2, "a few": 3, "few": 3,
}  # fmt: skip
_NUMBER = (
    r"(?P<n>\d{1,3}|a couple of|couple of|a couple|a few|few|"
    + "|".join(sorted((k for k in NUMBERS if " " not in k and k != "few"), key=len, reverse=True))
    + ")"
)
_LEAD = r"^(?:(?:we(?:'ll| will)|you(?:'ll| will)|should|hope to|expect to|hear back|hear|"
_LEAD += r"let you know|decide|get back to you|within|in|by|on|before|until|around|about|"
_LEAD += r"the|by the|no later than|over the|at the|latest|next steps|from us|us)\s+)*"


@dataclass(frozen=True)
class ParsedPromise:
    on: date
    explained: str


class PromiseNotUnderstood(ValueError):
    """A phrase neither our parser nor dateparser could read."""


def _next_business_day(day: date, country: str, subdivision: str) -> date:
    return add_business_days(day, 0, country=country, subdivision=subdivision)


def _business_days_after(day: date, n: int, country: str, subdivision: str) -> date:
    """The n-th business day after `day`; the interview day itself never counts, even when
    it was a weekend or a holiday."""
    while n > 0:
        day += timedelta(days=1)
        if is_business_day(day, country=country, subdivision=subdivision):
            n -= 1
    return day


def _last_business_day_on_or_before(day: date, floor: date, country: str, sub: str) -> date:
    while day > floor and not is_business_day(day, country=country, subdivision=sub):
        day -= timedelta(days=1)
    return day


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[.!?,;:]+$", "", text.strip())
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\b(?:the )?(?:end|close) of (?:the )?business\b", "", text).strip()
    return text


def _strip_lead(text: str) -> str:
    return re.sub(_LEAD, "", text).strip()


def _count(raw: str) -> int:
    return int(raw) if raw.isdigit() else NUMBERS[raw]


def _fmt(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def parse_promise(
    phrase: str,
    *,
    interview_on: date,
    country: str = "",
    subdivision: str = "",
    use_dateparser: bool = True,
) -> ParsedPromise:
    """The date a phrase promises, counted from the interview day.

    Raises PromiseNotUnderstood with a friendly message when nothing fits. `use_dateparser`
    False skips the fallback (tens of milliseconds a call): the mail reader tries many
    candidate phrases and finds plain dates itself.
    """
    text = _normalise(phrase)
    if not text:
        raise PromiseNotUnderstood("Nothing to read: leave it empty and we'll assume a week.")
    core = _strip_lead(text)
    result = _parse_own(core, interview_on, country, subdivision)
    if result is None and use_dateparser:
        result = _parse_with_dateparser(text, interview_on)
    if result is None:
        raise PromiseNotUnderstood(
            f"We couldn't read {phrase.strip()!r} as a date. Try something like "
            "“within two weeks”, “by Friday” or a date such as 12 December."
        )
    return result


def _parse_own(core: str, ref: date, country: str, sub: str) -> ParsedPromise | None:
    def business(day: date) -> date:
        return _next_business_day(day, country, sub)

    # "tomorrow", "end of the day"
    if core in {"tomorrow", "tomorrow's"}:
        day = business(ref + timedelta(days=1))
        return ParsedPromise(day, f"the day after the interview: {_fmt(day)}")
    if core in {"today", "end of the day", "end of today", "tonight", "later today"}:
        return ParsedPromise(ref, f"the interview day itself: {_fmt(ref)}")

    # "a fortnight"
    if re.fullmatch(r"(?:a )?fortnight", core):
        day = business(ref + timedelta(days=14))
        return ParsedPromise(day, f"two weeks after the interview: {_fmt(day)}")

    # "two weeks", "10 days", "5 business days", "a couple of weeks"
    match = re.search(
        r"(?:^|\s)" + _NUMBER + r"(?:-| )?(?P<kind>business |working |calendar )?"
        r"(?P<unit>day|week|month)s?"
        r"(?: time| from (?:now|today|the interview))?",
        core,
    )
    if match:
        n = _count(match["n"])
        unit, kind = match["unit"], (match["kind"] or "").strip()
        if unit == "day" and kind in {"business", "working"}:
            day = _business_days_after(ref, n, country, sub)
            words = f"{n} business day{'s' if n != 1 else ''}"
        elif unit == "day":
            day = business(ref + timedelta(days=n))
            words = f"{n} day{'s' if n != 1 else ''}"
        elif unit == "week":
            day = business(ref + timedelta(weeks=n))
            words = f"{n} week{'s' if n != 1 else ''}"
        else:
            day = business(_add_months(ref, n))
            words = f"{n} month{'s' if n != 1 else ''}"
        return ParsedPromise(day, f"{words} after the interview: {_fmt(day)}")

    # "friday", "next friday", "end of friday", "this friday"
    match = re.search(r"(?:^|\s)(?P<next>next |this |coming )?(?P<wd>[a-z]+)$", core)
    if match and match["wd"] in WEEKDAYS:
        target = WEEKDAYS[match["wd"]]
        if (match["next"] or "").strip() == "next":
            monday_next = ref - timedelta(days=ref.weekday()) + timedelta(weeks=1)
            day = monday_next + timedelta(days=target)
            how = "of the week after the interview"
        else:
            ahead = (target - ref.weekday()) % 7 or 7
            day = ref + timedelta(days=ahead)
            how = "after the interview"
        return ParsedPromise(day, f"the first {day:%A} {how}: {_fmt(day)}")

    # "this week", "end of the week", "next week", "end of next week", "early next week"
    match = re.search(
        r"(?:^|\s)(?:(?P<part>end|early|beginning|start|middle|mid)(?: of)? )?"
        r"(?P<which>this|the|next)(?: ?-?)week$",
        core,
    )
    if match:
        monday = ref - timedelta(days=ref.weekday())
        if match["which"] == "next":
            monday += timedelta(weeks=1)
        part = match["part"] or "end"
        if part in {"early", "beginning", "start"}:
            day = business(max(monday + timedelta(days=1), ref))  # Tuesday: early enough
        elif part in {"middle", "mid"}:
            day = business(max(monday + timedelta(days=2), ref))
        else:
            day = _last_business_day_on_or_before(monday + timedelta(days=4), ref, country, sub)
        which = "the week after the interview" if match["which"] == "next" else "that week"
        label = {
            "early": "early in",
            "beginning": "early in",
            "start": "early in",
            "middle": "the middle of",
            "mid": "the middle of",
        }.get(part, "the end of")
        return ParsedPromise(day, f"{label} {which}: {_fmt(day)}")

    # "next month", "early next month", "mid next month", "end of the month"
    match = re.search(
        r"(?:^|\s)(?:(?P<part>end|late|early|beginning|start|middle|mid)(?: of)? )?"
        r"(?P<which>this|the|next) ?-?month$",
        core,
    )
    if match:
        first = ref.replace(day=1)
        if match["which"] == "next":
            first = _add_months(first, 1)
        part = match["part"] or "end"
        last = first.replace(day=monthrange(first.year, first.month)[1])
        if part in {"early", "beginning", "start"}:
            day = business(max(first.replace(day=10), ref))
        elif part in {"middle", "mid"}:
            day = business(max(first.replace(day=15), ref))
        else:
            day = _last_business_day_on_or_before(last, ref, country, sub)
        which = "the month after the interview" if match["which"] == "next" else "that month"
        label = {"early": "early in", "beginning": "early in", "start": "early in",
                 "middle": "the middle of", "mid": "the middle of", "late": "the end of",
                 "end": "the end of"}[part]  # fmt: skip
        return ParsedPromise(day, f"{label} {which}: {_fmt(day)}")
    return None


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _parse_with_dateparser(text: str, ref: date) -> ParsedPromise | None:
    import dateparser  # slow to import; only needed for the unusual phrases

    candidate = re.sub(r"^(?:by|on|before|until|no later than|around)\s+", "", text)
    base = datetime(ref.year, ref.month, ref.day, 12, 0)
    parsed = dateparser.parse(
        candidate,
        languages=["en"],
        settings={
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "future",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "STRICT_PARSING": False,
        },
    )
    if parsed is None:
        return None
    day = parsed.date()
    if day < ref:
        return None
    return ParsedPromise(day, f"read as {_fmt(day)}")


def possessive(name: str) -> str:
    """English possessive of a name: "Acme's", but "Northwind Robotics'" (not "Robotics's")."""
    name = name.rstrip()
    return f"{name}'" if name.endswith(("s", "S")) else f"{name}'s"
