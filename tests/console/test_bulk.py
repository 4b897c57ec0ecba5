"""Bulk actions: preview, confirm, chunked processing by the scheduler step, progress, summary."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from heardback import clock
from heardback.console.bulk import CHUNK, run_bulk_actions
from heardback.console.models import BulkAction
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, ApplicationStatus, Candidate
from heardback.messaging import delivery
from tests.console.conftest import World, client_for


def run_until_done(limit: int = 500) -> int:
    total = 0
    while handled := run_bulk_actions(now=clock.now(), limit=limit):
        total += handled
    return total


def test_bulk_decline_selection_preview_confirm_progress_summary(
    world: World, smtp_server: Any
) -> None:
    ada, grace, alan = world.applications
    client = client_for(world.recruiter)
    url = reverse("console:bulk_new", args=[world.job.pk])
    preview = client.post(url, {"kind": "decline", "ids": [ada.pk, grace.pk]})
    body = preview.content.decode()
    assert "2 candidates selected" in body
    assert "Preview for Ada Lovelace" in body
    confirm = client.post(
        url,
        {
            "kind": "decline",
            "ids": f"{ada.pk},{grace.pk}",
            "reason": "other",
            "subject": preview.context["subject"],
            "body": preview.context["body"],
            "step": "confirm",
        },
    )
    assert confirm.status_code == 302, confirm.context["error"]
    bulk = BulkAction.objects.get()
    assert confirm["Location"] == reverse("console:bulk", args=[bulk.pk])
    assert (bulk.total, bulk.done) == (2, 0)
    progress = client.get(confirm["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in progress and "0 of 2 done" in progress
    assert run_until_done() == 2
    done = client.get(confirm["Location"]).content.decode()
    assert "100%" in done and "Summary" in done and "2 done" in done
    assert 'hx-trigger="every 1s"' not in done  # polling stops at the end
    alan.refresh_from_db()
    assert alan.status == ApplicationStatus.ACTIVE
    delivery.drain()
    for application in (ada, grace):
        assert any(
            "decided not to move forward" in m.text
            for m in smtp_server.to(application.candidate.email)
        )


def test_edited_bulk_template_is_what_everyone_gets(world: World, smtp_server: Any) -> None:
    client = client_for(world.recruiter)
    client.post(
        reverse("console:bulk_new", args=[world.job.pk]),
        {
            "kind": "decline",
            "all": "1",
            "reason": "position_closed",
            "step": "confirm",
            "subject": "News about {{ job_title }}",
            "body": "Dear {{ first_name }}, it's closed.",
        },
    )
    run_until_done()
    delivery.drain()
    for application in world.applications:
        [*_, final] = smtp_server.to(application.candidate.email)
        first = application.candidate.name.split()[0]
        assert final.subject == "News about Data Engineer"
        assert f"Dear {first}, it's closed." in final.text


def test_all_matching_a_filter(world: World) -> None:
    ada, grace, _alan = world.applications
    Candidate.objects.filter(pk=grace.candidate_id).update(unreachable_since=clock.now())
    client = client_for(world.recruiter)
    client.post(
        reverse("console:bulk_new", args=[world.job.pk]),
        {
            "kind": "advance",
            "all": "1",
            "filter": "unreachable",
            "step": "confirm",
        },
    )
    bulk = BulkAction.objects.get()
    assert bulk.application_ids == [grace.pk]
    run_until_done()
    grace.refresh_from_db()
    ada.refresh_from_db()
    assert grace.stage.position == 1 and ada.stage.position == 0


def test_bulk_move_and_skips_are_summarised(world: World) -> None:
    ada, grace, alan = world.applications
    hiring.hire(application=alan, actor=world.recruiter)
    interview = world.job.pipeline.stages.get(name="Interview")
    bulk = BulkAction.objects.create(
        org=world.org,
        job=world.job,
        created_by=world.recruiter,
        kind="move",
        stage=interview,
        application_ids=[ada.pk, grace.pk, alan.pk],
        total=3,
        created_at=clock.now(),
    )
    run_until_done()
    bulk.refresh_from_db()
    assert (bulk.done, bulk.succeeded, bulk.skipped) == (3, 2, 1)
    assert bulk.problems[0]["name"] == "Alan Turing"
    page = client_for(world.recruiter).get(reverse("console:bulk", args=[bulk.pk]))
    assert "1 skipped" in page.content.decode()
    assert "already hired" in page.content.decode()


def test_only_active_applications_of_this_job_are_taken(world: World) -> None:
    client = client_for(world.recruiter)
    response = client.post(
        reverse("console:bulk_new", args=[world.job.pk]),
        {
            "kind": "advance",
            "ids": f"{world.other_application.pk}",
            "step": "confirm",
        },
    )
    assert "No active applications are selected" in response.content.decode()
    assert not BulkAction.objects.exists()


def test_a_claimed_bulk_action_is_not_claimed_twice(world: World) -> None:
    from heardback.console.bulk import LEASE, _claimable

    bulk = BulkAction.objects.create(
        org=world.org,
        job=world.job,
        created_by=world.recruiter,
        kind="advance",
        application_ids=[a.pk for a in world.applications],
        total=3,
        created_at=clock.now(),
    )
    now = clock.now()
    first = BulkAction.objects.filter(_claimable(now), pk=bulk.pk).update(lease_until=now + LEASE)
    assert first == 1
    # A second scheduler at the same moment finds nothing to do.
    assert run_bulk_actions(now=now, limit=100) == 0
    # Once the lease has run out (the first scheduler died), the work is picked up.
    assert run_bulk_actions(now=now + LEASE * 2, limit=100) == 3


def test_stop_keeps_what_is_done(world: World) -> None:
    bulk = BulkAction.objects.create(
        org=world.org,
        job=world.job,
        created_by=world.recruiter,
        kind="advance",
        application_ids=[a.pk for a in world.applications],
        total=3,
        created_at=clock.now(),
    )
    run_bulk_actions(now=clock.now(), limit=1)
    client_for(world.recruiter).post(reverse("console:bulk_stop", args=[bulk.pk]))
    assert run_until_done() == 0
    bulk.refresh_from_db()
    assert bulk.done == 1 and bulk.finished_at is not None
    assert (
        "Stopped."
        in client_for(world.recruiter).get(reverse("console:bulk", args=[bulk.pk])).content.decode()
    )


@pytest.mark.slow
def test_ten_thousand_selected(world: World) -> None:
    """10,000 applications: "all matching" snapshots every id (no SQLite parameter limit
    trouble), the preview page stays small, and chunks progress. Rows are inserted in bulk
    here because applying 10,000 times through the service would take minutes; the bulk
    action itself runs through the real services."""
    now = clock.now()
    stage = world.job.pipeline.stages.order_by("position").first()
    candidates = Candidate.objects.bulk_create(
        Candidate(
            org=world.org, name=f"Bulk Person {n}", email=f"bulk{n}@example.net", created_at=now
        )
        for n in range(10_000)
    )
    Application.objects.bulk_create(
        Application(
            org=world.org,
            job=world.job,
            candidate=c,
            stage=stage,
            stage_entered_at=now,
            respond_by=world.applications[0].respond_by,
            created_at=now,
            last_contacted_at=now,
        )
        for c in candidates
    )
    client = client_for(world.recruiter)
    started = time.perf_counter()
    board = client.get(reverse("console:board", args=[world.job.pk]))
    board_seconds = time.perf_counter() - started
    assert board.context["total"] == 10_003
    started = time.perf_counter()
    assert client.get(reverse("console:dashboard")).context["metrics"].active == 10_003
    dashboard_seconds = time.perf_counter() - started
    url = reverse("console:bulk_new", args=[world.job.pk])
    started = time.perf_counter()
    preview = client.post(url, {"kind": "decline", "all": "1"})
    assert preview.context["count"] == 10_003
    assert len(preview.content) < 200_000  # ids are not echoed into the page for "all"
    client.post(
        url, {"kind": "decline", "all": "1", "reason": "position_closed", "step": "confirm"}
    )
    bulk = BulkAction.objects.get()
    assert bulk.total == 10_003
    setup = time.perf_counter() - started
    started = time.perf_counter()
    handled = run_bulk_actions(now=clock.now(), limit=CHUNK)
    chunk_seconds = time.perf_counter() - started
    bulk.refresh_from_db()
    assert handled == CHUNK == bulk.done
    print(
        f"\n10k: board {board_seconds:.2f}s; dashboard {dashboard_seconds:.2f}s; "
        f"preview+confirm {setup:.2f}s; one chunk of {CHUNK} declines "
        f"{chunk_seconds:.2f}s ({CHUNK / chunk_seconds:.0f}/s) on {connection.vendor}"
    )
    page = client.get(reverse("console:bulk", args=[bulk.pk])).content.decode()
    assert f"{CHUNK} of 10003 done" in page
