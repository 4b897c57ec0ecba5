"""The seed's cadence as tables run over the clock.

Each table is a script: on a day (the clock moved there with time-machine) an optional
action happens, then "Needs you today" must show exactly the expected reminders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from heardback.seeker import selectors, services
from heardback.seeker.models import Status

from .conftest import make_seeker, profile_of

pytestmark = pytest.mark.django_db


def at(day: date) -> Any:
    return time_machine.travel(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC), tick=False)


def due_kinds(user: Any) -> list[str]:
    summary = selectors.needs_today(profile=profile_of(user))
    return sorted(
        ["thank_you" for _ in summary.thank_yous]
        + [f"follow_up:{r.number}" for r in summary.follow_ups]
        + ["promise" for _ in summary.promises]
        + ["close" for _ in summary.to_close]
    )


def send_thank_you(ctx: dict[str, Any]) -> None:
    services.mark_thank_you_sent(owner=ctx["user"], interview_id=ctx["interview"].pk)


def send_follow_up(ctx: dict[str, Any]) -> None:
    draft = services.draft_follow_up(owner=ctx["user"], application_id=ctx["app"].pk)
    services.mark_follow_up_sent(owner=ctx["user"], follow_up_id=draft.pk)
    ctx.setdefault("sent", []).append(draft.number)


def refuse_third(ctx: dict[str, Any]) -> None:
    with pytest.raises(services.FollowUpRefused) as refusal:
        services.draft_follow_up(owner=ctx["user"], application_id=ctx["app"].pk)
    assert "don't harass them" in str(refusal.value).lower()
    assert "ghosted" in str(refusal.value)
    assert refusal.value.propose_ghosted


def mark_ghosted(ctx: dict[str, Any]) -> None:
    services.set_status(owner=ctx["user"], application_id=ctx["app"].pk, status=Status.GHOSTED)


def they_replied(ctx: dict[str, Any]) -> None:
    app = services.record_news(owner=ctx["user"], application_id=ctx["app"].pk)
    assert app.status == Status.INTERVIEWING


Step = tuple[date, Callable[[dict[str, Any]], None] | None, list[str]]

# Interview Wed 25 Nov 2026, no date given: a week is assumed.
NO_PROMISE: list[Step] = [
    (date(2026, 11, 25), None, ["thank_you"]),  # the thank-you is due at once
    (date(2026, 11, 25), send_thank_you, []),
    (date(2026, 12, 1), None, []),
    (date(2026, 12, 2), None, ["follow_up:1"]),  # +7 days with no news
    (date(2026, 12, 2), send_follow_up, []),
    (date(2026, 12, 8), None, []),
    (date(2026, 12, 9), None, ["follow_up:2"]),  # a week after follow-up 1
    (date(2026, 12, 9), send_follow_up, []),
    (date(2026, 12, 15), refuse_third, []),  # a third is refused
    (date(2026, 12, 16), None, ["close"]),  # ...and moving on is proposed
    (date(2026, 12, 16), mark_ghosted, []),
    (date(2027, 1, 4), they_replied, []),  # revived: a new round, nothing due yet
    (date(2027, 1, 11), None, ["follow_up:1"]),
]

# Interview Wed 25 Nov 2026; "by Friday" = Fri 27 Nov; follow-up 1-2 business days after.
BY_FRIDAY: list[Step] = [
    (date(2026, 11, 25), send_thank_you, []),
    (date(2026, 11, 26), None, []),
    (date(2026, 11, 27), None, ["promise"]),  # the promised date is passing
    (date(2026, 11, 29), None, ["promise"]),
    (date(2026, 11, 30), None, ["follow_up:1"]),  # Monday: 1 business day after
    (date(2026, 12, 1), None, ["follow_up:1"]),  # still in the 1-2 day window
    (date(2026, 12, 1), send_follow_up, []),
    (date(2026, 12, 8), None, ["follow_up:2"]),
]

# A promised Christmas Eve in Germany: the 25th and 26th are holidays, then a weekend.
CHRISTMAS: list[Step] = [
    (date(2026, 12, 18), send_thank_you, []),
    (date(2026, 12, 24), None, ["promise"]),
    (date(2026, 12, 27), None, ["promise"]),
    (date(2026, 12, 28), None, ["follow_up:1"]),
]


def run(table: list[Step], *, held_on: date, phrase: str = "", country: str = "DE") -> None:
    user = make_seeker(country=country)
    with at(held_on):
        app = services.create_application(
            owner=user, company="Acme", role="Engineer", applied_on=date(2026, 11, 10)
        )
        interview = services.log_interview(
            owner=user, application_id=app.pk, held_on=held_on, promise_phrase=phrase,
            interesting_remark="small steps beat big rewrites",
        )  # fmt: skip
    ctx = {"user": user, "app": app, "interview": interview}
    for day, action, expected in table:
        with at(day):
            if action is not None:
                action(ctx)
            assert due_kinds(user) == sorted(expected), f"on {day}"


def test_cadence_without_a_promised_date() -> None:
    run(NO_PROMISE, held_on=date(2026, 11, 25))


def test_cadence_with_a_promised_date() -> None:
    run(BY_FRIDAY, held_on=date(2026, 11, 25), phrase="by Friday")


def test_cadence_counts_business_days_with_holidays() -> None:
    run(CHRISTMAS, held_on=date(2026, 12, 18), phrase="by 24 December")


def test_no_date_is_said_and_a_week_assumed() -> None:
    user = make_seeker()
    with at(date(2026, 11, 25)):
        app = services.create_application(
            owner=user, company="Acme", role="Engineer", applied_on=date(2026, 11, 10)
        )
        interview = services.log_interview(owner=user, application_id=app.pk,
                                           held_on=date(2026, 11, 25))  # fmt: skip
    assert interview.promise_assumed
    assert interview.promised_on == date(2026, 12, 2)
    assert "No date was given" in interview.promise_explained


def test_a_waiting_draft_is_returned_not_a_new_one() -> None:
    user = make_seeker()
    with at(date(2026, 12, 3)):
        app = services.create_application(
            owner=user, company="Acme", role="Engineer", applied_on=date(2026, 11, 10)
        )
        services.log_interview(owner=user, application_id=app.pk, held_on=date(2026, 11, 25))
        first = services.draft_follow_up(owner=user, application_id=app.pk)
        again = services.draft_follow_up(owner=user, application_id=app.pk)
    assert first.pk == again.pk and first.number == 1


def test_an_application_without_interview_is_proposed_for_closing_after_a_month() -> None:
    user = make_seeker()
    with at(date(2026, 11, 1)):
        services.create_application(
            owner=user, company="Quiet Ltd", role="Analyst", applied_on=date(2026, 11, 1)
        )
    with at(date(2026, 11, 30)):
        assert due_kinds(user) == []
    with at(date(2026, 12, 1)):
        assert due_kinds(user) == ["close"]
