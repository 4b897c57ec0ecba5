"""Reading promised dates from the interviewer's words, relative to the interview day."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heardback.clock.business import business_days_between, is_business_day
from heardback.seeker.phrases import PromiseNotUnderstood, parse_promise

WED = date(2026, 11, 25)  # a Wednesday
FRI = date(2026, 11, 27)

TABLE = [
    # phrase, interview day, country, expected date
    ("by Friday", WED, "DE", date(2026, 11, 27)),
    ("Friday", WED, "DE", date(2026, 11, 27)),
    ("by Friday", FRI, "DE", date(2026, 12, 4)),  # said on a Friday: the next one
    ("next Friday", WED, "DE", date(2026, 12, 4)),
    ("within two weeks", WED, "DE", date(2026, 12, 9)),
    ("two weeks", WED, "DE", date(2026, 12, 9)),
    ("a couple of weeks", WED, "DE", date(2026, 12, 9)),
    ("We'll let you know within two weeks.", WED, "DE", date(2026, 12, 9)),
    ("in 10 days", WED, "DE", date(2026, 12, 7)),  # lands on a Saturday: moves to Monday
    ("within 5 business days", WED, "DE", date(2026, 12, 2)),
    ("5 working days", WED, "", date(2026, 12, 2)),
    ("next week", WED, "DE", date(2026, 12, 4)),
    ("by the end of next week", WED, "DE", date(2026, 12, 4)),
    ("end of the week", WED, "DE", date(2026, 11, 27)),
    ("early next month", WED, "DE", date(2026, 12, 10)),
    ("mid next month", WED, "DE", date(2026, 12, 15)),
    ("next month", WED, "DE", date(2026, 12, 31)),
    ("end of the month", WED, "DE", date(2026, 11, 30)),
    ("tomorrow", WED, "DE", date(2026, 11, 26)),
    ("a fortnight", WED, "DE", date(2026, 12, 9)),
    # Holidays in the seeker's country count: Christmas in Germany.
    ("within 3 business days", date(2026, 12, 23), "DE", date(2026, 12, 29)),
    ("within 3 business days", date(2026, 12, 23), "", date(2026, 12, 28)),
    # An interview on a holiday: the next business day is the first one, not the second.
    ("within 1 business day", date(2024, 1, 1), "DE", date(2024, 1, 2)),
    ("within two weeks", date(2026, 12, 11), "DE", date(2026, 12, 28)),  # 25th is a holiday
    ("within two weeks", date(2026, 12, 11), "", date(2026, 12, 25)),
    # Early January 2027: the 10th is a Sunday, so Monday the 11th.
    ("early next month", date(2026, 12, 14), "GB", date(2027, 1, 11)),
    # The week of Good Friday 2027 in Britain: "next week" ends on the Thursday.
    ("next week", date(2027, 3, 15), "GB", date(2027, 3, 25)),
    ("next week", date(2027, 3, 15), "", date(2027, 3, 26)),
    # The fallback reads plain dates.
    ("by 12 December", WED, "DE", date(2026, 12, 12)),
    ("on Dec 3", WED, "DE", date(2026, 12, 3)),
]


@pytest.mark.parametrize(("phrase", "interview_on", "country", "expected"), TABLE)
def test_phrase_table(phrase: str, interview_on: date, country: str, expected: date) -> None:
    parsed = parse_promise(phrase, interview_on=interview_on, country=country)
    assert parsed.on == expected, parsed.explained
    assert parsed.explained  # always says how it was read


@pytest.mark.parametrize("phrase", ["sometime", "not sure yet", "when we can", "   "])
def test_unreadable_phrases_are_reported_not_guessed(phrase: str) -> None:
    with pytest.raises(PromiseNotUnderstood):
        parse_promise(phrase, interview_on=WED, country="DE")


def test_a_date_in_the_past_is_not_a_promise() -> None:
    with pytest.raises(PromiseNotUnderstood):
        parse_promise("by 1 March 2026", interview_on=WED, country="DE")


@given(
    interview_on=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(min_value=1, max_value=30),
    unit=st.sampled_from(["days", "business days", "weeks"]),
    country=st.sampled_from(["", "DE", "GB", "US"]),
)
@settings(max_examples=200, deadline=None)
def test_counted_promises_land_on_a_business_day_after_the_interview(
    interview_on: date, n: int, unit: str, country: str
) -> None:
    parsed = parse_promise(f"within {n} {unit}", interview_on=interview_on, country=country)
    assert parsed.on > interview_on
    assert is_business_day(parsed.on, country=country)
    if unit == "business days":
        assert business_days_between(interview_on, parsed.on, country=country) == n
