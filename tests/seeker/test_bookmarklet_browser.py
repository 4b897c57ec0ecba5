"""The "save this job" bookmarklet in a real browser (Chromium), clicked on a job page that
another origin serves: a real cross-site call, with CORS as the browser enforces it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from heardback.seeker.models import SavedJob

from .conftest import PASSWORD, make_seeker
from .test_save_job import PageServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def job_site() -> Iterator[PageServer]:
    server = PageServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def test_the_bookmarklet_saves_the_job_from_another_site(
    page: Any, live_server: Any, job_site: PageServer, settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    owner = make_seeker()
    page.goto(f"{live_server.url}/seeker/login/")
    page.get_by_label("Email").fill(owner.seeker_profile.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/seeker/save/")
    page.get_by_role("button", name="Make my bookmarklet").click()
    href = page.locator("#bookmarklet-link").get_attribute("href")
    assert href.startswith("javascript:")

    # On the job's own page (another origin), click the bookmark: its code runs there.
    page.goto(f"{job_site.base}/graph")
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    page.evaluate(unquote(href.removeprefix("javascript:")))
    toast = page.locator("#heardback-saved")
    toast.filter(has_text="Saved to Heardback").wait_for()
    assert toast.inner_text() == (
        "Saved to Heardback: Senior Backend Developer at Maple Freight Inc."
    )
    saved = SavedJob.objects.get(owner=owner)
    assert saved.url == f"{job_site.base}/graph" and saved.region == "CA-ON"
    # The browser sent no cookie to Heardback, and no preflight was needed.
    calls = [r for r in requests if r.url.startswith(live_server.url)]
    assert [r.method for r in calls] == ["POST"]
    assert "cookie" not in {name.lower() for name in calls[0].all_headers()}

    # Turned off, the same bookmarklet is refused, and says so on the page.
    page.goto(f"{live_server.url}/seeker/save/")
    page.get_by_role("button", name="Turn the bookmarklet off").click()
    page.goto(f"{job_site.base}/multiple")
    page.evaluate(unquote(href.removeprefix("javascript:")))
    page.locator("#heardback-saved").filter(has_text="doesn't know this bookmarklet").wait_for()
    assert SavedJob.objects.filter(owner=owner).count() == 1
