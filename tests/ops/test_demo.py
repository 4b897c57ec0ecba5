"""The demo is a season in progress: loaded by the command `heardback run` calls, through the
services on a moved clock, it leaves eight weeks of history that the engine kept honest."""

from __future__ import annotations

import mailbox
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from heardback import clock
from heardback.devmail.transport import UNREACHABLE_DOMAIN
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Candidate,
    Event,
    EventKind,
    JobStatus,
    Org,
)
from heardback.messaging.models import Message, MessageStatus
from heardback.promises.invariants import find_violations
from heardback.promises.models import CloseOut

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings: Any, tmp_path: Path) -> tuple[Org, Path, str]:
    settings.DEVMAIL_ENABLED = True
    settings.DEVMAIL_MAILDIR = tmp_path / "mailbox"
    out = StringIO()
    call_command("demo", stdout=out)
    return Org.objects.get(slug="northwind"), settings.DEVMAIL_MAILDIR, out.getvalue()


def _the_demo_is_eight_weeks_of_a_season(demo: tuple[Org, Path, str]) -> None:
    org, _maildir, out = demo
    now = clock.now()
    applications = Application.objects.filter(org=org)
    assert 50 <= applications.count() <= 60
    assert f"{applications.count()} applications" in out
    created = sorted(applications.values_list("created_at", flat=True))
    # Spread over the past eight weeks, none in the future, most weeks with arrivals.
    assert created[0] < now - timedelta(weeks=6)
    assert created[-1] <= now
    weeks = {(now - moment).days // 7 for moment in created}
    assert len(weeks) >= 6, weeks
    assert org.created_at < created[0]


def _the_season_has_every_kind_of_story(demo: tuple[Org, Path, str]) -> None:
    org, _maildir, _out = demo
    statuses = dict.fromkeys(ApplicationStatus.values, 0)
    for status in Application.objects.filter(org=org).values_list("status", flat=True):
        statuses[status] += 1
    assert statuses[ApplicationStatus.ACTIVE] >= 10
    assert statuses[ApplicationStatus.DECLINED] >= 5
    assert statuses[ApplicationStatus.HIRED] == 1
    assert statuses[ApplicationStatus.WITHDRAWN] >= 1
    # A close-out was done: the designer job was filled and the others heard so.
    close_out = CloseOut.objects.get(job__org=org)
    assert close_out.job.status == JobStatus.FILLED
    assert close_out.finished_at is not None
    assert Application.objects.filter(org=org, closed_out_by=close_out.pk).count() >= 1
    kinds = set(Event.objects.filter(org_id=org.pk).values_list("kind", flat=True))
    assert EventKind.PROMISE_EXTENDED in kinds  # some promises extended
    assert EventKind.STAGE_CHANGED in kinds
    # Some met: the next news came before the date promised.
    assert Event.objects.filter(org_id=org.pk, kind=EventKind.STAGE_CHANGED).count() >= 5
    unreachable = Candidate.objects.filter(org=org, unreachable_since__isnull=False)
    assert unreachable.count() == 3
    assert all(c.email.endswith(UNREACHABLE_DOMAIN) for c in unreachable)


def _cards_show_days_in_stage(demo: tuple[Org, Path, str]) -> None:
    org, _maildir, _out = demo
    now = clock.now()
    waiting = [
        (now - entered).days
        for entered in Application.objects.filter(
            org=org, status=ApplicationStatus.ACTIVE
        ).values_list("stage_entered_at", flat=True)
    ]
    assert max(waiting) >= 7
    assert len(set(waiting)) >= 4  # not everyone "0 days in stage"


def _the_engine_holds_afterwards(demo: tuple[Org, Path, str]) -> None:
    org, maildir, _out = demo
    assert find_violations(now=clock.now()) == []
    # Everything due was delivered (or failed for the gone mailboxes), into the dev mailbox.
    assert not Message.objects.filter(
        org_id=org.pk, status=MessageStatus.QUEUED, next_attempt_at__lte=clock.now()
    ).exists()
    sent = Message.objects.filter(org_id=org.pk, status=MessageStatus.SENT).count()
    assert len(mailbox.Maildir(str(maildir), create=False)) == sent > 100
    assert Message.objects.filter(org_id=org.pk, status=MessageStatus.FAILED).count() >= 3
    # Every final message once: each finished application got exactly one.
    finished = Application.objects.filter(org=org).exclude(status=ApplicationStatus.ACTIVE)
    finals = Message.objects.filter(org_id=org.pk, final=True).exclude(
        status=MessageStatus.CANCELLED
    )
    assert finals.count() == finished.count()


def _the_demo_refuses_a_second_load(demo: tuple[Org, Path, str]) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already exists"):
        call_command("demo", stdout=StringIO())


def test_the_demo_is_a_season_in_progress(demo: tuple[Org, Path, str]) -> None:
    # One load for every check: replaying eight weeks takes a while on a busy machine.
    _the_demo_is_eight_weeks_of_a_season(demo)
    _the_season_has_every_kind_of_story(demo)
    _cards_show_days_in_stage(demo)
    _the_engine_holds_afterwards(demo)
    _the_demo_refuses_a_second_load(demo)
