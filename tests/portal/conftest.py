"""Fixtures for the portal: an org with an open job, status links switched on."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.cache import cache

from heardback.hiring.models import Job, Member, Org, Role
from tests import factories

# A Monday morning far from German public holidays: promised dates can be counted by hand.
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
STATUS_LINK = re.compile(r"https?://[^\s]+/s/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def status_links(settings: Any) -> None:
    settings.HEARDBACK_STATUS_LINK_ISSUER = "heardback.portal.tokens.issue_status_url"


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def monday(time_machine: Any) -> datetime:
    time_machine.move_to(MONDAY, tick=False)
    return MONDAY


@pytest.fixture
def org(db: None) -> Org:
    return factories.make_org(name="Acme Robotics", country="DE", time_zone="Europe/Berlin")


@pytest.fixture
def recruiter(org: Org) -> Member:
    return factories.make_member(org=org, role=Role.RECRUITER, email="rita@acme.example")


@pytest.fixture
def job(org: Org, recruiter: Member) -> Job:
    return factories.make_job(org=org, title="Robot Whisperer", owner=recruiter)


def token_from(text: str) -> str:
    match = STATUS_LINK.search(text)
    assert match, f"no status link in {text!r}"
    return match.group(1)
