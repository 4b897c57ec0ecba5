"""`heardback doctor`: what it prints and how it exits, against real faults and heartbeats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from heardback.hiring.models import Application
from heardback.runtime import heartbeat
from heardback.runtime.isolation import record_failure
from tests.factories import make_application, make_job, make_org

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def doctor(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("doctor", *args, stdout=out)
    except SystemExit as stop:
        return int(stop.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_a_fresh_install_is_all_good() -> None:
    code, out = doctor()
    assert code == 0
    for section in ("Processes", "Stuck items", "Failing templates", "Overdue work"):
        assert section in out
    assert "none has reported yet" in out
    assert out.rstrip().endswith("All good.")


def test_missing_processes_count_only_when_expected() -> None:
    code, out = doctor("--expect-processes")
    assert code == 1
    assert "scheduler  MISSING" in out and "worker     MISSING" in out
    assert "All good" not in out


def test_live_processes_are_all_good_and_a_silent_one_is_stale() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        for role in ("scheduler", "worker"):
            heartbeat.beat(
                process=f"{role}@host:1", role=role, started_at=START, detail={"busy": 0}
            )
        code, out = doctor("--expect-processes")
        assert code == 0, out
        assert "scheduler@host:1" in out and "STALE" not in out

        traveller.shift(timedelta(minutes=3))  # no beat for three minutes: three rounds missed
        heartbeat.beat(process="worker@host:1", role="worker", started_at=START, detail={})

        code, out = doctor()
        assert code == 0  # nothing is expected to run
        assert "scheduler@host:1" in out and "STALE" in out
        code, out = doctor("--expect-processes")
        assert code == 1
        [stale] = [line for line in out.splitlines() if "STALE" in line]
        assert stale.split()[0] == "scheduler"
        assert "scheduler  MISSING" in out and "worker     MISSING" not in out

        heartbeat.forget(process="scheduler@host:1")  # a scheduler that stopped cleanly
        assert "scheduler@host:1" not in doctor()[1]


def test_stuck_items_and_failing_templates_need_a_person_per_org() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        acme = make_org(name="Acme Analytics", time_zone="UTC")
        job = make_job(org=acme, title="Data Engineer")
        quiet = make_org(name="Quiet Org")
        for _ in range(3):
            record_failure(
                source="remind_owners",
                item=f"org:{acme.pk}",
                org_id=acme.pk,
                error=RuntimeError("mail server said no"),
                label="reminders",
            )
            traveller.shift(timedelta(minutes=5))
        # Failed twice only: retried on its own, nobody needs to hear about it yet.
        for _ in range(2):
            record_failure(
                source="nudge_owners",
                item=f"org:{quiet.pk}",
                org_id=quiet.pk,
                error="timeout",
                label="nudges",
            )
        record_failure(
            source="template",
            item=f"job:{job.pk}:close-out",
            org_id=acme.pk,
            error="TemplateSyntaxError: Invalid filter: 'shout'",
            label="the close-out message of “Data Engineer”",
        )
        record_failure(
            source="keep_silence", item="round", org_id=None, error=RuntimeError("no such column")
        )

        code, out = doctor()

    assert code == 1
    stuck = out[out.index("Stuck items") : out.index("Failing templates")]
    templates = out[out.index("Failing templates") : out.index("Overdue work")]
    assert f"Acme Analytics (org {acme.pk})" in stuck
    assert (
        "Reminders for your organisation have failed 3 times since Mon, 2 Mar 2026, 09:00 UTC; "
        "we retry every 4 minutes. Last error: RuntimeError: mail server said no"
    ) in stuck
    assert "The whole installation" in stuck
    assert "The scheduler step “keep_silence” has failed as a whole once" in stuck
    assert "Quiet Org" not in out and "nudges" not in out.lower()
    assert f"Acme Analytics (org {acme.pk})" in templates
    assert (
        "The close-out message of “Data Engineer” failed at send time; candidates got the "
        "built-in text: TemplateSyntaxError: Invalid filter: 'shout'"
    ) in templates
    assert out.rstrip().endswith("3 thing(s) need a person.")


def test_old_failures_are_history() -> None:
    org = make_org(name="Acme Analytics")
    with time_machine.travel(START, tick=False):
        record_failure(source="template", item="stage:1", org_id=org.pk, error="x", label="a stage")
        for _ in range(3):
            record_failure(source="remind_owners", item=f"org:{org.pk}", org_id=org.pk, error="y")
    with time_machine.travel(START + timedelta(days=8), tick=False):
        code, out = doctor()
    assert code == 0, out


def test_json_for_machines() -> None:
    with time_machine.travel(START, tick=False):
        org = make_org(name="Acme Analytics")
        record_failure(
            source="template",
            item="stage:7",
            org_id=org.pk,
            error="TemplateSyntaxError: nope",
            label="the message of the “Interview” stage",
        )
        code, out = doctor("--json")
    report = json.loads(out)
    assert code == 1
    assert report["ok"] is False and report["needs_a_person"] == 1
    assert report["stuck_items"] == []
    [failing] = report["failing_templates"]
    assert failing["org"] == f"Acme Analytics (org {org.pk})"
    assert failing["item"] == "stage:7" and failing["attempts"] == 1
    assert failing["line"].startswith("The message of the “Interview” stage failed at send time")
    assert report["overdue_work"] == {
        "queued_messages": 0,
        "held_declines": 0,
        "promises": 0,
        "close_outs": 0,
    }


def test_overdue_work_means_a_process_is_not_doing_its_job() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org(name="Acme Analytics")
        application = make_application(job=make_job(org=org))  # queues the acknowledgement
        code, out = doctor()
        assert code == 0, out

        traveller.shift(timedelta(minutes=11))  # no worker has sent it
        code, out = doctor()
        assert code == 1
        assert "1 message due more than 10 minutes ago and not sent yet" in out

        # No scheduler either: five days on, a promise three days gone and nobody told the
        # candidate (their acknowledgement, the last automated message, is long past the gap).
        traveller.shift(timedelta(days=5))
        Application.objects.filter(pk=application.pk).update(respond_by=START + timedelta(days=2))
        code, out = doctor("--json")
        assert json.loads(out)["overdue_work"] == {
            "queued_messages": 1,
            "held_declines": 0,
            "promises": 1,
            "close_outs": 0,
        }
