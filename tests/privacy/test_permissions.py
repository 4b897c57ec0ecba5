"""Who may use the data-request and posting pages: every URL of the two namespaces, walked
from the resolver (a new one fails until it is classified here), against each role and a
member of another org."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, get_resolver, reverse

from heardback.postings import services as postings
from heardback.privacy import services as privacy
from tests.console.conftest import World, client_for, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

ADMIN_ONLY = {"privacy:policy"}
STAFF_ONLY = {
    "privacy:requests",
    "privacy:erase",
    "privacy:refuse",
    "privacy:hold",
    "privacy:release",
    "postings:posting",
}
EVERY_ROLE = {"postings:version"}  # reading what was published, for those who see the job


def patterns() -> list[tuple[str, URLPattern]]:
    found = []
    for namespace in ("privacy", "postings"):
        _prefix, resolver = get_resolver().namespace_dict[namespace]
        found += [(f"{namespace}:{p.name}", p) for p in resolver.url_patterns]
    return found


def _url(name: str, pattern: URLPattern, ids: dict[str, int]) -> str:
    return reverse(name, kwargs={k: ids[k] for k in pattern.pattern.converters})


@pytest.fixture
def ids(world: World) -> dict[str, int]:  # noqa: F811 - the fixture
    request = privacy.request_erasure(application=world.applications[0])
    hold = privacy.place_hold(
        candidate=world.applications[1].candidate, actor=world.admin, reason="audit"
    )
    version = postings.publish(job=world.job, actor=world.admin)
    return {
        "request_id": request.pk,
        "hold_id": hold.pk,
        "job_id": world.job.pk,
        "version": version.version,
    }


def test_every_url_is_classified() -> None:
    names = {name for name, _ in patterns()}
    assert names == ADMIN_ONLY | STAFF_ONLY | EVERY_ROLE, "classify the new URLs here"


def _status(client: Any, url: str) -> int:
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return int(response.status_code)


@pytest.mark.parametrize("role", ["admin", "recruiter", "hiring_manager", "outsider_manager"])
def test_each_role_against_each_view(world: World, ids: dict[str, int], role: str) -> None:  # noqa: F811
    client = client_for(world.member(role))
    for name, pattern in patterns():
        status = _status(client, _url(name, pattern, ids))
        allowed = (
            role == "admin"
            if name in ADMIN_ONLY
            else role in {"admin", "recruiter"}
            if name in STAFF_ONLY
            else role != "outsider_manager"  # a hiring manager sees only their jobs
        )
        if allowed:
            assert status in {200, 302}, (role, name, status)
        else:
            assert status in {403, 404}, (role, name, status)


def test_another_orgs_admin_finds_nothing(world: World, ids: dict[str, int]) -> None:  # noqa: F811
    client = client_for(world.other_admin)
    for name, pattern in patterns():
        if not pattern.pattern.converters:
            continue  # their own org's page (their requests, their policy)
        assert _status(client, _url(name, pattern, ids)) == 404, name
