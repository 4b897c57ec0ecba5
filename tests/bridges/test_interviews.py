"""Interviews arriving from an ATS through the generic bridge become compliance records:
logged once however often they are delivered, and they start the legal deadline."""

from __future__ import annotations

from typing import Any

import pytest

from heardback.bridges.models import InboundEvent, InboundStatus
from heardback.compliance import services as compliance
from heardback.compliance.models import AnswerDuty, Interview
from heardback.promises import scheduler
from tests.bridges.conftest import Bridge, make_bridge


@pytest.fixture
def generic(db: None, monday: Any) -> Bridge:
    bridge = make_bridge("generic")
    compliance.set_org_settings(
        org=bridge.org,
        jurisdiction="ontario",
        employee_count=40,
        notice_counts_as_answer=None,
        actor=bridge.admin,
    )
    return bridge


def event(interview: dict[str, Any] | None, *, event_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": event_id,
        "occurred_at": "2026-11-30T09:00:00Z",
        "job": {"id": "J1", "title": "Compiler Engineer", "status": "open"},
        "application": {
            "id": "A1",
            "status": "active",
            "stage": "Interview",
            "candidate": {"email": "grace@example.net", "name": "Grace Hopper"},
        },
    }
    if interview is not None:
        body["interview"] = interview
    return body


def test_an_interview_event_is_logged_once_and_sets_the_deadline(generic: Bridge) -> None:
    interview = {
        "id": "I-77",
        "starts_at": "2026-11-30T10:00:00+01:00",
        "kind": "onsite",
        "interviewers": "Ada, Alan",
    }
    assert generic.post(event(None, event_id="e1")).status_code == 202
    assert generic.post(event(interview, event_id="e2")).status_code == 202
    # The same interview again under a new delivery id (an ATS retry): nothing new.
    assert generic.post(event(interview, event_id="e3")).status_code == 202
    scheduler.run_until_idle()
    [logged] = Interview.objects.filter(org=generic.org)
    assert (logged.source, logged.external_id, logged.kind) == ("bridge:generic", "I-77", "onsite")
    assert logged.interviewers == "Ada, Alan" and logged.counts
    duty = AnswerDuty.objects.get(application=logged.application)
    assert duty.last_interview_at == logged.starts_at
    outcomes = list(InboundEvent.objects.order_by("id").values_list("outcome", flat=True))
    assert "interview logged" in outcomes[1] and "interview already logged" in outcomes[2]


def test_a_screen_marked_not_counting_starts_no_clock(generic: Bridge) -> None:
    screen = {"id": "S-1", "starts_at": "2026-11-30T09:30:00Z", "kind": "screen", "counts": False}
    generic.post(event(screen, event_id="s1"))
    scheduler.run_until_idle()
    [logged] = Interview.objects.filter(org=generic.org)
    assert not logged.counts and not AnswerDuty.objects.exists()


@pytest.mark.parametrize(
    ("interview", "message"),
    [
        ({"id": "I-1"}, "needs an id and a starts_at"),
        ({"id": "I-1", "starts_at": "soon"}, "needs an id and a starts_at"),
        ({"id": "I-1", "starts_at": "2026-11-30T09:30:00Z", "kind": "karaoke"}, "Unknown"),
        ({"id": "I-1", "starts_at": "2016-11-30T09:30:00Z"}, "within a year"),
    ],
)
def test_an_unreadable_interview_fails_the_event_with_a_reason_and_logs_nothing(
    generic: Bridge, interview: dict[str, Any], message: str
) -> None:
    generic.post(event(interview, event_id="bad"))
    scheduler.run_until_idle()
    stored = InboundEvent.objects.get()
    assert stored.status == InboundStatus.FAILED and message in stored.outcome
    assert not Interview.objects.exists()
