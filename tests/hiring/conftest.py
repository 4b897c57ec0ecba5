"""Fixtures for the hiring service tests: one org with a recruiter and an open job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from heardback.hiring.models import Job, Member, Org, Role
from tests import factories

# A Monday morning in late November 2026, far from German public holidays, so the business
# days in every promise below can be counted by hand.
MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


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


@pytest.fixture
def outsider(db: None) -> Member:
    """A recruiter of another org: must never touch the first org's data."""
    other = factories.make_org(name="Other Org", country="DE", time_zone="Europe/Berlin")
    return factories.make_member(org=other, role=Role.ADMIN, email="olga@other.example")
