"""Interviews over the API: logged, listed with the legal deadline, idempotent by external
id, refused clearly, and invisible to another org's key."""

from __future__ import annotations

from typing import Any

import pytest

from heardback.compliance import services
from heardback.compliance.models import AnswerDuty, Interview
from tests.api.conftest import ApiClient, World, client_for
from tests.api.test_api import assert_problem
from tests.factories import make_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def ontario(acme: World) -> World:
    services.set_org_settings(
        org=acme.org,
        jurisdiction="ontario",
        employee_count=80,
        notice_counts_as_answer=None,
        actor=acme.admin,
    )
    return acme


def test_logging_an_interview_sets_the_legal_deadline(api: ApiClient, ontario: World) -> None:
    application = make_application(job=ontario.job)
    # Monday 30 Nov 2026, 15:00 in Berlin; the org's zone is Berlin: day 45 is 14 Jan 2027.
    response = api.post(
        f"/applications/{application.pk}/interviews",
        {"starts_at": "2026-11-30T15:00:00+01:00", "kind": "video", "interviewers": "Rita"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "video" and body["counts"] is True and body["source"] == "api"
    assert body["starts_at"] == "2026-11-30T14:00:00Z"
    assert body["legal_deadline"] == "2027-01-14T23:00:00Z"
    listed = api.get(f"/applications/{application.pk}/interviews")
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()] == [body["id"]]
    interview = Interview.objects.get(pk=body["id"])
    assert interview.recorded_by.startswith(ontario.admin.display_name)


def test_a_screen_that_does_not_count_and_a_resent_external_id(
    api: ApiClient, ontario: World
) -> None:
    application = make_application(job=ontario.job)
    screen = {
        "starts_at": "2026-11-30T09:00:00Z",
        "kind": "screen",
        "counts": False,
        "external_ref": "ats-1",
    }
    first = api.post(f"/applications/{application.pk}/interviews", screen)
    assert first.status_code == 201 and first.json()["legal_deadline"] is None
    again = api.post(f"/applications/{application.pk}/interviews", screen)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Interview.objects.count() == 1 and not AnswerDuty.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"starts_at": "yesterday", "kind": "video"}, "starts_at"),
        ({"starts_at": "2026-11-30T09:00:00Z", "kind": "karaoke"}, "kind"),
        (
            {"starts_at": "2026-11-30T09:00:00Z", "kind": "video", "interviewers": "x" * 501},
            "interviewers",
        ),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    api: ApiClient, ontario: World, body: dict[str, Any], field: str
) -> None:
    application = make_application(job=ontario.job)
    response = api.post(f"/applications/{application.pk}/interviews", body)
    assert_problem(response, 400, field)
    assert not Interview.objects.exists()


def test_an_interview_ten_years_ago_is_refused_and_nothing_is_kept(
    api: ApiClient, ontario: World
) -> None:
    application = make_application(job=ontario.job)
    response = api.post(
        f"/applications/{application.pk}/interviews",
        {"starts_at": "2016-11-30T09:00:00Z", "kind": "video"},
    )
    assert response.status_code in (400, 422), response.content
    assert "within a year" in response.content.decode()
    assert not Interview.objects.exists()


def test_a_read_key_can_list_but_not_log(ontario: World) -> None:
    reader = client_for(ontario, "read")
    application = make_application(job=ontario.job)
    response = reader.post(
        f"/applications/{application.pk}/interviews",
        {"starts_at": "2026-11-30T09:00:00Z", "kind": "video"},
    )
    assert_problem(response, 403)
    assert reader.get(f"/applications/{application.pk}/interviews").status_code == 200


def test_another_orgs_application_is_not_found(
    api: ApiClient, ontario: World, globex: World
) -> None:
    theirs = make_application(job=globex.job)
    response = api.post(
        f"/applications/{theirs.pk}/interviews",
        {"starts_at": "2026-11-30T09:00:00Z", "kind": "video"},
    )
    assert_problem(response, 404)
    assert_problem(api.get(f"/applications/{theirs.pk}/interviews"), 404)
    assert not Interview.objects.exists()
