"""One date style per language, in the reader's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from heardback.clock import dates


def test_the_same_instant_is_written_in_each_zone_it_is_asked_for() -> None:
    # Aware datetimes that are the same instant are equal whatever their zone; the formatter's
    # cache once returned the first zone's text for every later zone.
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    paris = moment.astimezone(ZoneInfo("Europe/Paris"))
    assert dates.format(paris, "datetime", language="en") == "Mon, 2 Mar 2026, 10:00"
    assert dates.format(moment, "datetime", language="en") == "Mon, 2 Mar 2026, 09:00"
    assert dates.format(moment, "time", language="en", time_zone="America/Toronto") == "04:00"
    assert dates.format(moment, "time", language="en", time_zone="UTC") == "09:00"


def test_each_language_has_its_own_style() -> None:
    moment = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)
    assert dates.format(moment, "short", language="en") == "Tue 8 Dec"
    assert dates.format(moment, "short", language="es") == "mar, 8 dic"
    assert dates.format(moment, "long", language="de") == "Dienstag, 8. Dezember 2026"


def test_a_time_zone_name_too_long_for_a_file_name_is_just_unknown() -> None:
    from heardback.clock.business import UnknownTimeZone, is_valid_time_zone, zone

    assert not is_valid_time_zone("a" * 300)
    assert not is_valid_time_zone("Europe/" + "b" * 300)
    try:
        zone("a" * 300)
    except UnknownTimeZone:
        pass
    else:
        raise AssertionError("a 300-character zone name was accepted")
