"""The connection page in a real browser: an admin finds the URL to paste, the events and
what became of them, replays a failure, and the page passes axe (no serious or critical
violations). Screenshots go to docs/screenshots/connection*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from heardback.hiring.models import Job
from heardback.promises import scheduler
from heardback.promises.services import close_job
from tests.bridges.conftest import SECRET, LiveBridge
from tests.bridges.payloads import PROVIDERS, Story, encode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "heardback" / "console" / "static" / "console" / "vendor" / "axe.min.js"
PASSWORD = "correct horse battery staple"
GREENHOUSE = PROVIDERS["greenhouse"]


def send(bridge: LiveBridge, body: dict[str, Any], secret: str = SECRET) -> None:
    raw = encode(body)
    bridge.post_raw(raw, {**GREENHOUSE.headers(raw, secret), **GREENHOUSE.delivery_id()})


PEOPLE = {
    1: ("Ada", "Okafor"),
    2: ("Bashir", "Haddad"),
    3: ("Chioma", "Schmidt"),
    4: ("Dmitri", "Ng"),
    5: ("Elif", "Rossi"),
    6: ("Farah", "Tanaka"),
}


def story(app_id: int, **fields: Any) -> dict[str, Any]:
    first, last = PEOPLE[app_id]
    return GREENHOUSE.application(Story(app_id=app_id, first_name=first, last_name=last, **fields))


def a_week_of_events(bridge: LiveBridge) -> None:
    """Applications, moves, a decline, a hire, a stage name the keywords don't know, two
    deliveries with a wrong secret and one the engine could not apply."""
    for n in (1, 2, 3, 4):
        send(bridge, story(n, action="new_candidate_application"))
    send(bridge, story(1, stage="Phone Interview", minute=10))
    send(bridge, story(2, stage="Take-home Task", minute=12))
    send(
        bridge,
        story(
            3,
            state="rejected",
            stage="Phone Interview",
            minute=15,
            reason="Hired another candidate",
        ),
    )
    send(bridge, story(1, stage="Offer", minute=20))
    send(bridge, story(1, state="hired", minute=30))
    scheduler.run_until_idle()
    send(bridge, story(4, minute=40), secret="an old secret")
    send(bridge, story(4, minute=41), secret="an old secret")
    # A second job, closed here before its candidate's first event arrives: a failure.
    send(bridge, story(5, job_id=77, job_title="Designer", action="new_candidate_application"))
    scheduler.run_until_idle()
    close_job(job=Job.objects.get(org=bridge.org, title="Designer"), actor=bridge.admin)
    send(bridge, story(6, job_id=77, job_title="Designer", action="new_candidate_application"))
    scheduler.run_until_idle()


def test_the_connection_page_shows_what_an_admin_needs_and_passes_axe(
    browser: Any, live_bridge: Any, smtp_server: Any, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = "https://hire.initech.example"  # what the admin would paste
    bridge = live_bridge("greenhouse")
    bridge.connection.name = "Greenhouse (EU)"
    bridge.connection.save(update_fields=["name"])
    bridge.admin.user.set_password(PASSWORD)
    bridge.admin.user.first_name, bridge.admin.user.last_name = "Alex", "Admin"
    bridge.admin.user.save()
    a_week_of_events(bridge)
    site = str(bridge.http.base_url).rstrip("/")

    # axe is injected as a script; the strict CSP would rightly block it, so this context
    # bypasses CSP (the page's own scripts run under it elsewhere).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{site}/app/login/")
    page.get_by_label("Email").fill(bridge.admin.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Greenhouse (EU)").click()
    page.get_by_role("heading", name="Where the ATS sends its events").wait_for()
    url = page.get_by_label("URL to paste into Greenhouse").input_value()
    assert url == f"https://hire.initech.example/hooks/greenhouse/{bridge.connection.pk}/"
    page.get_by_text("2 refused").wait_for()
    assert page.get_by_role("button", name="Replay").count() == 1
    page.locator("details summary").click()  # the keyword defaults, open in the picture
    problems = _axe_problems(page)
    assert not problems, problems
    page.screenshot(path=str(SHOTS / "connection.png"), full_page=True)

    page.get_by_role("button", name="Replay").click()
    page.get_by_text("The event is back in the inbox").wait_for()
    page.goto(f"{site}/app/connections/")
    assert not _axe_problems(page)
    page.screenshot(path=str(SHOTS / "connections.png"), full_page=True)
    context.close()


def _axe_problems(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
