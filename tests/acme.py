"""The "Acme Robotics" world shared by the hiring and portal tests: an org in Berlin, a
recruiter, one job, and a Monday morning to start from. Imported by their conftests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from heardback.hiring.models import Job, Member, Org, Role
from tests import factories

# A Monday morning far from German public holidays: promised dates can be counted by hand.
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
