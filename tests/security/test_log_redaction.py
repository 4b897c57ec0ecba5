"""No secret from a URL reaches a log line: not in Django's request warnings, not in the
sign-in redirect's `next=`, not in gunicorn's access log (Referer included)."""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from heardback.web import logs
from tests.messaging.processes import process_env
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]

# One URL per kind of secret link there is (checked against the URLconf below).
SECRET_URLS = {
    "status page": "/s/{t}/",
    "status feed": "/s/{t}.json",
    "status calendar": "/s/{t}.ics",
    "decision link": "/engine/act/{t}/",
    "invitation": "/app/invite/{t}/",
    "password reset": "/app/reset/MQ/{t}/",
    "calendar feed": "/seeker/calendar/{t}.ics",
    "address confirmation": "/seeker/email/confirm/{t}/",
    "data download": "/s/{t}/my-data.json",
    "data file": "/s/{t}/my-data/files/1/",
    "CV download": "/s/{t}/my-data/cv/",
    "erasure request": "/s/{t}/erase/",
    "one-click unsubscribe": "/seeker/unsubscribe/{t}/",
}


def _token() -> str:
    return secrets.token_urlsafe(32)


def _patterns_with(names: frozenset[str]) -> list[str]:
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            here = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(list(entry.url_patterns), here)
            elif isinstance(entry, URLPattern) and names & set(entry.pattern.regex.groupindex):
                found.append(here)

    walk(list(get_resolver().url_patterns), "")
    return found


def test_every_url_with_a_token_is_redacted() -> None:
    # A new URL with a secret fails here until it is added to SECRET_URLS (and so checked).
    assert len(_patterns_with(logs.SECRET_PARAMETERS)) == len(SECRET_URLS)
    for kind, template in SECRET_URLS.items():
        token = _token()
        line = f'127.0.0.1 - - "GET {template.format(t=token)}?x=1 HTTP/1.1" 404 0 "-" "curl"'
        assert token not in logs.redact(line), kind
        assert "[redacted]" in logs.redact(line), kind


def test_a_token_is_redacted_wherever_it_sits_in_a_line() -> None:
    token = _token()
    for line in (
        f"Not Found: /engine/act/{token}/",
        f"GET /app/login/?next=/engine/act/{token}/ HTTP/1.1",
        f'"https://heardback.example.org/app/invite/{token}/" "Mozilla/5.0"',
        f"/s/{token}",  # no trailing slash (a redirect to add one)
    ):
        assert token not in logs.redact(line), line


def test_ordinary_paths_are_left_alone() -> None:
    line = "GET /jobs/acme-robotics/senior-backend-engineer-payments/ HTTP/1.1"
    assert logs.redact(line) == line


@pytest.mark.django_db
def test_requests_with_tokens_leave_none_in_djangos_logs(caplog: Any) -> None:
    tokens = {kind: _token() for kind in SECRET_URLS}
    with caplog.at_level(logging.DEBUG):
        for kind, template in SECRET_URLS.items():
            url = template.format(t=tokens[kind])
            Client().get(url)
            Client().post(url, {})
            Client(enforce_csrf_checks=True).post(url, {})
    text = caplog.text
    assert "Not Found" in text or "Forbidden" in text, "the test watched real log lines"
    leaked = [kind for kind, token in tokens.items() if token in text]
    assert not leaked


@pytest.mark.django_db(transaction=True)
def test_gunicorns_access_log_has_no_tokens(tmp_path: Path) -> None:
    port = free_port()
    env = process_env(email_url="smtp://127.0.0.1:9", var_dir=tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "heardback.settings"
    log_file = tmp_path / "access.log"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "heardback.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log_file),
            "--error-logfile",
            str(tmp_path / "error.log"),
        ],
        cwd=ROOT,
        env=env,
    )
    tokens = {kind: _token() for kind in SECRET_URLS}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        for kind, template in SECRET_URLS.items():
            url = f"http://127.0.0.1:{port}{template.format(t=tokens[kind])}"
            referer = f"http://127.0.0.1:{port}/engine/act/{tokens[kind]}/"
            request = urllib.request.Request(url, headers={"Referer": referer})
            # 404s and redirects to sign in: only the log line matters.
            with contextlib.suppress(OSError):
                urllib.request.urlopen(request, timeout=10)  # noqa: S310 - http to ourselves
        time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log_file.read_text()
    assert len(re.findall(r'"GET ', text)) >= len(SECRET_URLS)
    leaked = [kind for kind, token in tokens.items() if token in text]
    assert not leaked, text
    assert "[redacted]" in text
