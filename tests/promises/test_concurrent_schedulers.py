"""Two schedulers and two delivery workers at once, on PostgreSQL, over a simulated week.

The same hiring week is played twice from identical starting data: once by one scheduler
taking both turns in sequence (the reference), once by two scheduler threads and two worker
threads running every round at the same time, each with its own database connection. Any
action taken twice (an extra reminder, nudge, honest update, silence update, decline or
message) shows up as a difference from the reference; every email must arrive once.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Event, Org, Role
from heardback.messaging import delivery
from heardback.messaging.models import Message, MessageStatus
from heardback.promises import scheduler, services
from heardback.promises.models import ActionLink
from tests.factories import make_member, make_org
from tests.smtp import SmtpServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # a Monday morning
ROUNDS = [START + timedelta(hours=h) for h in range(1, 7 * 24 + 1)]  # hourly for a week
PEOPLE = 16
ENGINE_KINDS = ["acknowledgement", "no_decision_yet", "still_reviewing", "decline", "close_out"]


def _name(prefix: str, n: int) -> str:
    return f"{prefix}{n:03d}x Person"


def _build(prefix: str) -> tuple[Org, list[Application]]:
    """Identical orgs but for names: quick and slow stages, opt-outs, held declines."""
    org = make_org(name=f"Org {prefix}")
    admin = make_member(org=org, role=Role.ADMIN)
    services.update_policy(
        org=org,
        actor=admin,
        extension_cap=1,
        past_cap_action="decline",
        decline_delay_business_days=2,
        min_gap_days=2,
        max_silence_days=5,
    )
    owner = make_member(org=org, role=Role.HIRING_MANAGER)
    quick = hiring.create_job(org=org, title="Quick", owner=owner)
    slow = hiring.create_job(org=org, title="Slow", owner=owner)
    quick.pipeline.stages.update(promise_business_days=1)
    slow.pipeline.stages.update(promise_business_days=10)
    applications = []
    for n in range(PEOPLE):
        application = hiring.apply(
            job=quick if n % 2 == 0 else slow,
            name=_name(prefix, n),
            email=f"{prefix}{n}@example.net",
            language=["en", "de", "es"][n % 3],
        )
        if n % 5 == 4:
            application.candidate.progress_updates_opt_out = True
            application.candidate.save()
        if n % 7 == 3:
            services.schedule_decline(application=application, reason="experience", actor=None)
        applications.append(application)
    return org, applications


def _play_in_turns(virtual: clock.VirtualClock) -> None:
    for moment in ROUNDS:
        virtual.current = moment
        scheduler.run_once(now=moment)
        scheduler.run_once(now=moment)
        delivery.drain()
        delivery.drain()


def _play_concurrently(virtual: clock.VirtualClock) -> None:
    """Four threads, each its own connection, released together at every round."""
    begin, end = threading.Barrier(5), threading.Barrier(5)
    finished = threading.Event()
    errors: list[BaseException] = []

    def work(step: Callable[[], Any]) -> None:
        try:
            while True:
                begin.wait(timeout=120)
                if finished.is_set():
                    return
                step()
                end.wait(timeout=120)
        except BaseException as error:
            errors.append(error)
            begin.abort()
            end.abort()
        finally:
            connection.close()

    steps: list[Callable[[], Any]] = [
        lambda: scheduler.run_once(now=virtual.current),
        lambda: scheduler.run_once(now=virtual.current),
        delivery.drain,
        delivery.drain,
    ]
    threads = [threading.Thread(target=work, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    try:
        for moment in ROUNDS:
            virtual.current = moment
            begin.wait(timeout=120)
            end.wait(timeout=120)
        finished.set()
        begin.wait(timeout=120)
    finally:
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    delivery.drain()  # whatever the last round queued while the workers were finishing


def _signature(org: Org, prefix: str) -> dict[int, Any]:
    """Everything that happened to each candidate, by position, with times from START."""
    team_bodies = list(
        Message.objects.filter(org_id=org.pk, application_id__isnull=True).values_list(
            "kind", "body_text"
        )
    )
    result = {}
    for application in Application.objects.filter(org=org).select_related("candidate"):
        n = int(re.match(rf"{prefix}(\d+)x", application.candidate.name).group(1))
        name = _name(prefix, n)
        result[n] = {
            "status": application.status,
            "extensions": application.extensions_used,
            "events": sorted(
                (kind, at - START)
                for kind, at in Event.objects.filter(application=application)
                .exclude(kind="applied")
                .values_list("kind", "created_at")
            ),
            # Counts, not times: steps of other apps (e.g. a survey after a decision) may
            # key off delivery time, which rightly differs when workers run alongside.
            "messages": Counter(
                Message.objects.filter(application_id=application.pk).values_list("kind", flat=True)
            ),
            "engine_messages": sorted(
                (kind, at - START)
                for kind, at in Message.objects.filter(
                    application_id=application.pk, kind__in=ENGINE_KINDS
                ).values_list("kind", "created_at")
            ),
            "nudge_links": ActionLink.objects.filter(application=application).count(),
            "team_mentions": Counter(
                kind for kind, body in team_bodies for _ in re.findall(rf"- {name},", body)
            ),
        }
    return result


def test_two_schedulers_and_two_workers_never_act_twice(smtp_server: SmtpServer) -> None:
    virtual = clock.VirtualClock(START)
    with clock.use_clock(virtual):
        reference_org, _ = _build("a")
        other_org, _ = _build("b")
        # Play the reference week with only org "a" active, then org "b" on its own.
        Org.objects.filter(pk=other_org.pk).update(slug="parked")
        b_apps = Application.objects.filter(org=other_org)
        parked = list(b_apps.values_list("id", "status"))
        b_apps.update(status="withdrawn")
        _play_in_turns(virtual)
        reference = _signature(reference_org, "a")
        reference_mail = Counter(
            r.rcpt_tos[0].split("@")[0][1:]
            for r in smtp_server.received
            if r.rcpt_tos[0].startswith("a")
        )

        # Reset: org "a" leaves the stage, org "b" comes back exactly as built.
        Application.objects.filter(org=reference_org).update(status="withdrawn")
        for app_id, status in parked:
            Application.objects.filter(pk=app_id).update(status=status)
        virtual.current = START
        _play_concurrently(virtual)
        concurrent = _signature(other_org, "b")
        concurrent_mail = Counter(
            r.rcpt_tos[0].split("@")[0][1:]
            for r in smtp_server.received
            if r.rcpt_tos[0].startswith("b")
        )

        # The reference week did real work, so a doubled action would be visible.
        kinds = Counter(k for sig in reference.values() for k, _at in sig["events"])
        assert kinds["promise_extended"] >= 3 and kinds["silence_update"] >= 1, kinds
        assert kinds["decline"] >= 3, kinds
        assert sum(sig["nudge_links"] for sig in reference.values()) >= 9
        assert sum(sum(sig["team_mentions"].values()) for sig in reference.values()) >= 6

        for n in range(PEOPLE):
            assert concurrent[n] == reference[n], n
        assert concurrent_mail == reference_mail
        ids = Counter(r.message["Message-ID"] for r in smtp_server.received)
        assert max(ids.values()) == 1
        assert (
            Message.objects.filter(org_id=other_org.pk)
            .exclude(status__in=[MessageStatus.SENT, MessageStatus.CANCELLED])
            .count()
            == 0
        )

        call_command("check_silence")  # exits non-zero on any violation
