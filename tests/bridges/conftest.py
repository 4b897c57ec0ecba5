"""An org connected to an ATS, and a way to post signed deliveries to its endpoint."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from heardback.bridges.models import Connection
from heardback.bridges.services import create_connection
from heardback.hiring.models import Member, Org, Role
from tests import factories
from tests.acme import monday  # noqa: F401  (a fixture)

SECRET = "s3cret-from-the-ats"


def sign(provider: str, body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "greenhouse": {"Signature": f"sha256 {digest}"},
        "ashby": {"Ashby-Signature": f"sha256={digest}"},
        "workable": {"X-Workable-Signature": digest},
        "generic": {"X-Heardback-Signature": f"sha256={digest}"},
        "lever": {},
    }[provider]


@dataclass
class Bridge:
    org: Org
    admin: Member
    connection: Connection
    client: Client

    def post(
        self, body: Any, *, headers: dict[str, str] | None = None, secret: str = SECRET
    ) -> Any:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        provider = self.connection.provider
        return self.client.post(
            f"/hooks/{provider}/{self.connection.pk}/",
            raw,
            content_type="application/json",
            headers={**sign(provider, raw, secret), **(headers or {})},
        )


def make_bridge(provider: str, **options: Any) -> Bridge:
    org = factories.make_org(name="Initech", country="DE", time_zone="Europe/Berlin")
    admin = factories.make_member(org=org, role=Role.ADMIN, email=f"admin@{org.slug}.example")
    connection, _secret = create_connection(
        actor=admin, provider=provider, name=provider, webhook_secret=SECRET, **options
    )
    return Bridge(org=org, admin=admin, connection=connection, client=Client())


@pytest.fixture
def greenhouse(db: None, monday: Any) -> Bridge:  # noqa: F811
    return make_bridge("greenhouse")


@dataclass
class LiveBridge:
    """A connection reached over real HTTP: the test posts to pytest-django's live server."""

    org: Org
    admin: Member
    connection: Connection
    http: Any  # httpx.Client with the live server as its base URL

    @property
    def path(self) -> str:
        return f"/hooks/{self.connection.provider}/{self.connection.pk}/"

    def post_raw(self, raw: bytes, headers: dict[str, str]) -> Any:
        return self.http.post(
            self.path, content=raw, headers={"Content-Type": "application/json", **headers}
        )


@pytest.fixture
def live_bridge(live_server: Any, monday: Any) -> Any:  # noqa: F811
    """make(provider, **options) → a LiveBridge; every client is closed afterwards."""
    import httpx

    clients: list[Any] = []

    def make(provider: str, **options: Any) -> LiveBridge:
        bridge = make_bridge(provider, **options)
        http = httpx.Client(base_url=live_server.url, timeout=10)
        clients.append(http)
        return LiveBridge(
            org=bridge.org, admin=bridge.admin, connection=bridge.connection, http=http
        )

    yield make
    for http in clients:
        http.close()
