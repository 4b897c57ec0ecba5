"""Org isolation over every route of the API, generated from its OpenAPI schema.

For each operation the schema lists, a request is built from the schema alone: path and id
parameters filled with org A's real ids, a body from the schema's example (its ids, again
A's). It is then sent with no key, with each of org B's keys (read, write, admin) and with
org A's read key. Org B must never see or change anything of A's: a route that names one of
A's rows is not found (404; a read key trying a change is refused first, 403), a route that
names none answers with nothing of A's in it, and A's applications, events, messages and
jobs are exactly as they were. A new route is covered the day it is added; a route whose
parameters this test can't fill fails until it is taught them (see `IDS`).

A second test sends the same requests with org A's own admin key and expects them to reach
the handler and find the row (no 400, 401, 403 or 404): so a 404 above means "not yours",
not "badly built request".
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Count
from django.test import Client

from heardback import clock
from heardback.api.api import api as heardback_api
from heardback.api.keys import create_key
from heardback.compliance import services as compliance
from heardback.compliance.models import Interview
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Event, Job, Stage
from heardback.messaging.models import Message
from heardback.promises import services as engine
from tests.api.conftest import World

SCHEMA = heardback_api.get_openapi_schema()
ROUTES = sorted(
    (method.upper(), path)
    for path, operations in SCHEMA["paths"].items()
    for method in operations
    if method in {"get", "post", "put", "patch", "delete"}
)
CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
MARKER = re.compile(r"acme", re.IGNORECASE)  # in every name and address of org A's


@dataclass
class Target:
    """Org A's rows that the requests name."""

    job: Job
    application: Application
    stage: Stage


# How to fill a parameter or body field that names a row: org A's row of that kind.
IDS = {
    "job_id": lambda t: t.job.pk,
    "application_id": lambda t: t.application.pk,
    "stage_id": lambda t: t.stage.pk,
}


def test_the_schema_lists_every_operation() -> None:
    assert len(ROUTES) >= 21, ROUTES
    assert ("POST", "/api/v1/applications/{application_id}/decline/cancel") in ROUTES


@pytest.fixture(autouse=True)
def _no_throttle(settings: Any) -> None:
    settings.API_RATE_PER_KEY = "100000/m"


@pytest.fixture
def target(acme: World) -> Target:
    """Org A with a few candidates at different points, every name of theirs saying "acme"."""
    stages = list(Stage.objects.filter(pipeline_id=acme.job.pipeline_id).order_by("position"))
    hiring.create_job(org=acme.org, title="Acme Secret Project", owner=acme.recruiter)
    people = [
        hiring.apply(job=acme.job, name=f"Acme Person{n}", email=f"p{n}@acme-people.example")
        for n in range(4)
    ]
    hiring.move_to_stage(application=people[1], stage=stages[2], actor=acme.recruiter)
    engine.schedule_decline(
        application=people[2], reason="experience", actor=acme.recruiter, delay_business_days=3
    )
    hiring.decline(application=people[3], reason="other", actor=acme.recruiter)
    hiring.add_note(application=people[0], text="Acme-only note", actor=acme.recruiter)
    compliance.log_interview(
        application=people[0],
        starts_at=clock.now(),
        kind="video",
        interviewers="Acme Interviewer",
        source="console",
        recorded_by="Acme recruiter",
    )
    return Target(job=acme.job, application=people[0], stage=stages[2])


def snapshot(world: World) -> dict[str, Any]:
    org = world.org.pk
    return {
        "by_status": dict(
            Application.objects.filter(org_id=org)
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by("status")
        ),
        "applications": list(
            Application.objects.filter(org_id=org)
            .order_by("pk")
            .values_list(
                "pk",
                "stage_id",
                "status",
                "respond_by",
                "pending_decline_at",
                "decline_reason",
                "decided_at",
                "candidate__name",
                "candidate__email",
            )
        ),
        "events": Counter(Event.objects.filter(org_id=org).values_list("kind", flat=True)),
        "interviews": list(
            Interview.objects.filter(org_id=org).order_by("pk").values_list("pk", "starts_at")
        ),
        "messages": Counter(Message.objects.filter(org_id=org).values_list("kind", "status")),
        "jobs": list(
            Job.objects.filter(org_id=org)
            .order_by("pk")
            .values_list("pk", "title", "status", "location", "description", "owner_id")
        ),
    }


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        return _resolve(SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[1]])
    return schema


def _example_body(operation: dict[str, Any], target: Target) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return None
    schema = _resolve(content["application/json"]["schema"])
    examples = schema.get("examples") or [{}]
    body = dict(examples[0])
    properties = schema.get("properties", {})
    missing = [name for name in schema.get("required", []) if name not in body]
    assert not missing, f"give {schema.get('title')} an example with {missing}"
    for name in properties:
        if name.endswith("_id"):
            assert name in IDS, f"teach IDS how to fill the body field {name!r}"
            body[name] = IDS[name](target)
    return body


@dataclass
class Request:
    method: str
    url: str
    query: dict[str, Any]
    body: dict[str, Any] | None
    names_a_row: bool  # in its path or body

    def send(self, raw_key: str | None) -> Any:
        headers = {"Authorization": f"Bearer {raw_key}"} if raw_key else {}
        client = Client()
        if self.method == "GET":
            return client.get(self.url, self.query, headers=headers)
        return client.generic(
            self.method,
            self.url,
            json.dumps(self.body or {}),
            content_type="application/json",
            headers=headers,
        )


def build(method: str, path: str, target: Target) -> Request:
    operation = SCHEMA["paths"][path][method.lower()]
    url, query, names_a_row = path, {}, False
    for parameter in operation.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        if where == "path":
            assert name in IDS, f"teach IDS how to fill the path parameter {name!r}"
            url = url.replace("{" + name + "}", str(IDS[name](target)))
            names_a_row = True
        elif where == "query" and name.endswith("_id"):
            assert name in IDS, f"teach IDS how to fill the query parameter {name!r}"
            query[name] = IDS[name](target)
    assert "{" not in url, url
    body = _example_body(operation, target)
    if body and any(name.endswith("_id") for name in body):
        names_a_row = True
    return Request(method=method, url=url, query=query, body=body, names_a_row=names_a_row)


def _problem(response: Any, status: int, who: str, request: Request) -> None:
    where = f"{who}: {request.method} {request.url} {request.query} {request.body}"
    assert response.status_code == status, f"{where} → {response.status_code} {response.content}"
    assert response["Content-Type"] == "application/problem+json", where


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_another_org_never_sees_or_changes_anything(
    method: str, path: str, acme: World, globex: World, target: Target
) -> None:
    request = build(method, path, target)
    before = snapshot(acme)
    keys = {
        f"org B {scope}": create_key(actor=globex.admin, name=scope, scope=scope)[1]
        for scope in ("read", "write", "admin")
    }
    a_reader = create_key(actor=acme.admin, name="reader", scope="read")[1]

    _problem(request.send(None), 401, "no key", request)
    for who, raw in keys.items():
        response = request.send(raw)
        if method in CHANGES and who.endswith("read"):
            _problem(response, 403, who, request)
        elif request.names_a_row:
            _problem(response, 404, who, request)
        else:
            # Nothing of A's named: B works on its own org, and sees nothing of A's.
            assert response.status_code < 500, (who, response.content)
            assert not MARKER.search(response.content.decode()), (who, response.content)
        assert snapshot(acme) == before, f"{who} changed org A with {method} {path}"
    if method in CHANGES:
        _problem(request.send(a_reader), 403, "org A read key", request)
    assert snapshot(acme) == before


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_the_same_requests_reach_their_row_with_the_orgs_own_key(
    method: str, path: str, acme: World, target: Target
) -> None:
    request = build(method, path, target)
    own = create_key(actor=acme.admin, name="own", scope="admin")[1]
    response = request.send(own)
    assert response.status_code not in {400, 401, 403, 404}, response.content
    assert response.status_code < 500, response.content
    if response.status_code < 300 and request.method == "GET":
        assert MARKER.search(response.content.decode()) or path.endswith(("/stages", "/metrics")), (
            "the control should see org A's data"
        )
