"""Fixtures for the hiring service tests: one org with a recruiter and an open job."""

from __future__ import annotations

import pytest

from heardback.hiring.models import Member, Role
from tests import factories
from tests.acme import job, monday, org, recruiter  # noqa: F401 - shared fixtures


@pytest.fixture
def outsider(db: None) -> Member:
    """A recruiter of another org: must never touch the first org's data."""
    other = factories.make_org(name="Other Org", country="DE", time_zone="Europe/Berlin")
    return factories.make_member(org=other, role=Role.ADMIN, email="olga@other.example")
