"""`PORTAL_STATUS_CACHE_SECONDS` is a real setting: read from the environment (default 5) and
obeyed by every part of the status page's micro-cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from heardback.hiring.models import Job
from heardback.portal import tokens
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def _setting_from_environment(value: str | None) -> str:
    """The value settings.py gives, in a fresh interpreter with the variable set (or not)."""
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_STATUS_CACHE_SECONDS"}
    env.update(HEARDBACK_ENV="test", DJANGO_SETTINGS_MODULE="heardback.settings")
    if value is not None:
        env["PORTAL_STATUS_CACHE_SECONDS"] = value
    code = "from django.conf import settings; print(repr(settings.PORTAL_STATUS_CACHE_SECONDS))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_the_environment_sets_it_and_the_default_is_five() -> None:
    assert _setting_from_environment(None) == "5"
    assert _setting_from_environment("0") == "0"
    assert _setting_from_environment("30") == "30"


def _second_view_queries(client: Client, job: Job) -> int:
    application = factories.make_application(job=job, email="ada@example.net")
    url = f"/s/{tokens.issue_token(application)}/"
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(("seconds", "hits_database"), [(0, True), (5, False)])
def test_a_second_view_hits_the_database_only_when_the_cache_is_off(
    client: Client, job: Job, monday: Any, settings: Any, seconds: int, hits_database: bool
) -> None:
    settings.PORTAL_STATUS_CACHE_SECONDS = seconds
    assert tokens.cache_seconds() == seconds
    assert (_second_view_queries(client, job) > 0) is hits_database
