"""Settings the engine accepts but cannot keep: a promise and the minimum gap in conflict.

The acknowledgement counts as an automated message for the minimum gap. When a stage's
promise falls due sooner than the gap allows the next automated message, the honest
"no decision yet" update is held back by the gap and the promise is broken until the gap
has passed. Either the policy should refuse such
settings, or the acknowledgement should not count against the gap; that is a product
decision. This test records the conflict and will start passing (strict xfail: then fail,
so someone removes the mark) once it is resolved either way.
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


@pytest.mark.xfail(strict=True, reason="promise shorter than the minimum gap: open question")
def test_a_promise_shorter_than_the_minimum_gap_is_kept_or_refused() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        admin = make_member(org=org, role=Role.ADMIN)
        job = make_job(org=org)
        try:
            services.update_policy(org=org, actor=admin, min_gap_days=3, grace_hours=24)
            Stage.objects.filter(pipeline_id=job.pipeline_id).update(promise_business_days=1)
        except ValidationError:
            return  # refusing the combination is one way to resolve it
        make_application(job=job)
        assert _walk(traveller, 4 * 24) == []
