"""The watchdog keeps promises when nobody acts: reminder, nudge, honest update, policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
import time_machine

from heardback.hiring.models import ApplicationStatus, PromiseWatch, Role
from heardback.messaging.models import Message
from heardback.promises import scheduler, services
from heardback.promises.invariants import find_violations
from tests.factories import make_application, make_job, make_member, make_org

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def run_clock(
    traveller: time_machine.Coordinates, until: datetime, step=timedelta(hours=1)
) -> None:
    """Move time forward as the real scheduler would see it: a round every `step`."""
    from heardback import clock

    now = clock.now()
    while now < until:
        now = min(now + step, until)
        traveller.move_to(now)
        scheduler.run_until_idle()


def kinds(application_id: int | None = None) -> list[str]:
    qs = Message.objects.order_by("id")
    if application_id is not None:
        qs = qs.filter(application_id=application_id)
    return list(qs.values_list("kind", flat=True))


def test_nobody_acts_reminder_nudge_update_then_policy_decline() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org(country="DE")
        make_member(org=org, role=Role.ADMIN)
        services.update_policy(
            org=org,
            actor=make_member(org=org, role=Role.ADMIN),
            past_cap_action="decline",
            extension_cap=1,
        )
        job = make_job(org=org)
        stage = job.pipeline.stages.order_by("position").first()
        stage.promise_business_days = 3
        stage.save()
        application = make_application(job=job, time_zone="Europe/Berlin")
        promise = application.respond_by
        assert promise is not None and kinds(application.pk) == ["acknowledgement"]

        run_clock(traveller, promise - timedelta(hours=2))
        application.refresh_from_db()
        assert application.promise_watch == PromiseWatch.REMINDED
        assert Message.objects.filter(kind="team_reminder", to_email=job.owner.email).count() == 1

        run_clock(traveller, promise + timedelta(minutes=1))
        application.refresh_from_db()
        assert application.promise_watch == PromiseWatch.NUDGED
        nudge = Message.objects.get(kind="team_nudge")
        assert "/engine/act/" in nudge.body_text

        run_clock(traveller, promise + timedelta(hours=25))
        application.refresh_from_db()
        assert kinds(application.pk) == ["acknowledgement", "no_decision_yet"]
        assert application.respond_by > promise and application.extensions_used == 1
        assert application.status == ApplicationStatus.ACTIVE

        second = application.respond_by
        run_clock(traveller, second + timedelta(hours=25))
        application.refresh_from_db()
        assert application.status == ApplicationStatus.DECLINED
        assert kinds(application.pk)[-1] == "decline"
        assert find_violations(now=second + timedelta(hours=25)) == []


def test_silence_window_is_never_reached() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        job = make_job(org=org)
        # A long promise (15 business days) would leave the candidate silent for weeks.
        stage = job.pipeline.stages.order_by("position").first()
        stage.promise_business_days = 15
        stage.save()
        application = make_application(job=job)
        for day in range(1, 20):
            now = START + timedelta(days=day)
            run_clock(traveller, now, step=timedelta(hours=3))
            assert find_violations(now=now) == [], day
        sent = kinds(application.pk)
        assert "still_reviewing" in sent


def test_two_automated_updates_never_within_the_minimum_gap() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        job = make_job(org=org)
        stage = job.pipeline.stages.order_by("position").first()
        stage.promise_business_days = 1  # due tomorrow: an update would come within the gap
        stage.save()
        application = make_application(job=job)
        run_clock(traveller, START + timedelta(days=12))
        times = list(
            Message.objects.filter(application_id=application.pk, automated=True)
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )
        assert len(times) >= 3
        gaps = [b - a for a, b in pairwise(times)]
        assert min(gaps) >= timedelta(days=3)


def test_opted_out_candidates_get_no_progress_updates_but_do_get_the_decision() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        job = make_job(org=org)
        application = make_application(job=job)
        application.candidate.progress_updates_opt_out = True
        application.candidate.save()
        run_clock(traveller, START + timedelta(days=30), step=timedelta(hours=6))
        assert kinds(application.pk) == ["acknowledgement"]
        services.schedule_decline(
            application=application, reason="other_candidate", actor=None, delay_business_days=0
        )
        assert kinds(application.pk)[-1] == "decline"


def test_delayed_decline_can_be_cancelled_and_sends_nothing() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        recruiter = make_member(org=org)
        application = make_application(job=make_job(org=org))
        services.schedule_decline(
            application=application, reason="experience", actor=recruiter, delay_business_days=2
        )
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ACTIVE
        assert application.pending_decline_at is not None
        services.cancel_decline(application=application, actor=recruiter)
        traveller.move_to(START + timedelta(days=5))
        scheduler.run_once()
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ACTIVE
        assert "decline" not in kinds(application.pk)


def test_delayed_decline_is_sent_when_due_and_only_then_changes_status() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        application = make_application(job=make_job(org=org))
        services.schedule_decline(
            application=application, reason="experience", actor=None, delay_business_days=2
        )
        traveller.move_to(START + timedelta(days=1))
        scheduler.run_once()
        application.refresh_from_db()
        assert application.status == ApplicationStatus.ACTIVE
        traveller.move_to(START + timedelta(days=2, minutes=1))
        scheduler.run_once()
        application.refresh_from_db()
        assert application.status == ApplicationStatus.DECLINED
        assert kinds(application.pk).count("decline") == 1


def test_policy_rejects_a_gap_longer_than_the_window() -> None:
    org = make_org()
    admin = make_member(org=org, role=Role.ADMIN)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.update_policy(org=org, actor=admin, max_silence_days=3, min_gap_days=5)
    assert "min_gap_days" in error.value.message_dict


def test_each_silent_week_brings_another_update_and_the_round_ends() -> None:
    """The max-silence update says the same thing each time: it is sent again after another
    silent week (not suppressed as a repeat), and a round with nothing left to do ends."""
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        job = make_job(org=org)
        stage = job.pipeline.stages.order_by("position").first()
        stage.promise_business_days = 30
        stage.save()
        application = make_application(job=job)
        run_clock(traveller, START + timedelta(days=20), step=timedelta(hours=6))
        assert kinds(application.pk).count("still_reviewing") >= 2
        rounds = 0
        while any(scheduler.run_once().values()):
            rounds += 1
            assert rounds < 5, "a step keeps saying it did something"
