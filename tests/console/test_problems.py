"""What needs a person reaches the people of that org, and only them: the banner on every
console page, the problems page, and the admins' daily digest.

Org A's stage template was saved before the sandbox existed and no longer renders (written
straight to the row, as an old database would hold it); moving a candidate into that stage
sends the built-in text and records the failure, as in production.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from heardback.console import problems
from heardback.hiring import services as hiring
from heardback.hiring.models import Stage
from heardback.messaging.models import Message
from heardback.promises import scheduler
from heardback.runtime import selectors
from heardback.runtime.isolation import record_failure
from heardback.runtime.models import Fault
from tests.console.conftest import World, client_for

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Berlin
POISONED_BODY = 'Hello {{ first_name }}{% if job_title %}{% include "nope" %}{% endif %}'
LINE = "The message of the “Interview” stage failed at send time; candidates got the built-in"


def break_stage(world: World) -> Stage:
    """Org A's "Interview" template fails, and a candidate is moved into that stage."""
    stage = world.job.pipeline.stages.get(name="Interview")
    Stage.objects.filter(pk=stage.pk).update(body_template=POISONED_BODY)
    stage.refresh_from_db()
    hiring.move_to_stage(application=world.applications[0], stage=stage, actor=world.recruiter)
    assert Fault.objects.filter(source="template", item=f"stage:{stage.pk}").exists()
    return stage


@pytest.fixture
def broken_stage(world: World) -> Stage:
    return break_stage(world)


def page(member: Any, name: str = "console:dashboard") -> str:
    response = client_for(member).get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def test_the_banner_shows_to_the_orgs_admins_and_recruiters_only(
    world: World, broken_stage: Stage
) -> None:
    for member in (world.admin, world.recruiter):
        for name in ("console:dashboard", "console:jobs", "console:templates"):
            body = page(member, name)
            assert "1 thing needs you:" in body, (member, name)
            assert LINE in body
            assert reverse("console:problems") in body
    # Hiring managers can't fix templates; org B has nothing wrong.
    assert "needs you" not in page(world.manager)
    other = page(world.other_admin)
    assert "needs you" not in other and "Interview" not in other


def test_the_banner_is_one_query(
    world: World, broken_stage: Stage, django_assert_num_queries: Any
) -> None:
    for _ in range(4):  # more problems than the banner lists
        record_failure(
            source="remind_owners",
            item=f"org:{world.org.pk}",
            org_id=world.org.pk,
            error="RuntimeError: boom",
            label="reminders",
        )
    with django_assert_num_queries(1):
        count, shown = selectors.problem_summary(org_id=world.org.pk, now=datetime.now(UTC), show=1)
    assert count == 2 and len(shown) == 1
    body = page(world.admin)
    assert "2 things need you:" in body and "See all 2" not in body
    assert "Reminders for your organisation have failed 4 times" in body


def test_the_problems_page_is_scoped_to_the_org(world: World, broken_stage: Stage) -> None:
    for _ in range(3):
        record_failure(
            source="remind_owners",
            item=f"org:{world.other_org.pk}",
            org_id=world.other_org.pk,
            error="RuntimeError: zeta's mail server said no",
            label="reminders",
        )
    mine = page(world.admin, "console:problems")
    assert LINE in mine
    assert reverse("console:stage_template", args=[broken_stage.pk]) in mine
    assert "zeta" not in mine.lower()

    theirs = page(world.other_admin, "console:problems")
    assert "Reminders for your organisation have failed 3 times" in theirs
    assert "Interview" not in theirs and "Data Engineer" not in theirs
    assert reverse("console:stage_template", args=[broken_stage.pk]) not in theirs

    assert client_for(world.manager).get(reverse("console:problems")).status_code == 403


def test_a_failing_close_out_template_links_to_the_job(world: World) -> None:
    record_failure(
        source="template",
        item=f"job:{world.job.pk}:close-out",
        org_id=world.org.pk,
        error="TemplateSyntaxError: Invalid filter: 'shout'",
        label="the close-out message of “Data Engineer”",
    )
    body = page(world.recruiter, "console:problems")
    assert "The close-out message of “Data Engineer” failed at send time" in body
    assert reverse("console:job_edit", args=[world.job.pk]) in body


def test_the_digest_goes_to_the_orgs_admins_once_a_day(world: World) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        break_stage(world)
        digests = Message.objects.filter(kind="team_problems")

        scheduler.run_once(now=START)  # the step is registered with the scheduler
        [digest] = digests.all()
        assert digest.to_email == "admin@acme.example"  # not the recruiter, not org B
        assert digest.org_id == world.org.pk
        assert digest.subject == "1 thing needs you at Acme Analytics"
        assert LINE in digest.body_text
        assert reverse("console:problems") in digest.body_text

        traveller.shift(timedelta(hours=3))
        scheduler.run_once(now=START + timedelta(hours=3))
        assert digests.count() == 1  # once a day

        tomorrow = START + timedelta(days=1)
        traveller.move_to(tomorrow)
        assert problems.send_problem_digests(now=tomorrow, limit=100) == 1
        assert digests.count() == 2
        assert problems.send_problem_digests(now=tomorrow, limit=100) == 0
        assert set(digests.values_list("to_email", flat=True)) == {"admin@acme.example"}


def test_no_digest_before_seven_in_the_morning_or_without_problems(world: World) -> None:
    early = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # 06:00 in Berlin
    assert problems.send_problem_digests(now=early, limit=100) == 0
    with time_machine.travel(early, tick=False):
        record_failure(
            source="template", item="stage:1", org_id=world.org.pk, error="x", label="a stage"
        )
        assert problems.send_problem_digests(now=early, limit=100) == 0
    assert problems.send_problem_digests(now=early + timedelta(hours=2), limit=100) == 1


def test_saving_the_template_again_clears_the_banner(world: World, broken_stage: Stage) -> None:
    client = client_for(world.recruiter)
    assert "1 thing needs you:" in page(world.recruiter)
    response = client.post(
        reverse("console:stage_template", args=[broken_stage.pk]),
        {"subject": "Let's talk, {{ first_name }}", "body": "We'd love to meet you."},
    )
    assert response.status_code == 302
    assert "needs you" not in page(world.recruiter)
    assert "needs you" not in page(world.admin)
    assert "Nothing needs you right now" in page(world.admin, "console:problems")
    assert Fault.objects.get(item=f"stage:{broken_stage.pk}").resolved_at is not None
