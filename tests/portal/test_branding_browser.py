"""The employer's face in a real browser (Debian's Chromium): the strict CSP still holds, the
org's colours and logo really apply, the status page shows the org's contact, a closed job's
link says so, and axe finds no serious or critical problem on the pages this touched."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from heardback.hiring import branding
from heardback.hiring import services as hiring
from heardback.hiring.models import Org, Role
from heardback.portal import branding as portal_branding
from heardback.portal import tokens
from heardback.promises import services as promises
from heardback.seeker import services as seeker_services
from tests import factories
from tests.console.test_candidate_side_browser import axe_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # the factories' default
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def logo_png() -> bytes:
    image = Image.new("RGBA", (360, 96), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 8, 84, 88), radius=18, fill=(255, 255, 255, 255))
    draw.polygon([(44, 20), (70, 76), (44, 62), (18, 76)], fill=(15, 92, 77, 255))
    for n, x in enumerate(range(104, 344, 30)):
        draw.rectangle((x, 30 + (n % 2) * 8, x + 20, 66), fill=(255, 255, 255, 230))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def northwind() -> Org:
    org = factories.make_org(name="Northwind Robotics")
    org = branding.set_branding(
        org=org,
        name="Northwind Robotics",
        reply_to="jobs@northwind.example",
        brand_color="#0f5c4d",
        brand_header_color="#0f3d36",
        sender_email="",
    )
    return portal_branding.set_logo(org=org, data=logo_png())


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.SITE_URL = live_server.url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return str(live_server.url)


def watch_csp(page: Any) -> list[str]:
    """Console messages about anything the CSP refused (an inline style would be one)."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


def test_branded_status_page_shows_the_orgs_face_and_contact(
    browser: Any, site: str, tmp_path: Path
) -> None:
    org = northwind()
    job = factories.make_job(org=org, title="Robotics Software Engineer")
    application = factories.make_application(job=job, name="Ada Okafor", language="en")
    token = tokens.issue_token(application)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = watch_csp(page)
    page.goto(f"{site}/s/{token}/")
    header = page.locator("header.brand-header")
    logo = header.get_by_role("img", name="Northwind Robotics")
    logo.wait_for()
    # The logo really loaded (served as an image under the page's CSP) ...
    assert page.evaluate("img => img.naturalWidth", logo.element_handle()) == 360
    # ... and the org's colours really apply, from the versioned stylesheet.
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(15, 61, 54)"
    button = page.get_by_role("button", name="Save my details")
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(15, 92, 77)"
    # The contact: a person at the org, one click away.
    page.get_by_role("heading", name="Questions?").wait_for()
    contact = page.get_by_role("link", name="jobs@northwind.example")
    assert contact.get_attribute("href") == "mailto:jobs@northwind.example"
    assert "Heardback" not in header.inner_text()
    assert "Powered by Heardback" in page.locator("footer").inner_text()
    assert refused == []
    context.close()


def test_a_closed_jobs_link_is_a_kind_404(page: Any, site: str) -> None:
    org = northwind()
    owner = factories.make_member(org=org, role=Role.ADMIN)
    closed = factories.make_job(org=org, title="Product Designer", owner=owner)
    factories.make_job(org=org, title="Field Service Technician", owner=owner)
    promises.close_job(job=closed, actor=owner, outcome="filled")

    response = page.goto(f"{site}/jobs/{org.slug}/{closed.slug}/")
    assert response.status == 404
    page.get_by_role("heading", name="Product Designer: this job is closed").wait_for()
    assert "Northwind Robotics is no longer taking applications" in page.inner_text("main")
    page.get_by_role("link", name="Field Service Technician").click()
    page.get_by_role("heading", name="Field Service Technician").wait_for()
    page.get_by_role("button", name="Send my application").wait_for()


def test_pages_this_touched_pass_axe(browser: Any, site: str) -> None:
    org = northwind()
    owner = factories.make_member(org=org, role=Role.ADMIN, email="alex@northwind.example")
    job = factories.make_job(org=org, title="Robotics Software Engineer", owner=owner)
    closed = factories.make_job(org=org, title="Product Designer", owner=owner)
    promises.close_job(job=closed, actor=owner, outcome="closed")
    active = factories.make_application(job=job)
    withdrawn = factories.make_application(job=job)
    hiring.withdraw(application=withdrawn)
    seeker_services.sign_up(
        email="robin@example.org", password=PASSWORD, full_name="Robin", time_zone="UTC"
    )

    # axe is injected as a script, which our strict CSP rightly blocks: bypass it here only.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: dict[str, list[str]] = {}
    pages = {
        "job board": f"/jobs/{org.slug}/",
        "apply form": f"/jobs/{org.slug}/{job.slug}/",
        "status page": f"/s/{tokens.issue_token(active)}/",
        "status page after withdrawal": f"/s/{tokens.issue_token(withdrawn)}/",
        "closed job": f"/jobs/{org.slug}/{closed.slug}/",
        "not found": f"/jobs/{org.slug}/nothing-here/",
        "plain not found": "/nothing/here/",
        "seeker sign-up": "/seeker/signup/",
    }
    for name, path in pages.items():
        page.goto(f"{site}{path}")
        problems[name] = axe_problems(page)
    # The apply form with every error showing (the aria-describedby ids must exist).
    page.goto(f"{site}/jobs/{org.slug}/{job.slug}/")
    page.get_by_role("button", name="Send my application").click()
    page.locator("p.errors").first.wait_for()
    problems["apply form with errors"] = axe_problems(page)
    # The console's branding settings.
    page.goto(f"{site}/app/login/")
    page.get_by_label("Email").fill("alex@northwind.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{site}/app/settings/branding/")
    page.get_by_role("heading", name="Your face to candidates").wait_for()
    problems["org settings"] = axe_problems(page)
    if _screenshots():
        page.screenshot(path=str(SCREENSHOTS / "console-branding.png"), full_page=True)
    context.close()
    assert {name: found for name, found in problems.items() if found} == {}


def _screenshots() -> bool:
    import os

    return bool(os.environ.get("HEARDBACK_SCREENSHOTS"))
