"""The seed's follow-up cadence, as a pure function of an application and today's date.

1. Thank-you note: due at once, on the interview day.
2. Follow-up 1: a week after the interview with no news, or, when a date was promised
   (by the interviewer, or live by the employer's Heardback status page), on the first
   business day after that date; a good window is that day and the next business day.
3. Follow-up 2: a week after follow-up 1 went out.
4. No third: after follow-up 2 and another quiet week, propose marking it ghosted.
Applications with no interview are not chased (one rarely hears back from a CV); after a
quiet month the tracker proposes letting them go.

Nothing here reads the clock or the database: callers pass `today` (in the seeker's time
zone) and the rows, which keeps the cadence easy to test as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from heardback.clock.business import add_business_days

from .models import FollowUp, Interview, JobApplication, Status
from .phrases import possessive

MAX_FOLLOW_UPS = 2
QUIET_WEEK = timedelta(days=7)
APPLIED_QUIET = timedelta(days=30)
THANK_YOU_STALE = timedelta(days=14)  # past this, an unsent thank-you is no longer nagged


@dataclass(frozen=True)
class Reminder:
    kind: str  # thank_you | follow_up | promise | close
    due_on: date
    application_id: int
    company: str
    role: str
    title: str
    detail: str
    until: date | None = None  # shown on "today" up to and including this day
    interview_id: int | None = None
    follow_up_id: int | None = None
    number: int = 0

    def is_due(self, today: date) -> bool:
        return self.due_on <= today and (self.until is None or today <= self.until)

    @property
    def uid(self) -> str:
        suffix = self.interview_id or self.follow_up_id or self.number or 0
        return f"seeker-{self.kind}-{self.application_id}-{suffix}-{self.due_on:%Y%m%d}"


@dataclass
class Plan:
    promise_on: date | None = None
    promise_source: str = ""  # employer | interview | assumed
    promise_missed: bool = False
    follow_up_due_on: date | None = None
    follow_up_window_end: date | None = None
    follow_ups_used: int = 0
    next_follow_up: int | None = 1
    propose_close: bool = False
    close_reason: str = ""
    reminders: list[Reminder] = field(default_factory=list)


def _fmt(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def plan(
    *,
    application: JobApplication,
    interviews: Sequence[Interview],
    follow_ups: Sequence[FollowUp],
    today: date,
    time_zone: ZoneInfo,
    country: str = "",
    subdivision: str = "",
) -> Plan:
    """What is due for one application. `interviews` newest first; `follow_ups` of the
    current round (see JobApplication.news_round), oldest first."""
    app = application
    result = Plan(follow_ups_used=len(follow_ups))
    result.next_follow_up = len(follow_ups) + 1 if len(follow_ups) < MAX_FOLLOW_UPS else None
    if app.status not in (Status.APPLIED, Status.INTERVIEWING):
        return result

    def remind(
        kind: str,
        due_on: date,
        title: str,
        detail: str,
        *,
        until: date | None = None,
        interview_id: int | None = None,
        follow_up_id: int | None = None,
        number: int = 0,
    ) -> None:
        result.reminders.append(
            Reminder(
                kind=kind,
                due_on=due_on,
                application_id=app.pk,
                company=app.company,
                role=app.role,
                title=title,
                detail=detail,
                until=until,
                interview_id=interview_id,
                follow_up_id=follow_up_id,
                number=number,
            )
        )

    for interview in interviews:
        if interview.thank_you_sent_at is None and today - interview.held_on <= THANK_YOU_STALE:
            remind(
                "thank_you",
                interview.held_on,
                f"Send your thank-you note to {app.company}",
                "Best sent the same day: thanks, your interest, and the thing they said "
                "that stayed with you.",
                interview_id=interview.pk,
            )

    latest = interviews[0] if interviews else None
    quiet_since_interview = latest is not None and app.last_news_on <= latest.held_on
    if app.employer_respond_by is not None and app.employer_status in ("", "active"):
        result.promise_on = app.employer_respond_by.astimezone(time_zone).date()
        result.promise_source = "employer"
    elif latest is not None and quiet_since_interview and latest.promised_on is not None:
        result.promise_on = latest.promised_on
        result.promise_source = "assumed" if latest.promise_assumed else "interview"

    chased = latest is not None or result.promise_source == "employer"
    if not chased:
        if app.first_response_on is None and today >= app.applied_on + APPLIED_QUIET:
            result.propose_close = True
            result.close_reason = (
                "A month without a word. It happens to almost everyone; "
                "mark it ghosted and put the energy into the next one?"
            )
            remind(
                "close",
                app.applied_on + APPLIED_QUIET,
                f"Let {app.company} go?",
                result.close_reason,
            )
        return result

    def business(day: date, n: int = 0) -> date:
        return add_business_days(day, n, country=country, subdivision=subdivision)

    if result.promise_source in ("employer", "interview"):
        assert result.promise_on is not None
        first_due = business(result.promise_on + timedelta(days=1))
        window_end = business(first_due, 1)
        why = (
            f"They said you'd hear by {_fmt(result.promise_on)}"
            if result.promise_source == "interview"
            else f"Their status page promised an answer by {_fmt(result.promise_on)}"
        )
    else:
        base = max(app.last_news_on, latest.held_on) if latest else app.last_news_on
        first_due = base + QUIET_WEEK
        window_end = None
        why = f"A week without news since {_fmt(base)}"
    result.promise_missed = (
        result.promise_source in ("employer", "interview")
        and result.promise_on is not None
        and result.promise_on < today
        and app.last_news_on <= result.promise_on
    )

    if result.promise_on is not None and result.promise_source in ("employer", "interview"):
        remind(
            "promise",
            result.promise_on,
            f"{app.company} said you'd hear by today"
            if result.promise_on == today
            else f"{possessive(app.company)} promised date: {_fmt(result.promise_on)}",
            f"If nothing comes, a short, friendly follow-up is due on {_fmt(first_due)}.",
            until=first_due - timedelta(days=1),
        )

    sent = [f for f in follow_ups if f.sent_at is not None]
    unsent = [f for f in follow_ups if f.sent_at is None]
    if not follow_ups:
        result.follow_up_due_on, result.follow_up_window_end = first_due, window_end
        remind(
            "follow_up",
            first_due,
            f"Follow up with {app.company} (1 of 2)",
            f"{why}. One or two sentences: still interested, has a decision been made?",
            number=1,
        )
        return result
    if unsent:
        draft = unsent[0]
        due = first_due if draft.number == 1 else _sent_on(sent[-1], time_zone) + QUIET_WEEK
        result.follow_up_due_on = due
        remind(
            "follow_up",
            due,
            f"Send follow-up {draft.number} of 2 to {app.company}",
            "Your draft is ready whenever you are.",
            number=draft.number,
            follow_up_id=draft.pk,
        )
        return result
    last_sent_on = _sent_on(sent[-1], time_zone)
    if len(sent) < MAX_FOLLOW_UPS:
        due = last_sent_on + QUIET_WEEK
        result.follow_up_due_on = due
        remind(
            "follow_up",
            due,
            f"Follow up with {app.company} (2 of 2)",
            "A week since your first follow-up. One last, short, friendly note.",
            number=2,
        )
        return result
    close_on = last_sent_on + QUIET_WEEK
    if today >= close_on:
        result.propose_close = True
    result.close_reason = (
        "Two follow-ups and no answer. More won't help, and may hurt if they're still "
        "deciding. Mark it ghosted and move on; you can revive it if they reply."
    )
    remind("close", close_on, f"Time to move on from {app.company}?", result.close_reason)
    return result


def _sent_on(follow_up: FollowUp, time_zone: ZoneInfo) -> date:
    assert follow_up.sent_at is not None
    return follow_up.sent_at.astimezone(time_zone).date()
