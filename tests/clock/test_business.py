"""Business-day arithmetic: weekends, public holidays, DST changes and time zones.

Every promise a candidate reads ("you'll hear from us by Tue 9 Dec") comes from these
functions, so each case here is a promise that would otherwise be wrong by a day or an hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from heardback import clock
from heardback.clock.business import (
    UnknownCountry,
    UnknownTimeZone,
    add_business_days,
    business_days_between,
    deadline_after,
    is_business_day,
    is_valid_time_zone,
    zone,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


# --- weekends -----------------------------------------------------------------------------


def test_weekends_are_not_business_days() -> None:
    assert is_business_day(date(2026, 3, 6))  # Friday
    assert not is_business_day(date(2026, 3, 7))  # Saturday
    assert not is_business_day(date(2026, 3, 8))  # Sunday
    assert is_business_day(date(2026, 3, 9))  # Monday


def test_adding_business_days_skips_the_weekend() -> None:
    friday = date(2026, 3, 6)
    assert add_business_days(friday, 1) == date(2026, 3, 9)
    assert add_business_days(friday, 5) == date(2026, 3, 13)
    assert add_business_days(friday, 6) == date(2026, 3, 16)


def test_zero_business_days_is_the_next_business_day_on_or_after() -> None:
    assert add_business_days(date(2026, 3, 7), 0) == date(2026, 3, 9)  # Saturday → Monday
    assert add_business_days(date(2026, 3, 4), 0) == date(2026, 3, 4)  # a Wednesday stays
    with pytest.raises(ValueError):
        add_business_days(date(2026, 3, 4), -1)


def test_business_days_between_counts_after_start_up_to_end() -> None:
    assert business_days_between(date(2026, 3, 6), date(2026, 3, 9)) == 1  # Fri → Mon
    assert business_days_between(date(2026, 3, 2), date(2026, 3, 13)) == 9
    assert business_days_between(date(2026, 3, 9), date(2026, 3, 9)) == 0
    # Inverse of add_business_days, counted on the same calendar.
    start = date(2026, 12, 18)
    for days in range(1, 15):
        end = add_business_days(start, days, country="DE", subdivision="BE")
        assert business_days_between(start, end, country="DE", subdivision="BE") == days


# --- holidays -----------------------------------------------------------------------------


def test_womens_day_is_a_holiday_in_berlin_but_not_in_bavaria() -> None:
    day = date(2027, 3, 8)  # a Monday
    assert not is_business_day(day, country="DE", subdivision="BE")
    assert is_business_day(day, country="DE", subdivision="BY")
    assert is_business_day(day, country="DE")
    friday = date(2027, 3, 5)
    assert add_business_days(friday, 1, country="DE", subdivision="BE") == date(2027, 3, 9)
    assert add_business_days(friday, 1, country="DE", subdivision="BY") == date(2027, 3, 8)


def test_a_berlin_promise_made_before_womens_day_skips_it() -> None:
    friday_afternoon = datetime(2027, 3, 5, 15, 30, tzinfo=BERLIN)
    due = deadline_after(
        friday_afternoon, 1, time_zone="Europe/Berlin", country="DE", subdivision="BE"
    )
    assert due == datetime(2027, 3, 9, 17, 0, tzinfo=BERLIN)
    in_munich = deadline_after(
        friday_afternoon, 1, time_zone="Europe/Berlin", country="DE", subdivision="BY"
    )
    assert in_munich == datetime(2027, 3, 8, 17, 0, tzinfo=BERLIN)


def test_us_thanksgiving_is_skipped() -> None:
    wednesday = date(2026, 11, 25)
    assert not is_business_day(date(2026, 11, 26), country="US")
    assert add_business_days(wednesday, 1, country="US") == date(2026, 11, 27)
    assert add_business_days(wednesday, 1, country="DE") == date(2026, 11, 26)
    due = deadline_after(
        datetime(2026, 11, 25, 9, 0, tzinfo=NEW_YORK),
        2,
        time_zone="America/New_York",
        country="US",
    )
    # Thu is Thanksgiving, Sat/Sun the weekend: two business days end on Monday.
    assert due == datetime(2026, 11, 30, 17, 0, tzinfo=NEW_YORK)


def test_holidays_across_the_new_year() -> None:
    # Thu 31 Dec 2026; Fri 1 Jan 2027 is a holiday; then the weekend.
    assert add_business_days(date(2026, 12, 31), 1, country="DE") == date(2027, 1, 4)
    # 24 Dec is a working day in Germany; 25 and 26 Dec and 1 Jan are holidays.
    assert business_days_between(date(2026, 12, 23), date(2027, 1, 4), country="DE") == 6


def test_no_country_means_weekends_only() -> None:
    assert is_business_day(date(2026, 12, 25))  # Christmas, but no calendar chosen
    assert not is_business_day(date(2026, 12, 25), country="DE")


# --- close of business and DST ------------------------------------------------------------


def test_deadline_is_close_of_business_local_and_never_counts_the_same_day() -> None:
    monday_morning = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
    due = deadline_after(monday_morning, 1, time_zone="Europe/Berlin", country="DE")
    assert due == datetime(2026, 3, 3, 17, 0, tzinfo=BERLIN)
    assert due.astimezone(UTC) == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)  # CET = UTC+1
    late_friday = datetime(2026, 3, 6, 23, 59, tzinfo=BERLIN)
    assert deadline_after(late_friday, 1, time_zone="Europe/Berlin") == datetime(
        2026, 3, 9, 17, 0, tzinfo=BERLIN
    )


def test_berlin_spring_forward_moves_close_of_business_an_hour_earlier_in_utc() -> None:
    # DST starts Sun 29 Mar 2026 in Berlin: 17:00 CET = 16:00 UTC, 17:00 CEST = 15:00 UTC.
    thursday = datetime(2026, 3, 26, 10, 0, tzinfo=BERLIN)
    before = deadline_after(thursday, 1, time_zone="Europe/Berlin", country="DE")
    after = deadline_after(thursday, 2, time_zone="Europe/Berlin", country="DE")
    assert before.astimezone(UTC) == datetime(2026, 3, 27, 16, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 3, 30, 15, 0, tzinfo=UTC)
    elapsed = after.astimezone(UTC) - before.astimezone(UTC)
    assert elapsed == timedelta(days=3) - timedelta(hours=1)


def test_berlin_fall_back_moves_close_of_business_an_hour_later_in_utc() -> None:
    # DST ends Sun 25 Oct 2026 in Berlin.
    friday = datetime(2026, 10, 23, 10, 0, tzinfo=BERLIN)
    due = deadline_after(friday, 1, time_zone="Europe/Berlin", country="DE")
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 16, 0, tzinfo=UTC)
    # Made on the very night of the change (02:30 happens twice): still Monday 17:00.
    ambiguous = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1)
    assert deadline_after(ambiguous, 1, time_zone="Europe/Berlin") == datetime(
        2026, 10, 26, 17, 0, tzinfo=BERLIN
    )


def test_new_york_dst_changes() -> None:
    # US DST starts Sun 8 Mar 2026 and ends Sun 1 Nov 2026.
    spring = deadline_after(
        datetime(2026, 3, 6, 12, 0, tzinfo=NEW_YORK),
        1,
        time_zone="America/New_York",
        country="US",
    )
    assert spring.astimezone(UTC) == datetime(2026, 3, 9, 21, 0, tzinfo=UTC)  # EDT = UTC-4
    fall = deadline_after(
        datetime(2026, 10, 30, 12, 0, tzinfo=NEW_YORK),
        1,
        time_zone="America/New_York",
        country="US",
    )
    assert fall.astimezone(UTC) == datetime(2026, 11, 2, 22, 0, tzinfo=UTC)  # EST = UTC-5
    # Europe and the US change on different weekends: for those weeks the gap is 5 hours.
    berlin = deadline_after(
        datetime(2026, 3, 6, 12, 0, tzinfo=BERLIN), 1, time_zone="Europe/Berlin"
    )
    assert spring - berlin == timedelta(hours=5)


# --- time zones ---------------------------------------------------------------------------


def test_the_candidates_time_zone_decides_which_day_the_promise_starts() -> None:
    # Monday 08:00 in Tokyo is still Sunday 23:00 in UTC.
    moment = datetime(2026, 3, 9, 8, 0, tzinfo=TOKYO)
    assert moment.astimezone(UTC).weekday() == 6
    in_tokyo = deadline_after(moment, 1, time_zone="Asia/Tokyo", country="JP")
    in_utc = deadline_after(moment, 1, time_zone="UTC")
    assert in_tokyo == datetime(2026, 3, 10, 17, 0, tzinfo=TOKYO)  # Tuesday in Tokyo
    assert in_utc == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # Monday in UTC
    assert in_tokyo.astimezone(UTC) - in_utc == timedelta(hours=15)


def test_a_promise_made_late_friday_in_tokyo() -> None:
    late_friday = datetime(2026, 3, 13, 23, 30, tzinfo=TOKYO)  # Fri 14:30 UTC
    in_tokyo = deadline_after(late_friday, 1, time_zone="Asia/Tokyo", country="JP")
    in_utc = deadline_after(late_friday, 1, time_zone="UTC")
    assert in_tokyo == datetime(2026, 3, 16, 17, 0, tzinfo=TOKYO)  # Monday 08:00 UTC
    assert in_utc == datetime(2026, 3, 16, 17, 0, tzinfo=UTC)
    # The same instant, just after midnight in Tokyo (Saturday), still gives Monday there.
    saturday = late_friday + timedelta(hours=1)
    assert deadline_after(saturday, 1, time_zone="Asia/Tokyo", country="JP") == in_tokyo
    # ...but in UTC it is still Friday afternoon, so nothing changes either.
    assert deadline_after(saturday, 1, time_zone="UTC") == in_utc


def test_japanese_holidays_apply_in_tokyo() -> None:
    # Fri 20 Mar 2026 is the vernal equinox holiday in Japan.
    thursday = datetime(2026, 3, 19, 10, 0, tzinfo=TOKYO)
    assert deadline_after(thursday, 1, time_zone="Asia/Tokyo", country="JP") == datetime(
        2026, 3, 23, 17, 0, tzinfo=TOKYO
    )


def test_the_same_instant_gives_the_same_deadline_whatever_zone_it_is_written_in() -> None:
    instant = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    for written in (instant, instant.astimezone(TOKYO), instant.astimezone(NEW_YORK)):
        assert deadline_after(written, 3, time_zone="Europe/Berlin", country="DE") == datetime(
            2026, 6, 15, 17, 0, tzinfo=BERLIN
        )


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "Europe/Berlin "])
def test_unknown_time_zones_are_refused_clearly(name: str) -> None:
    assert not is_valid_time_zone(name)
    with pytest.raises(UnknownTimeZone, match="IANA"):
        zone(name)
    with pytest.raises(UnknownTimeZone):
        deadline_after(datetime(2026, 3, 2, tzinfo=UTC), 1, time_zone=name)


def test_known_time_zones_are_accepted() -> None:
    for name in ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"):
        assert is_valid_time_zone(name)


def test_unknown_country_is_refused_clearly() -> None:
    with pytest.raises(UnknownCountry, match="XX"):
        is_business_day(date(2026, 3, 2), country="XX")
    with pytest.raises(UnknownCountry):
        deadline_after(datetime(2026, 3, 2, tzinfo=UTC), 1, time_zone="UTC", country="XX")


def test_unknown_subdivision_is_refused_and_names_it() -> None:
    with pytest.raises(UnknownCountry, match="ZZ"):
        is_business_day(date(2026, 3, 2), country="DE", subdivision="ZZ")


def test_naive_datetimes_and_empty_promises_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        deadline_after(datetime(2026, 3, 2, 9, 0), 1, time_zone="UTC")
    with pytest.raises(ValueError, match="at least one"):
        deadline_after(datetime(2026, 3, 2, tzinfo=UTC), 0, time_zone="UTC")


# --- the clock ----------------------------------------------------------------------------


def test_virtual_clock_moves_only_when_told_and_is_restored_after() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    virtual = clock.VirtualClock(start)
    with clock.use_clock(virtual):
        assert clock.now() == start
        virtual.advance(timedelta(days=2, hours=3))
        assert clock.now() == start + timedelta(days=2, hours=3)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError):
        clock.VirtualClock(datetime(2026, 3, 2))
