"""Hear-back metrics from real histories made through the services, with time moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.models import Role
from heardback.messaging import delivery
from heardback.reporting import selectors as reporting
from tests import factories

# A Monday morning in a week without German holidays.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def org_with_history(db: Any, smtp_server: Any) -> dict[str, Any]:
    """Three candidates: Ann is answered quickly and hired, Ben is declined late,
    Cy is never answered. Everything happens through the real services."""
    with time_machine.travel(START, tick=False):
        org = factories.make_org(name="Metric Co")
        owner = factories.make_member(org=org, role=Role.HIRING_MANAGER)
        other_owner = factories.make_member(org=org, role=Role.HIRING_MANAGER)
        job = factories.make_job(org=org, title="Analyst", owner=owner)
        other_job = factories.make_job(org=org, title="Other", owner=other_owner)
        ann = factories.make_application(job=job, name="Ann A")
        ben = factories.make_application(job=job, name="Ben B")
        cy = factories.make_application(job=job, name="Cy C")
        factories.make_application(job=other_job, name="Di D")
        delivery.drain()
    with time_machine.travel(START + timedelta(days=1), tick=False):  # Tuesday: Ann moves on
        hiring.advance(application=ann, actor=owner)
        delivery.drain()
    with time_machine.travel(START + timedelta(days=3), tick=False):  # Thursday: hired
        hiring.hire(application=ann, actor=owner)
        delivery.drain()
    with time_machine.travel(START + timedelta(days=14), tick=False):  # two weeks: Ben declined
        hiring.decline(application=ben, reason="other", actor=owner)
        delivery.drain()
    return {"org": org, "job": job, "owner": owner, "ann": ann, "ben": ben, "cy": cy}


def test_hear_back_rate_counts_only_sent_final_messages(org_with_history: dict) -> None:
    org = org_with_history["org"]
    now = START + timedelta(days=15)
    metrics = reporting.hear_back_metrics(org=org, now=now)
    assert metrics.finished == 2
    assert metrics.heard_back == 2
    assert metrics.hear_back_rate == 1.0
    # A final message still in the outbox does not count as heard back.
    with time_machine.travel(now, tick=False):
        hiring.decline(application=org_with_history["cy"], reason="other", actor=None)
    metrics = reporting.hear_back_metrics(org=org, now=now)
    assert (metrics.finished, metrics.heard_back) == (3, 2)


def test_promises_met_on_time(org_with_history: dict) -> None:
    org = org_with_history["org"]
    now = START + timedelta(days=15)
    metrics = reporting.hear_back_metrics(org=org, job_id=org_with_history["job"].pk, now=now)
    # Ann: applied (met by Tuesday's move) + moved (met by Thursday's hire) = 2 met.
    # Ben: applied Monday, promise 5 business days, answered after 14 days = missed.
    # Cy: applied Monday, never answered, date passed = missed.
    assert (metrics.promises_due, metrics.promises_met) == (4, 2)
    assert metrics.promises_met_rate == 0.5


def test_open_promises_are_not_counted_yet(org_with_history: dict) -> None:
    metrics = reporting.hear_back_metrics(
        org=org_with_history["org"],
        job_id=org_with_history["job"].pk,
        now=START + timedelta(days=3, hours=1),
    )
    # Only Ann's two promises have been settled so far; Ben's and Cy's dates have not come.
    assert (metrics.promises_due, metrics.promises_met) == (2, 2)


def test_times_to_first_response_and_decision(org_with_history: dict) -> None:
    metrics = reporting.hear_back_metrics(
        org=org_with_history["org"],
        job_id=org_with_history["job"].pk,
        now=START + timedelta(days=15),
    )
    assert sorted(metrics.first_response_hours) == [24.0, 14 * 24.0]
    assert sorted(metrics.decision_hours) == [3 * 24.0, 14 * 24.0]
    assert metrics.median_decision_hours == (3 * 24 + 14 * 24) / 2
    assert metrics.p95_decision_hours == 14 * 24.0


def test_silence_and_overdue_now(org_with_history: dict) -> None:
    now = START + timedelta(days=15)
    metrics = reporting.hear_back_metrics(
        org=org_with_history["org"], job_id=org_with_history["job"].pk, now=now
    )
    assert metrics.active == 1
    assert metrics.longest_silence == timedelta(days=15)  # Cy, since the acknowledgement
    assert metrics.overdue_now == 1


def test_scoped_by_owner(org_with_history: dict) -> None:
    org = org_with_history["org"]
    now = START + timedelta(days=15)
    assert reporting.hear_back_metrics(org=org, now=now).applications == 4
    mine = reporting.hear_back_metrics(org=org, owner=org_with_history["owner"], now=now)
    assert mine.applications == 3


def test_weekly_series(org_with_history: dict) -> None:
    now = START + timedelta(days=15)
    series = reporting.weekly_series(org=org_with_history["org"], now=now, weeks=3)
    assert [p.week_start.date().isoformat() for p in series] == [
        "2026-03-02",
        "2026-03-09",
        "2026-03-16",
    ]
    assert [p.received for p in series] == [4, 0, 0]
    assert [p.finished for p in series] == [1, 0, 1]
    assert [p.hear_back_rate for p in series] == [1.0, None, 1.0]
    assert series[0].median_decision_hours == 72.0


def test_percentile_is_nearest_rank() -> None:
    assert reporting.percentile([], 95) is None
    assert reporting.percentile([5.0], 95) == 5.0
    values = [float(n) for n in range(1, 101)]
    assert reporting.percentile(values, 95) == 95.0
    assert reporting.percentile(values, 50) == 50.0


def test_needs_action_today(org_with_history: dict) -> None:
    org = org_with_history["org"]
    from heardback.hiring.models import Application

    now = START + timedelta(days=15)
    due = reporting.needs_action_today(
        applications=Application.objects.filter(org=org), now=now, org=org
    )
    assert {a.candidate.name for a in due} == {"Cy C", "Di D"}
    assert clock.now()  # the clock is untouched outside travel blocks


def test_promises_count_recent_applications_only(org_with_history: dict) -> None:
    later = START + reporting.PROMISE_WINDOW + timedelta(days=1)
    metrics = reporting.hear_back_metrics(org=org_with_history["org"], now=later)
    assert metrics.promises_due == 0
    assert metrics.finished == 2  # the other numbers still cover everything
