"""Two orgs with an API key each, and a client that speaks to `/api/v1/` as a key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from heardback.api.keys import create_key
from heardback.api.models import ApiKey
from heardback.hiring.models import Job, Member, Org, Role
from tests import factories
from tests.acme import MONDAY, monday  # noqa: F401  (a fixture)


@dataclass
class ApiClient:
    raw_key: str
    key: ApiKey
    client: Client

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.raw_key}", **(extra or {})}

    def get(self, path: str, headers: dict[str, str] | None = None, **query: Any) -> Any:
        return self.client.get(f"/api/v1{path}", query, headers=self._headers(headers))

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(body or {}),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            headers=self._headers(None),
        )


@dataclass
class World:
    org: Org
    admin: Member
    recruiter: Member
    job: Job


def make_world(name: str, slug_email: str) -> World:
    org = factories.make_org(name=name, country="DE", time_zone="Europe/Berlin")
    admin = factories.make_member(org=org, role=Role.ADMIN, email=f"admin@{slug_email}")
    recruiter = factories.make_member(org=org, role=Role.RECRUITER, email=f"rita@{slug_email}")
    job = factories.make_job(org=org, title="Robot Whisperer", owner=recruiter)
    return World(org=org, admin=admin, recruiter=recruiter, job=job)


def client_for(world: World, scope: str = "write") -> ApiClient:
    key, raw = create_key(actor=world.admin, name=f"{scope} key", scope=scope)
    return ApiClient(raw_key=raw, key=key, client=Client())


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Test users' passwords need no slow hashing (each world makes two users)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def acme(db: None, monday: Any) -> World:  # noqa: F811
    return make_world("Acme Robotics", "acme.example")


@pytest.fixture
def globex(db: None, monday: Any) -> World:  # noqa: F811
    return make_world("Globex", "globex.example")


@pytest.fixture
def api(acme: World) -> ApiClient:
    return client_for(acme, "write")
