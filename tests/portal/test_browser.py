"""The candidate's whole journey in a real browser: apply, get the email, follow, withdraw."""

from __future__ import annotations

from typing import Any

import pytest

from heardback.hiring.models import Application, ApplicationStatus
from heardback.messaging import delivery
from heardback.portal.selectors import long_date
from tests import factories
from tests.portal.conftest import token_from

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.SITE_URL = live_server.url
    return live_server.url


def test_apply_follow_and_withdraw(page: Any, site: str, smtp_server: Any) -> None:
    org = factories.make_org(name="Acme Robotics")
    factories.make_job(org=org, title="Robot Whisperer")
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))

    page.goto(f"{site}/jobs/{org.slug}/")
    page.get_by_role("link", name="Robot Whisperer").click()
    page.get_by_label("Your name").fill("Grace Hopper")
    page.get_by_label("Email address").fill("grace@example.net")
    page.get_by_label("Your CV (optional)").set_input_files(
        files=[{"name": "grace.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send my application").click()
    page.get_by_role("heading", name="Thank you for applying").wait_for()

    # The acknowledgement arrives at the mail server at once, with the status link.
    delivery.drain()
    (mail,) = smtp_server.to("grace@example.net")
    application = Application.objects.get(candidate__email="grace@example.net")
    token = token_from(mail.text)
    assert f"{site}/s/{token}/" in mail.text

    requests.clear()
    page.goto(f"{site}/s/{token}/")
    expected_date = long_date(
        application.respond_by, time_zone=application.candidate.time_zone, language="en"
    )
    page.get_by_text(f"You'll hear from us by {expected_date}.").wait_for()
    current = page.locator('.progress [aria-current="step"]')
    assert current.inner_text().startswith("Received")
    assert "We received your application for Robot Whisperer" in page.content()

    # Nothing the page loads (or links to) learns the token through Referer.
    page.get_by_role("link", name="JSON", exact=True).click()
    page.wait_for_load_state()
    same_site = [r for r in requests if r.url.startswith(site)]
    assert len(same_site) >= 3  # the page, its stylesheets, the JSON
    for request in same_site:
        headers = request.all_headers()
        assert not headers.get("referer"), (request.url, headers.get("referer"))
        assert all(token not in value for value in headers.values()), request.url
    page.go_back()

    page.get_by_role("button", name="Withdraw my application").click()
    page.get_by_role("heading", name="Withdraw your application?").wait_for()
    page.get_by_role("button", name="Yes, withdraw my application").click()
    page.get_by_text("Your application has been withdrawn.").wait_for()
    assert page.locator('.progress [aria-current="step"]').inner_text().startswith("Closed")
    assert page.get_by_role("button", name="Withdraw my application").count() == 0
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    delivery.drain()
    assert smtp_server.to("grace@example.net")[-1].subject == (
        "You withdrew your application for Robot Whisperer"
    )


def test_a_spanish_speaker_in_bogota(browser: Any, site: str, smtp_server: Any) -> None:
    """The browser's language picks the page language; its time zone goes with the form."""
    org = factories.make_org(name="Acme Robotics")
    job = factories.make_job(org=org, title="Robot Whisperer")
    context = browser.new_context(locale="es-ES", timezone_id="America/Bogota")
    page = context.new_page()
    try:
        page.goto(f"{site}/jobs/{org.slug}/{job.slug}/")
        page.get_by_label("Tu nombre").fill("Gabriel García")
        page.get_by_label("Correo electrónico").fill("gabo@example.net")
        page.get_by_label("Acepto").check()
        page.get_by_role("button", name="Enviar mi candidatura").click()
        page.wait_for_load_state()
        page.get_by_role("heading", name="Gracias por tu candidatura").wait_for()
    finally:
        context.close()
    candidate = Application.objects.get().candidate
    assert (candidate.language, candidate.time_zone) == ("es", "America/Bogota")
    delivery.drain()
    (mail,) = smtp_server.to("gabo@example.net")
    assert mail.subject == "Hemos recibido tu candidatura para Robot Whisperer"
