"""Property-based checks of the API against its own OpenAPI schema (schemathesis).

The schema is read from the running app (`/api/v1/openapi.json`, through its WSGI
application), and every operation is called with generated requests, valid and invalid,
with a write key of a real org: no answer may be a server error, and every answer must be
one the schema documents, with the documented content type, headers and body. Valid
requests name real rows of the key's org (generated ids would only ever meet a 404), so
the handlers really run. Bounded: a few examples per operation, no shrinking to speak of.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from heardback.api.keys import create_key
from heardback.hiring import services as hiring
from heardback.wsgi import application
from tests.api.conftest import make_world

CONFIG = SchemathesisConfig.from_str(
    """
[checks.positive_data_acceptance]
# A valid request may still break a hiring rule (an unknown time zone, a decline of someone
# already hired): that is a documented 422 problem, not a rejected schema.
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
"""
)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)

pytestmark = pytest.mark.slow
N = itertools.count()


@pytest.fixture
def in_test_transaction() -> Iterator[None]:
    """Calls to the WSGI app run in the test's transaction: like Django's test client, keep
    the app from closing the connection at the start and end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def org(db: None, in_test_transaction: None, settings: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.API_RATE_PER_KEY = "1000000/m"
    world = make_world("Acme Robotics", "acme.example")
    _key, raw = create_key(actor=world.admin, name="schemathesis", scope="write")
    stage = world.job.pipeline.stages.order_by("position")[2]
    return {"world": world, "stage": stage, "headers": {"Authorization": f"Bearer {raw}"}}


def _real_rows(case: Any, org: dict[str, Any]) -> None:
    """Point a valid request at real rows of the org: its job, one of its stages, and a
    fresh application (so that deciding one is not refused as already decided)."""
    world = org["world"]
    ids = {"job_id": world.job.pk, "stage_id": org["stage"].pk}
    path = case.path_parameters or {}
    if "application_id" in path:
        email = f"fuzz{next(N)}@example.net"
        ids["application_id"] = hiring.apply(job=world.job, name="Fuzz Case", email=email).pk
    for name in list(path):
        if name in ids:
            path[name] = ids[name]
    if isinstance(case.body, dict):
        for name in ("job_id", "stage_id"):
            if name in case.body:
                case.body[name] = ids[name]


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_keeps_to_its_schema(case: Any, org: dict[str, Any]) -> None:
    if case.meta and case.meta.generation.mode == GenerationMode.POSITIVE:
        _real_rows(case, org)
    case.call_and_validate(headers=org["headers"])
