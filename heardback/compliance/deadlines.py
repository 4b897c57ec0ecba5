"""The legal deadline: the end of the profile's last day after the last counting interview.

Counted in calendar days in the org's time zone: the regulation counts days, not business
days, so a holiday weekend changes nothing, and a daylight-saving change moves the UTC
instant of the deadline but never the local day it falls on.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def answer_deadline(last_interview_at: datetime, *, days: int, time_zone: str) -> datetime:
    """Midnight (local) at the end of day `days` after the interview's local date, in UTC."""
    zone = ZoneInfo(time_zone or "UTC")
    interview_day = last_interview_at.astimezone(zone).date()
    end = datetime.combine(interview_day + timedelta(days=days + 1), time(0), tzinfo=zone)
    return end.astimezone(UTC)


def day_number(moment: datetime, *, last_interview_at: datetime, time_zone: str) -> int:
    """Which day after the interview `moment` falls on (the interview's own day is day 0)."""
    zone = ZoneInfo(time_zone or "UTC")
    return (moment.astimezone(zone).date() - last_interview_at.astimezone(zone).date()).days
