"""A small world for console tests: org A with one member per role, a job with candidates,
and org B next door whose admin must never see any of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from heardback.hiring.models import Application, Job, Member, Org, Role
from tests import factories


@dataclass
class World:
    org: Org
    admin: Member
    recruiter: Member
    manager: Member  # owns the job
    outsider_manager: Member  # a hiring manager of org A who is not on the job
    job: Job
    applications: list[Application]
    other_org: Org
    other_admin: Member
    other_job: Job
    other_application: Application

    def member(self, role: str) -> Member:
        return {
            "admin": self.admin,
            "recruiter": self.recruiter,
            "hiring_manager": self.manager,
            "outsider_manager": self.outsider_manager,
        }[role]


@pytest.fixture
def world(db: Any) -> World:
    org = factories.make_org(name="Acme Analytics")
    admin = factories.make_member(org=org, role=Role.ADMIN, email="admin@acme.example")
    recruiter = factories.make_member(org=org, role=Role.RECRUITER, email="rec@acme.example")
    manager = factories.make_member(org=org, role=Role.HIRING_MANAGER, email="hm@acme.example")
    outsider = factories.make_member(org=org, role=Role.HIRING_MANAGER, email="hm2@acme.example")
    job = factories.make_job(org=org, title="Data Engineer", owner=manager)
    applications = [
        factories.make_application(job=job, name=name, phone="+49 30 1234567")
        for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing")
    ]
    other_org = factories.make_org(name="Zeta Zoo")
    other_admin = factories.make_member(org=other_org, role=Role.ADMIN, email="boss@zeta.example")
    other_job = factories.make_job(org=other_org, title="Zookeeper")
    other_application = factories.make_application(job=other_job, name="Zed Zebra")
    return World(
        org=org,
        admin=admin,
        recruiter=recruiter,
        manager=manager,
        outsider_manager=outsider,
        job=job,
        applications=applications,
        other_org=other_org,
        other_admin=other_admin,
        other_job=other_job,
        other_application=other_application,
    )


def client_for(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    """A fast password hasher keeps the many test users cheap (production keeps the default).
    (The sign-in throttle counts in the database, so each test starts with a clean count.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def real_mailers(settings: Any) -> None:
    """Django's test runner swaps MAILERS for an in-memory backend; put back the project's
    own (the outbox), so these tests see mail go the way it does in production."""
    from django.conf import settings as live

    settings.MAILERS = {
        "default": {
            "BACKEND": "heardback.messaging.transports.django_backend.OutboxTransportBackend"
        }
    }
    assert live.MAILERS["default"]["BACKEND"].endswith("OutboxTransportBackend")


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    """Uploaded CVs go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def apply_with_cv(
    job: Job, *, name: str, filename: str = "cv.pdf", content: bytes = PDF
) -> Application:
    """Apply through the portal's own apply service, CV and all (as the job board does)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from heardback.portal import services as portal

    email = "".join(ch for ch in name.lower() if "a" <= ch <= "z") + "@example.net"
    upload = SimpleUploadedFile(filename, content)
    return portal.submit_application(job=job, name=name, email=email, cv=upload).application
