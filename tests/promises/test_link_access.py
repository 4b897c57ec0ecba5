"""A decision link acts only while its holder may still decide: the member it was sent to,
still in the org, still the job's owner or an admin or recruiter there. Access taken away
after the email went out takes the link's power with it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from heardback.hiring.models import Application, Job, Member, Role
from heardback.promises.links import issue_link
from heardback.promises.models import ActionKind
from tests.factories import make_application, make_job, make_member, make_org

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return urlsplit(url).path


def _signed_in(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def _setup() -> tuple[Member, Member, Job, Application]:
    org = make_org()
    admin = make_member(org=org, role=Role.ADMIN)
    owner = make_member(org=org, role=Role.HIRING_MANAGER)
    job = make_job(org=org, owner=owner, title="Baker")
    return admin, owner, job, make_application(job=job, name="Mia Jones")


def _stage(application: Application) -> int:
    application.refresh_from_db()
    return application.stage.position


def test_the_owner_still_acts() -> None:
    _admin, owner, _job, application = _setup()
    path = _path(issue_link(application=application, member=owner, kind=ActionKind.ADVANCE))
    assert _signed_in(owner).post(path).status_code == 200
    assert _stage(application) == 1


def test_a_former_owner_can_no_longer_act(settings: Any) -> None:
    _admin, owner, job, application = _setup()
    path = _path(issue_link(application=application, member=owner, kind=ActionKind.ADVANCE))
    Job.objects.filter(pk=job.pk).update(owner=make_member(org=job.org, role=Role.HIRING_MANAGER))
    client = _signed_in(owner)
    page = client.get(path)
    assert page.status_code == 403
    assert "no longer" in page.content.decode()
    assert client.post(path).status_code == 403
    assert _stage(application) == 0


def test_a_recruiter_made_hiring_manager_loses_links_to_jobs_they_dont_own() -> None:
    _admin, _owner, job, application = _setup()
    recruiter = make_member(org=job.org, role=Role.RECRUITER)
    decline = _path(issue_link(application=application, member=recruiter, kind=ActionKind.DECLINE))
    Member.objects.filter(pk=recruiter.pk).update(role=Role.HIRING_MANAGER)
    response = _signed_in(recruiter).post(decline, {"reason": "other"})
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == "active" and application.pending_decline_at is None


def test_a_removed_member_finds_the_link_dead() -> None:
    _admin, _owner, job, application = _setup()
    recruiter = make_member(org=job.org, role=Role.RECRUITER)
    path = _path(issue_link(application=application, member=recruiter, kind=ActionKind.ADVANCE))
    user = recruiter.user
    Member.objects.filter(pk=recruiter.pk).delete()
    client = Client()
    client.force_login(user)
    assert client.post(path).status_code in {403, 404}
    assert _stage(application) == 0


def test_a_deactivated_account_is_sent_to_sign_in() -> None:
    _admin, owner, _job, application = _setup()
    path = _path(issue_link(application=application, member=owner, kind=ActionKind.ADVANCE))
    client = _signed_in(owner)
    get_user_model().objects.filter(pk=owner.user_id).update(is_active=False)
    response = client.post(path)
    assert response.status_code == 302
    assert _stage(application) == 0


def test_a_link_checks_access_when_it_acts_not_only_when_the_page_opened() -> None:
    """The confirmation page was fine; the role changed before the button was pressed."""
    _admin, _owner, job, application = _setup()
    recruiter = make_member(org=job.org, role=Role.RECRUITER)
    path = _path(issue_link(application=application, member=recruiter, kind=ActionKind.ADVANCE))
    client = _signed_in(recruiter)
    assert client.get(path).status_code == 200
    Member.objects.filter(pk=recruiter.pk).update(role=Role.HIRING_MANAGER)
    assert client.post(path).status_code == 403
    assert _stage(application) == 0
