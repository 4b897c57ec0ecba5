"""The live employer status, read over real HTTP from a local server serving status JSON."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine

from heardback.seeker import selectors, services, status_feed

from .conftest import make_seeker, profile_of

STATUS = {
    "employer": "Acme GmbH",
    "job": "Platform Engineer",
    "stage": "in_review",
    "stage_label": "In review",
    "respond_by": "2026-12-04T17:00:00+01:00",
    "status": "active",
}


class StatusServer:
    """A tiny real HTTP server; routes are set per test."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, float]] = {}
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits.append(self.path)
                code, body, delay = outer.routes.get(self.path, (404, b"not found", 0.0))
                if delay:
                    time.sleep(delay)
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if 300 <= code < 400:
                    self.send_header("Location", "/s/target.json")
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def serve(self, path: str, body: bytes | dict[str, Any], code: int = 200,
              delay: float = 0.0) -> None:  # fmt: skip
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        self.routes[path] = (code, raw, delay)


@pytest.fixture
def status_server() -> Iterator[StatusServer]:
    server = StatusServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def test_status_page_links_map_to_their_json() -> None:
    assert status_feed.status_json_url("https://jobs.acme.test/s/abc123/") == (
        "https://jobs.acme.test/s/abc123.json"
    )
    assert status_feed.status_json_url("https://jobs.acme.test/s/abc123.json") == (
        "https://jobs.acme.test/s/abc123.json"
    )
    assert status_feed.status_json_url("https://acme.test/careers/42") is None
    assert status_feed.status_json_url("file:///etc/s/passwd") is None
    assert status_feed.status_json_url("ftp://acme.test/s/abc/") is None


def test_fetch_reads_the_status(status_server: StatusServer) -> None:
    status_server.serve("/s/tok123.json", STATUS)
    found = status_feed.fetch(f"{status_server.base}/s/tok123/")
    assert found.stage == "in_review" and found.stage_label == "In review"
    assert found.respond_by == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert status_server.hits == ["/s/tok123.json"]


@pytest.mark.parametrize(
    ("body", "code", "delay", "message"),
    [
        (b"{" + b" " * (status_feed.MAX_BYTES + 10) + b"}", 200, 0.0, "far more than a status"),
        (b"<html>hello</html>", 200, 0.0, "status we can read"),
        ({**STATUS, "stage": "secret_internal_stage"}, 200, 0.0, "stage we don't know"),
        ({**STATUS, "respond_by": "2026-12-04T17:00:00"}, 200, 0.0, "no time zone"),
        (STATUS, 500, 0.0, "didn't send a status"),
        (STATUS, 200, 2.0, "didn't answer in time"),
    ],
)
def test_fetch_fails_clearly(status_server: StatusServer, body: Any, code: int, delay: float,
                             message: str) -> None:  # fmt: skip
    status_server.serve("/s/tok.json", body, code=code, delay=delay)
    with pytest.raises(status_feed.StatusFeedError, match=message):
        status_feed.fetch(f"{status_server.base}/s/tok/", deadline=0.5)


def test_redirects_are_not_followed(status_server: StatusServer) -> None:
    status_server.serve("/s/moved.json", STATUS, code=302)
    status_server.serve("/s/target.json", STATUS)
    with pytest.raises(status_feed.StatusFeedError, match="didn't send a status"):
        status_feed.fetch(f"{status_server.base}/s/moved/")
    assert status_server.hits == ["/s/moved.json"]


def test_errors_never_repeat_what_the_other_server_said(status_server: StatusServer) -> None:
    status_server.serve("/s/teapot.json", b"internal secret", code=418)
    with pytest.raises(status_feed.StatusFeedError) as caught:
        status_feed.fetch(f"{status_server.base}/s/teapot/")
    assert "418" not in str(caught.value) and "secret" not in str(caught.value)


@pytest.mark.django_db
def test_the_tracker_shows_the_stage_and_times_follow_ups_by_it(
    status_server: StatusServer, client: Any
) -> None:
    status_server.serve("/s/tok123.json", STATUS)
    user = make_seeker()
    client.force_login(user)
    with time_machine.travel(datetime(2026, 11, 25, 9, tzinfo=UTC), tick=False):
        response = client.post("/seeker/applications/new/", {
            "company": "Acme", "role": "Platform Engineer", "applied_on": "2026-11-20",
            "link": f"{status_server.base}/s/tok123/",
        })  # fmt: skip
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
    assert "In review" in page and "Fri 4 Dec" in page
    (app,) = selectors.applications(owner=user)
    assert app.employer_stage == "in_review"
    # The employer promised Fri 4 Dec: the follow-up falls due the next business day.
    plan = selectors.plan_for(profile=profile_of(user), app=app, today=date(2026, 12, 5))
    assert plan.promise_source == "employer" and plan.follow_up_due_on == date(2026, 12, 7)

    # The employer moves it on; a refresh picks it up. Errors keep the last good values.
    status_server.serve("/s/tok123.json", {**STATUS, "stage": "interview",
                                           "stage_label": "Interview"})  # fmt: skip
    app = services.refresh_employer_status(owner=user, application_id=app.pk)
    assert app.employer_stage == "interview"
    status_server.serve("/s/tok123.json", b"broken", code=200)
    app = services.refresh_employer_status(owner=user, application_id=app.pk)
    assert app.employer_stage == "interview" and "status we can read" in app.employer_error


@pytest.mark.django_db
def test_the_refresh_step_claims_each_stale_application_once(status_server: StatusServer) -> None:
    from heardback.seeker.refresh import refresh_employer_statuses

    status_server.serve("/s/a.json", STATUS)
    status_server.serve("/s/b.json", {**STATUS, "stage": "offer", "stage_label": "Offer"})
    user = make_seeker()
    for token in ("a", "b"):
        services.create_application(owner=user, company=token, role="R",
                                    applied_on=date(2026, 11, 2),
                                    link=f"{status_server.base}/s/{token}/")  # fmt: skip
    services.create_application(
        owner=user,
        company="plain",
        role="R",
        applied_on=date(2026, 11, 2),
        link="https://acme.test/jobs/1",
    )
    now = datetime(2026, 11, 26, 9, tzinfo=UTC)
    assert refresh_employer_statuses(now=now, limit=1) == 1
    assert refresh_employer_statuses(now=now, limit=10) == 1
    assert refresh_employer_statuses(now=now, limit=10) == 0  # fresh for six hours
    assert sorted(status_server.hits) == ["/s/a.json", "/s/b.json"]
    stages = dict(selectors.applications(owner=user).values_list("company", "employer_stage"))
    assert stages == {"a": "in_review", "b": "offer", "plain": ""}


@pytest.mark.django_db(transaction=True)
def test_reads_a_real_heardback_status_page(live_server: Any) -> None:
    """The contract with the candidate status page, end to end over HTTP."""
    from heardback.portal.tokens import issue_token
    from tests.factories import make_application, make_job, make_org

    org = make_org(name="Initech")
    application = make_application(job=make_job(org=org, title="Platform Engineer"))
    link = f"{live_server.url}/s/{issue_token(application)}/"
    found = status_feed.fetch(link)
    application.refresh_from_db()
    assert (found.employer, found.job, found.status) == ("Initech", "Platform Engineer", "active")
    assert found.stage in status_feed.STAGES
    assert found.respond_by == application.respond_by
