"""The list views: every application with filters, sorting, keyset paging and a CSV export;
every candidate; one candidate across jobs. Query counts are pinned whatever the rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from heardback import clock
from heardback.console import listing
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, ApplicationStatus
from heardback.promises import closeout
from heardback.promises import services as engine
from tests import factories
from tests.console.conftest import World, client_for

pytestmark = pytest.mark.django_db


def _names(response: Any) -> list[str]:
    return [row.name for row in response.context["page"].rows]


def _finish_some(world: World) -> tuple[Application, Application, Application]:
    ada, grace, alan = world.applications
    hiring.decline(application=ada, reason="experience", actor=world.admin)
    hiring.hire(application=grace, actor=world.admin)
    return ada, grace, alan


def test_the_list_shows_finished_applications_and_filters_by_status(world: World) -> None:
    ada, _grace, _alan = _finish_some(world)
    client = client_for(world.recruiter)
    response = client.get("/app/applications/")
    assert response.status_code == 200
    assert sorted(_names(response)) == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    body = response.content.decode()
    assert "Zed Zebra" not in body  # the other org's
    for url in (  # the rows' links, built from a prefix and an id, are the real addresses
        reverse("console:application", args=[ada.pk]),
        reverse("console:candidate", args=[ada.candidate_id]),
        reverse("console:board", args=[ada.job_id]),
    ):
        assert f'href="{url}"' in body
    by_status = {
        status: sorted(_names(client.get("/app/applications/", {"status": status})))
        for status in ("active", "finished", "hired", "declined", "withdrawn", "closed")
    }
    assert by_status == {
        "active": ["Alan Turing"],
        "finished": ["Ada Lovelace", "Grace Hopper"],
        "hired": ["Grace Hopper"],
        "declined": ["Ada Lovelace"],
        "withdrawn": [],
        "closed": [],
    }


def test_search_finds_finished_candidates(world: World) -> None:
    _finish_some(world)
    client = client_for(world.recruiter)
    assert _names(client.get("/app/applications/", {"q": "lovelace"})) == ["Ada Lovelace"]
    page = client.get("/app/candidates/", {"q": "ADA"})
    assert [c.name for c in page.context["page"].rows] == ["Ada Lovelace"]


def test_closed_with_the_job_is_its_own_status(world: World) -> None:
    job = world.job
    hiring.decline(application=world.applications[0], reason="experience", actor=world.admin)
    engine.close_job(job=job, actor=world.admin, outcome="closed")
    closeout.run_close_outs(now=clock.now(), limit=1000)
    client = client_for(world.admin)
    assert sorted(_names(client.get("/app/applications/", {"status": "closed"}))) == [
        "Alan Turing",
        "Grace Hopper",
    ]
    assert _names(client.get("/app/applications/", {"status": "declined"})) == ["Ada Lovelace"]


def test_filters_job_stage_owner_overdue_unreachable_and_dates(world: World) -> None:
    other_job = factories.make_job(org=world.org, title="Designer", owner=world.recruiter)
    now = clock.now()
    with time_machine.travel(now - timedelta(days=30), tick=False):
        old = factories.make_application(job=other_job, name="Olga Old")
    _ada, grace, alan = world.applications
    stages = list(world.job.pipeline.stages.order_by("position"))
    hiring.move_to_stage(application=grace, stage=stages[2], actor=world.admin)
    alan.candidate.unreachable_since = now
    alan.candidate.save()
    client = client_for(world.admin)

    def names(**params: Any) -> list[str]:
        response = client.get("/app/applications/", params)
        assert response.status_code == 200, response.content
        return sorted(_names(response))

    assert names(job=other_job.pk) == ["Olga Old"]
    assert names(job=world.job.pk, stage=stages[2].pk) == ["Grace Hopper"]
    assert names(owner=world.recruiter.pk) == ["Olga Old"]
    assert names(overdue="1") == ["Olga Old"]  # its promise passed weeks ago
    assert names(unreachable="1") == ["Alan Turing"]
    day = (now - timedelta(days=30)).date()
    assert names(applied_to=day.isoformat()) == ["Olga Old"]
    assert names(applied_from=(day + timedelta(days=1)).isoformat()) == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]
    assert names(changed_from=now.date().isoformat(), changed_to=now.date().isoformat()) == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]
    assert old.pk


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"job": "abc"}, "job"),
        ({"job": "999999"}, "job"),
        ({"stage": "-3"}, "stage"),
        ({"status": "lost"}, "status"),
        ({"owner": "1e9"}, "owner"),
        ({"applied_from": "31/12/2026"}, "applied_from"),
        ({"changed_to": "2026-02-30"}, "changed_to"),
        ({"applied_from": "2026-05-02", "applied_to": "2026-05-01"}, "applied_to"),
        ({"sort": "salary"}, "sort"),
    ],
)
def test_bad_filter_values_are_a_clear_message_not_a_500(
    world: World, params: dict[str, str], field: str
) -> None:
    response = client_for(world.admin).get("/app/applications/", params)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "fix the marked fields" in response.content.decode()
    export = client_for(world.admin).get("/app/applications/export.csv", params)
    assert export.status_code == 400


def test_another_orgs_job_and_a_bad_page_link_are_refused(world: World) -> None:
    client = client_for(world.admin)
    response = client.get("/app/applications/", {"job": world.other_job.pk})
    assert response.status_code == 400
    assert "not one you can see" in response.content.decode()
    for cursor in ("garbage!", "WzEsMl0", "bnVsbA"):
        bad = client.get("/app/applications/", {"after": cursor})
        assert bad.status_code == 400
        assert "not valid any more" in bad.content.decode()
    assert client.get("/app/candidates/", {"after": "x1"}).status_code == 400


def test_a_hiring_manager_sees_only_their_jobs(world: World) -> None:
    factories.make_job(org=world.org, title="Secret", owner=world.recruiter)
    secret = factories.make_application(
        job=factories.make_job(org=world.org, title="Other", owner=world.admin), name="Sam Secret"
    )
    names = _names(client_for(world.manager).get("/app/applications/"))
    assert sorted(names) == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    assert _names(client_for(world.outsider_manager).get("/app/applications/")) == []
    assert (
        client_for(world.manager).get(f"/app/candidates/{secret.candidate_id}/").status_code == 404
    )
    other = client_for(world.admin).get(f"/app/candidates/{world.other_application.candidate_id}/")
    assert other.status_code == 404


def _many(world: World, n: int, *, days_ago: int = 0, start: int = 0) -> None:
    now = clock.now() - timedelta(days=days_ago)
    for i in range(start, start + n):
        with time_machine.travel(now - timedelta(minutes=n - i), tick=False):
            factories.make_application(job=world.job, name=f"Person {i:03d}")


@pytest.mark.parametrize("sort", list(listing.SORTS))
def test_keyset_paging_visits_every_row_once_in_order(world: World, sort: str) -> None:
    _many(world, 2 * listing.PAGE_SIZE + 7)
    hiring.decline(application=world.applications[0], reason="experience", actor=world.admin)
    client = client_for(world.admin)
    seen: list[int] = []
    params: dict[str, str] = {"sort": sort}
    pages = 0
    while True:
        response = client.get("/app/applications/", params)
        assert response.status_code == 200
        page = response.context["page"]
        seen += [a.pk for a in page.rows]
        pages += 1
        if page.next_cursor is None:
            break
        params = {"sort": sort, "after": page.next_cursor}
    everyone = Application.objects.filter(org=world.org)
    assert pages == 3
    assert len(seen) == len(set(seen)) == everyone.count()
    key, descending = listing._sort_key(sort)
    expected = list(
        everyone.annotate(k=key)
        .order_by(*(("-k", "-pk") if descending else ("k", "pk")))
        .values_list("pk", flat=True)
    )
    assert seen == expected


def _count_queries(client: Any, url: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "params", [{}, {"status": "active", "sort": "name"}, {"q": "person", "overdue": "1"}]
)
def test_the_list_page_query_count_does_not_grow_with_rows(
    world: World, params: dict[str, str], django_assert_num_queries: Any
) -> None:
    client = client_for(world.admin)
    _many(world, 1, days_ago=40)  # one row that every case matches (overdue by weeks)
    few = _count_queries(client, "/app/applications/", params)
    _many(world, listing.PAGE_SIZE + 10, days_ago=40, start=1)
    factories.make_job(org=world.org, title="Another", owner=world.recruiter)
    # Pinned: session, user, member, problems banner, jobs, stages, owners, count, the
    # page's ids, its rows.
    with django_assert_num_queries(few):
        response = client.get("/app/applications/", params)
    assert len(response.context["page"].rows) == listing.PAGE_SIZE
    assert few == 10


def test_the_candidate_pages_query_counts_do_not_grow(
    world: World, django_assert_num_queries: Any
) -> None:
    client = client_for(world.admin)
    few = _count_queries(client, "/app/candidates/", {})
    candidate_id = world.applications[0].candidate_id
    few_detail = _count_queries(client, f"/app/candidates/{candidate_id}/", {})
    _many(world, listing.PAGE_SIZE + 10)
    for title in ("B", "C", "D"):
        job = factories.make_job(org=world.org, title=title)
        factories.make_application(job=job, email=world.applications[0].candidate.email)
    with django_assert_num_queries(few):
        client.get("/app/candidates/")
    with django_assert_num_queries(few_detail):
        client.get(f"/app/candidates/{candidate_id}/")


def test_the_candidate_page_shows_every_application_at_the_org(world: World) -> None:
    ada = world.applications[0]
    second = factories.make_job(org=world.org, title="Analyst")
    factories.make_application(job=second, name="Ada Lovelace", email=ada.candidate.email)
    hiring.decline(application=ada, reason="experience", actor=world.admin)
    response = client_for(world.admin).get(f"/app/candidates/{ada.candidate_id}/")
    assert response.status_code == 200
    rows = response.context["applications"]
    assert {(a.job.title, a.status) for a in rows} == {
        ("Data Engineer", ApplicationStatus.DECLINED),
        ("Analyst", ApplicationStatus.ACTIVE),
    }
    listed = client_for(world.admin).get("/app/candidates/", {"q": "lovelace"})
    row = listed.context["page"].rows[0]
    assert (row.application_count, row.active_count) == (2, 1)


def test_csv_export_is_the_current_filter_parsed_back_and_injection_safe(world: World) -> None:
    formula = factories.make_application(job=world.job, name="=SUM(1+2)")
    _many(world, listing.EXPORT_CHUNK // 100)  # a few; chunking is tested below
    hiring.decline(application=world.applications[0], reason="experience", actor=world.admin)
    client = client_for(world.admin)
    response = client.get("/app/applications/export.csv", {"status": "active", "sort": "name"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    listed = Application.objects.filter(org=world.org, status=ApplicationStatus.ACTIVE)
    assert len(rows) == listed.count()
    assert "Ada Lovelace" not in {r["Candidate"] for r in rows}  # declined: not in the filter
    by_id = {int(r["Application id"]): r for r in rows}
    assert by_id[formula.pk]["Candidate"] == "'=SUM(1+2)"
    assert all(not r["Candidate"].startswith(("=", "+", "-", "@")) for r in rows)
    names = [r["Candidate"].lstrip("'") for r in rows]
    assert names == sorted(names, key=str.lower)
    assert by_id[formula.pk]["Status"] == "In process"
    assert by_id[formula.pk]["Console link"].endswith(f"/app/applications/{formula.pk}/")


def test_export_reads_in_chunks_and_misses_nothing(world: World) -> None:
    _many(world, 25)
    member = world.admin
    filters = listing.ApplicationFilters()
    streamed = [
        a.pk
        for a in listing.iter_applications(member=member, filters=filters, now=clock.now(), chunk=7)
    ]
    assert len(streamed) == len(set(streamed)) == 28
