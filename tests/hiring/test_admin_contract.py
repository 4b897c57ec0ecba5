"""The Django admin is not a way around the contract: status, stage and a job's state change
only through the services that tell the candidate. Driven through the real admin pages as a
superuser, who may do the most there."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from heardback.hiring import services as hiring
from heardback.hiring.admin import JobAdmin
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Event,
    Job,
    JobStatus,
    Member,
    PromiseWatch,
)
from heardback.messaging.models import Message
from heardback.promises import services as engine
from tests import factories

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin_client(client: Client, db: None) -> Client:
    user = factories.make_user(
        email="root@heardback.example", password=PASSWORD, is_staff=True, is_superuser=True
    )
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def application(job: Job, monday: Any) -> Application:
    return factories.make_application(job=job, name="Ada Lovelace", email="ada@example.net")


def _url(model: str, pk: int, view: str = "change") -> str:
    return f"/admin/hiring/{model}/{pk}/{view}/"


def _trail(application: Application) -> tuple[int, int]:
    """What a bypass would skip: the events and the messages of the application."""
    return (
        Event.objects.filter(application_id=application.pk).count(),
        Message.objects.filter(application_id=application.pk).count(),
    )


def _job_form(job: Job, **changes: Any) -> dict[str, Any]:
    data = {
        "title": job.title,
        "slug": job.slug,
        "description": job.description,
        "location": job.location,
        "owner": job.owner_id,
        "closeout_subject": job.closeout_subject,
        "closeout_body": job.closeout_body,
    }
    return {**data, **changes}


def test_application_status_and_stage_cannot_be_changed(
    admin_client: Client, application: Application
) -> None:
    before = Application.objects.get(pk=application.pk)
    trail = _trail(application)
    later_stage = application.job.pipeline.stages.order_by("-position").first()
    assert later_stage is not None and later_stage.pk != before.stage_id

    page = admin_client.get(_url("application", application.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ada Lovelace" in html
    for field in ("status", "stage", "respond_by", "decided_at", "promise_watch"):
        assert f'name="{field}"' not in html

    response = admin_client.post(
        _url("application", application.pk),
        {
            "status": ApplicationStatus.HIRED,
            "stage": later_stage.pk,
            "respond_by_0": "2030-01-01",
            "respond_by_1": "12:00:00",
            "pending_decline_at_0": "2030-01-01",
            "pending_decline_at_1": "12:00:00",
            "decided_at_0": "2030-01-01",
            "decided_at_1": "12:00:00",
            "promise_watch": PromiseWatch.NUDGED,
        },
    )
    assert response.status_code == 403

    after = Application.objects.get(pk=application.pk)
    assert after.status == ApplicationStatus.ACTIVE
    assert after.stage_id == before.stage_id
    assert after.respond_by == before.respond_by
    assert after.pending_decline_at is None and after.decided_at is None
    assert after.promise_watch == PromiseWatch.PENDING
    assert _trail(application) == trail
    assert admin_client.get(_url("application", application.pk)).status_code == 200


def test_job_status_is_read_only_while_its_wording_can_be_edited(
    admin_client: Client, job: Job, application: Application
) -> None:
    page = admin_client.get(_url("job", job.pk))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()

    response = admin_client.post(
        _url("job", job.pk),
        _job_form(job, title="Senior Robot Whisperer", status=JobStatus.CLOSED),
    )
    assert response.status_code == 302

    job.refresh_from_db()
    assert job.title == "Senior Robot Whisperer"
    assert job.status == JobStatus.OPEN and job.closed_at is None
    # No close-out happened behind the candidate's back, and none was needed.
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.ACTIVE
    assert admin_client.get(_url("job", job.pk)).status_code == 200


def test_an_admin_save_does_not_undo_a_close_that_committed_meanwhile(
    admin_client: Client,
    job: Job,
    recruiter: Member,
    application: Application,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The admin loaded the job while it was open; the recruiter closed it before Save."""
    stale = Job.objects.get(pk=job.pk)
    engine.close_job(job=job, actor=recruiter)
    monkeypatch.setattr(JobAdmin, "get_object", lambda self, request, object_id, *a: stale)

    response = admin_client.post(_url("job", job.pk), _job_form(stale, location="Berlin"))
    assert response.status_code == 302

    job.refresh_from_db()
    assert job.location == "Berlin"
    assert job.status == JobStatus.CLOSED and job.closed_at is not None


def test_applications_cannot_be_deleted_one_by_one_or_in_bulk(
    admin_client: Client, application: Application
) -> None:
    changelist = admin_client.get("/admin/hiring/application/")
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()

    response = admin_client.post(
        "/admin/hiring/application/",
        {"action": "delete_selected", "_selected_action": [application.pk], "post": "yes"},
    )
    assert response.status_code in {200, 302}
    assert admin_client.get(_url("application", application.pk, "delete")).status_code == 403
    assert Application.objects.filter(pk=application.pk).exists()


def test_jobs_cannot_be_deleted_or_added_around_the_services(
    admin_client: Client, job: Job, application: Application
) -> None:
    assert admin_client.get(_url("job", job.pk, "delete")).status_code == 403
    assert admin_client.get("/admin/hiring/job/add/").status_code == 403
    assert admin_client.get("/admin/hiring/application/add/").status_code == 403
    assert Job.objects.filter(pk=job.pk).exists()


def test_a_candidate_with_an_active_application_cannot_be_deleted(
    admin_client: Client, recruiter: Member, application: Application
) -> None:
    candidate = application.candidate
    changelist = admin_client.get("/admin/hiring/candidate/")
    assert "delete_selected" not in changelist.content.decode()
    assert admin_client.get(_url("candidate", candidate.pk, "delete")).status_code == 403

    # Once the candidate has had their final message, the record may go.
    hiring.decline(application=application, reason="experience", actor=recruiter)
    assert admin_client.get(_url("candidate", candidate.pk, "delete")).status_code == 200


def test_candidate_reachability_and_stage_layout_are_read_only(
    admin_client: Client, application: Application
) -> None:
    html = admin_client.get(_url("candidate", application.candidate_id)).content.decode()
    assert 'name="unreachable_since' not in html
    assert 'name="progress_updates_opt_out"' not in html
    assert 'name="email"' in html  # contact details stay correctable
    stage = application.stage
    html = admin_client.get(_url("stage", stage.pk)).content.decode()
    for field in ("pipeline", "position", "coarse_stage", "org"):
        assert f'name="{field}"' not in html
    assert 'name="promise_business_days"' in html
