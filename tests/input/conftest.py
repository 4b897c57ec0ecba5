"""Fixtures for the bad-input tests: the Acme world, a private media directory, status
links switched on and cheap password hashing. Rate limits start clean with each test's
database, where they are counted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.acme import job, monday, org, recruiter  # noqa: F401 - shared fixtures


@pytest.fixture(autouse=True)
def status_links(settings: Any) -> None:
    settings.HEARDBACK_STATUS_LINK_ISSUER = "heardback.portal.tokens.issue_status_url"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def apply_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": "ada@example.net",
        "phone": "+44 20 7946 0000",
        "language": "en",
        "time_zone": "Europe/London",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def apply_url(for_job: Any) -> str:
    return f"/jobs/{for_job.org.slug}/{for_job.slug}/"
