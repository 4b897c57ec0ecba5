"""Data rights in a real browser: the candidate downloads their data and CV from the status
page and asks for erasure; the recruiter sees the request and erases; the link goes dark."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from heardback.hiring.models import Application, Candidate, Role
from heardback.messaging import delivery
from heardback.privacy.models import ErasureRequest
from tests import factories
from tests.portal.conftest import token_from
from tests.privacy.conftest import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"  # the factories' test password


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.SITE_URL = live_server.url
    return live_server.url


def test_download_and_erasure_from_the_status_page(page: Any, site: str, smtp_server: Any) -> None:
    org = factories.make_org(name="Acme Robotics")
    recruiter = factories.make_member(org=org, role=Role.RECRUITER, email="rita@acme.example")
    factories.make_job(org=org, title="Robot Whisperer", owner=recruiter)
    cv_bytes = PDF + b"% Grace's CV\n"

    page.goto(f"{site}/jobs/{org.slug}/")
    page.get_by_role("link", name="Robot Whisperer").click()
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email address").fill("grace@example.net")
    page.get_by_label("Your CV (optional)").set_input_files(
        files=[{"name": "grace.pdf", "mimeType": "application/pdf", "buffer": cv_bytes}]
    )
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send my application").click()
    page.get_by_role("heading", name="Thank you for applying").wait_for()
    delivery.drain()
    token = token_from(smtp_server.to("grace@example.net")[0].text)

    page.goto(f"{site}/s/{token}/")
    page.get_by_role("heading", name="Your data").wait_for()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download my data (JSON)").click()
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert data["candidate"]["name"] == "Grace Hopper"
    assert data["candidate"]["email"] == "grace@example.net"
    assert data["applications"][0]["job"] == "Robot Whisperer"
    assert data["files"][0]["name"] == "grace.pdf"
    with page.expect_download() as info:
        page.get_by_role("link", name="Download my CV").click()
    assert info.value.suggested_filename == "grace.pdf"
    assert Path(info.value.path()).read_bytes() == cv_bytes

    # Withdraw first (an application in progress can't be erased), then ask for erasure.
    page.get_by_role("button", name="Withdraw my application").click()
    page.get_by_role("button", name="Yes, withdraw my application").click()
    page.get_by_text("Your application has been withdrawn.").wait_for()
    page.get_by_role("link", name="Ask for my data to be erased").click()
    page.get_by_role("heading", name="Erase your personal data?").wait_for()
    page.get_by_role("button", name="Yes, ask for erasure").click()
    page.get_by_text("We have received your request to erase your data.").wait_for()
    request = ErasureRequest.objects.get()
    assert request.status == "open"

    # The recruiter answers in the console.
    page.goto(f"{site}/app/login/")
    page.get_by_label("Email").fill("rita@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Data requests").click()
    row = page.locator("tr", has_text="Grace Hopper")
    assert "days left" in row.inner_text() and "No" in row.inner_text()
    row.get_by_role("button", name="Erase now").click()
    page.get_by_text("Erased: the personal data is gone").wait_for()
    application = Application.objects.get()
    candidate = Candidate.objects.get(pk=application.candidate_id)
    assert candidate.name == "Erased candidate" and "grace" not in candidate.email
    assert not application.attachments.exists()
    assert application.status == "withdrawn"  # the record stays

    response = page.goto(f"{site}/s/{token}/")
    assert response.status == 404
    assert "Grace" not in page.content()


def test_the_new_pages_pass_axe(browser: Any, site: str) -> None:
    from decimal import Decimal

    from heardback.portal import tokens
    from heardback.postings import services as postings
    from heardback.privacy import services
    from tests.compliance.helpers import ontario_org
    from tests.console.test_candidate_side_browser import axe_problems

    org = ontario_org(name="Maple Robotics")
    recruiter = factories.make_member(org=org, role=Role.ADMIN, email="rita@maple.example")
    job = factories.make_job(org=org, title="Robot Whisperer", owner=recruiter)
    postings.save_terms(
        job=job, actor=recruiter, pay_min=Decimal("80000"), pay_max=Decimal("100000"),
        pay_period="year", currency="CAD", uses_ai=True, ai_details="A model ranks CVs.",
        existing_vacancy=True,
    )  # fmt: skip
    postings.publish(job=job, actor=recruiter)
    application = factories.make_application(job=job, name="Grace Hopper", language="fr")
    services.request_erasure(application=application)
    services.place_hold(candidate=application.candidate, actor=recruiter, reason="A claim")
    token = tokens.issue_token(application)

    # axe is injected as a script, which the pages' CSP rightly blocks: this context bypasses it.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    for name, path in {
        "job page": f"/jobs/{org.slug}/{job.slug}/?lang=fr",
        "status page": f"/s/{token}/",
        "erasure": f"/s/{token}/erase/",
    }.items():
        page.goto(site + path)
        problems[name] = axe_problems(page)
    page.goto(f"{site}/app/login/")
    page.get_by_label("Email").fill("rita@maple.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    for name, path in {
        "data requests": "/app/privacy/",
        "posting": f"/app/postings/jobs/{job.pk}/",
        "version": f"/app/postings/jobs/{job.pk}/versions/1/",
    }.items():
        page.goto(site + path)
        problems[name] = axe_problems(page)
    context.close()
    assert not any(problems.values()), problems
