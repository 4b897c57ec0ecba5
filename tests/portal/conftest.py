"""Fixtures for the portal: an org with an open job, status links switched on."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.acme import job, monday, org, recruiter  # noqa: F401 - shared fixtures

STATUS_LINK = re.compile(r"https?://[^\s]+/s/([A-Za-z0-9_-]+)/")


@pytest.fixture(autouse=True)
def status_links(settings: Any) -> None:
    settings.HEARDBACK_STATUS_LINK_ISSUER = "heardback.portal.tokens.issue_status_url"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def token_from(text: str) -> str:
    match = STATUS_LINK.search(text)
    assert match, f"no status link in {text!r}"
    return match.group(1)
