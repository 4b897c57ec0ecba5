"""A promise and the minimum gap can't conflict: such settings are refused.

The honest "no decision yet" update owed at a missed promise is an automated update, so it
must never be held back by the minimum gap. The policy therefore refuses a gap longer than
the shortest stage promise or the automatic extension, and the job editor refuses a stage
promise shorter than the gap. With the shortest settings allowed, every promise is kept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from heardback.hiring.models import Role, Stage
from heardback.promises import scheduler, services
from heardback.promises.invariants import find_violations
from tests.factories import make_application, make_job, make_member, make_org

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


def _walk(traveller: time_machine.Coordinates, hours: int) -> list[str]:
    problems: list[str] = []
    for hour in range(1, hours + 1):
        now = START + timedelta(hours=hour)
        traveller.move_to(now)
        scheduler.run_until_idle()
        problems += [f"{now:%a %H:%M}: {v.problem}" for v in find_violations(now=now)]
    return problems


def test_the_shortest_allowed_promise_is_kept_despite_the_gap() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        admin = make_member(org=org, role=Role.ADMIN)
        services.update_policy(
            org=org, actor=admin, min_gap_days=2, grace_hours=24, extension_business_days=2
        )
        job = make_job(org=org)
        Stage.objects.filter(pipeline_id=job.pipeline_id).update(promise_business_days=2)
        make_application(job=job)
        assert _walk(traveller, 10 * 24) == []


def test_a_gap_longer_than_a_stage_promise_is_refused() -> None:
    org = make_org()
    admin = make_member(org=org, role=Role.ADMIN)
    job = make_job(org=org)
    Stage.objects.filter(pipeline_id=job.pipeline_id, position=0).update(promise_business_days=2)
    with pytest.raises(ValidationError) as error:
        services.update_policy(org=org, actor=admin, min_gap_days=3)
    assert "shortest promise" in str(error.value.message_dict["min_gap_days"])


def test_an_extension_shorter_than_the_gap_is_refused() -> None:
    org = make_org()
    admin = make_member(org=org, role=Role.ADMIN)
    with pytest.raises(ValidationError) as error:
        services.update_policy(org=org, actor=admin, min_gap_days=3, extension_business_days=2)
    assert "extension_business_days" in error.value.message_dict


def test_the_job_editor_refuses_a_stage_promise_shorter_than_the_gap() -> None:
    from heardback.hiring.errors import HiringError
    from heardback.promises import services as engine

    org = make_org()
    admin = make_member(org=org, role=Role.ADMIN)
    job = make_job(org=org)
    stages = {
        stage.pk: (stage.name, 1 if stage.position == 0 else stage.promise_business_days)
        for stage in Stage.objects.filter(pipeline_id=job.pipeline_id)
    }
    with pytest.raises(HiringError) as error:
        engine.update_job(
            job=job,
            actor=admin,
            title=job.title,
            location="",
            description="",
            owner=job.owner,
            stages=stages,
            closeout_subject="",
            closeout_body="",
        )
    assert "minimum gap" in str(error.value.message_dict["stages"])
