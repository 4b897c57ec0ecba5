"""Saving a job from its page: JSON-LD JobPosting in several shapes, read from saved copies
of job pages served by a real local HTTP server; the bookmarklet's endpoint as another site
calls it (no cookie, no CSRF token, a key of its own)."""

from __future__ import annotations

import contextlib
import html
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse

from heardback.seeker import jobpage, services
from heardback.seeker.models import JobApplication, SavedJob, SeekerProfile

from .conftest import make_seeker

pytestmark = pytest.mark.django_db
PAGES = Path(__file__).parent / "fixtures" / "jobs"


class PageServer:
    """Serves tests/seeker/fixtures/jobs/<name>.html at /<name>; anything else is a 404
    (as a job board answers a page that needs a sign-in: 403 for /private)."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits.append((self.path, self.headers.get("Cookie", "")))
                name = self.path.strip("/")
                page = PAGES / f"{name}.html"
                code = 200 if page.is_file() else (403 if name == "private" else 404)
                body = page.read_bytes() if code == 200 else b"<h1>no</h1>"
                self.send_response(code)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def pages() -> Iterator[PageServer]:
    server = PageServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def test_a_job_posting_in_a_graph(pages: PageServer) -> None:
    saved = services.save_job(owner=make_seeker(), url=f"{pages.base}/graph")
    assert (saved.title, saved.company) == ("Senior Backend Developer", "Maple Freight Inc.")
    assert saved.location == "Toronto, ON, CA" and saved.region == "CA-ON"
    assert saved.salary == "CAD 115,000\u2013135,000 a year"
    assert (saved.date_posted, saved.valid_through) == (date(2026, 11, 18), date(2026, 12, 31))
    assert saved.read_from == "json-ld"


def test_a_job_posting_among_several_scripts(pages: PageServer) -> None:
    saved = services.save_job(owner=make_seeker(), url=f"{pages.base}/multiple")
    assert (saved.title, saved.company) == ("Product Designer (Remote)", "Pied Piper")
    assert saved.location == "Remote" and saved.region == ""
    assert saved.salary == "EUR 72,000 a year"
    assert saved.date_posted == date(2026, 11, 25)


def test_broken_json_is_repaired_or_skipped(pages: PageServer) -> None:
    """The first script is cut off (skipped); the second has an HTML comment around it, a
    raw line break in a string and trailing commas (read)."""
    saved = services.save_job(owner=make_seeker(), url=f"{pages.base}/broken")
    assert (saved.title, saved.company) == ("Café Manager (m/w/d)", "Bäckerei Krume GmbH")
    assert saved.location == "Leipzig, DE"
    assert saved.valid_through == date(2026, 12, 15)


def test_no_readable_posting_falls_back_to_the_title(pages: PageServer) -> None:
    saved = services.save_job(owner=make_seeker(), url=f"{pages.base}/title-only")
    assert saved.title == "Warehouse Team Lead \u2013 Stark Logistik"
    assert saved.read_from == "title" and saved.company == ""


def test_a_page_that_cant_be_fetched_keeps_the_title_the_bookmarklet_saw(
    pages: PageServer,
) -> None:
    owner = make_seeker()
    saved = services.save_job(
        owner=owner, url=f"{pages.base}/private", given_title="  QA Lead | Initech  "
    )
    assert saved.title == "QA Lead | Initech" and saved.read_from == "given"
    assert "sign in" in saved.note
    with pytest.raises(services.SeekerError, match="sign in"):
        services.save_job(owner=owner, url=f"{pages.base}/private")
    with pytest.raises(services.SeekerError, match="web address"):
        services.save_job(owner=owner, url="javascript:alert(1)")
    assert SavedJob.objects.filter(owner=owner).count() == 1


def test_the_outbound_guard_applies(pages: PageServer, settings: Any) -> None:
    settings.OUTBOUND_HTTP_ALLOW_PRIVATE = False
    with pytest.raises(services.SeekerError, match="isn't a public web page"):
        services.save_job(owner=make_seeker(), url=f"{pages.base}/graph")
    assert pages.hits == []


def test_read_handles_an_empty_page() -> None:
    with pytest.raises(jobpage.PageError, match="no job posting"):
        jobpage.read(b"<html><body>nothing</body></html>")


def test_paste_a_url_and_mark_it_applied(client: Client, pages: PageServer) -> None:
    owner = make_seeker()
    client.force_login(owner)
    response = client.post(reverse("seeker:save"), {"url": f"{pages.base}/graph"}, follow=True)
    assert "Saved: Senior Backend Developer." in html.unescape(response.content.decode())
    saved = SavedJob.objects.get(owner=owner)
    response = client.post(reverse("seeker:saved_applied", args=[saved.pk]))
    app = JobApplication.objects.get(owner=owner)
    assert response["Location"] == reverse("seeker:application", args=[app.pk])
    assert (app.company, app.role, app.region) == (
        "Maple Freight Inc.", "Senior Backend Developer", "CA-ON"
    )  # fmt: skip
    assert app.link == f"{pages.base}/graph" and app.source == "saved job"
    # A bad address keeps what was typed and says why.
    response = client.post(reverse("seeker:save"), {"url": "not a link"})
    assert response.status_code == 400 and "not a link" in response.content.decode()


def test_another_seekers_saved_job_is_not_found(client: Client, pages: PageServer) -> None:
    saved = services.save_job(owner=make_seeker(), url=f"{pages.base}/graph")
    client.force_login(make_seeker())
    for name in ("seeker:saved_applied", "seeker:saved_delete"):
        assert client.post(reverse(name, args=[saved.pk])).status_code == 404
    assert SavedJob.objects.filter(pk=saved.pk, application__isnull=True).exists()


def test_the_bookmarklet_endpoint_takes_its_key_not_a_session(pages: PageServer) -> None:
    owner = make_seeker()
    key = services.issue_bookmarklet_token(owner=owner)
    profile = SeekerProfile.objects.get(user=owner)
    assert profile.bookmarklet_token_hash and key not in profile.bookmarklet_token_hash
    other_site = Client(enforce_csrf_checks=True, HTTP_ORIGIN="https://jobs.example")
    url = reverse("seeker:save_api")
    # As the bookmarklet sends it: form-encoded, no cookie, no CSRF token.
    response = other_site.post(url, {"key": key, "url": f"{pages.base}/graph", "title": "x"})
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response.json()["message"] == (
        "Saved to Heardback: Senior Backend Developer at Maple Freight Inc."
    )
    assert SavedJob.objects.get(owner=owner).region == "CA-ON"
    assert pages.hits[-1][1] == ""  # the page was fetched without anyone's cookie

    # A signed-in session without the key is not enough.
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(owner)
    response = signed_in.post(url, {"url": f"{pages.base}/graph"})
    assert response.status_code == 401 and response["Access-Control-Allow-Origin"] == "*"

    # A new bookmarklet replaces the old; turning it off stops both.
    new_key = services.issue_bookmarklet_token(owner=owner)
    assert other_site.post(url, {"key": key, "url": f"{pages.base}/graph"}).status_code == 401
    services.revoke_bookmarklet_token(owner=owner)
    refused = other_site.post(url, {"key": new_key, "url": f"{pages.base}/graph"})
    assert refused.status_code == 401 and "turned off" in refused.json()["message"]
    assert SavedJob.objects.filter(owner=owner).count() == 1
    assert other_site.get(url).status_code == 405


def test_the_bookmarklet_is_shown_once(client: Client) -> None:
    owner = make_seeker()
    client.force_login(owner)
    response = client.post(reverse("seeker:bookmarklet"), {"action": "issue"})
    page = html.unescape(response.content.decode())
    assert 'id="bookmarklet-link" href="javascript:' in page
    profile = SeekerProfile.objects.get(user=owner)
    key = unquote(page).split('key = "', 1)[1].split('"', 1)[0]
    assert services.hash_token(key) == profile.bookmarklet_token_hash
    again = html.unescape(client.get(reverse("seeker:save")).content.decode())
    assert key not in again and "A bookmarklet is active" in again
