"""Screenshots of the candidate's pages for the docs (not collected by default).

    HEARDBACK_ENV=test .venv/bin/pytest tests/portal/screenshots.py

Writes docs/screenshots/portal-*.png: the job board, the apply form and the status page in
English and German (in the employer's colours, with its logo and contact), a closed job's
page, and the public report card.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from heardback import clock
from heardback.hiring import branding
from heardback.hiring import services as hiring
from heardback.messaging import delivery
from heardback.portal import branding as portal_branding
from heardback.portal import tokens
from heardback.portal.services import set_report_card_public
from heardback.promises.services import close_job
from tests import factories
from tests.portal.test_branding_browser import logo_png

OUT = Path(django_settings.BASE_DIR) / "docs" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_portal_screenshots(
    browser: Any, live_server: Any, settings: Any, smtp_server: Any, time_machine: Any
) -> None:
    settings.SITE_URL = live_server.url
    settings.PORTAL_STATUS_CACHE_SECONDS = 0
    org = factories.make_org(name="Acme Robotics")
    org = branding.set_branding(
        org=org, name="Acme Robotics", reply_to="jobs@acme.example", brand_color="#0f5c4d",
        brand_header_color="#0f3d36", sender_email="",
    )  # fmt: skip
    org = portal_branding.set_logo(org=org, data=logo_png())
    recruiter = factories.make_member(org=org, email="rita@acme.example")
    job = factories.make_job(org=org, title="Robot Whisperer", owner=recruiter)
    job.description = (
        "Our robots sort parcels for half of Europe. You will teach them to be gentle with "
        "fragile things and patient with people.\n\nFull time, Berlin or remote in the EU."
    )
    job.location = "Berlin · remote (EU)"
    job.save()
    for title in ("Gripper Engineer", "Warehouse Safety Lead"):
        factories.make_job(org=org, title=title, owner=recruiter)
    filled = factories.make_job(org=org, title="Fleet Dispatcher", owner=recruiter)
    close_job(job=filled, actor=recruiter, outcome="filled")
    for lang, name in (("en", "Ada Lovelace"), ("de", "Grete Hermann")):
        application = factories.make_application(
            job=job,
            name=name,
            email=f"{lang}@example.net",
            language=lang,
            time_zone="Europe/Berlin",
        )
        application = hiring.advance(application=application, actor=recruiter)
        application = hiring.advance(application=application, actor=recruiter)
        application = hiring.advance(application=application, actor=recruiter)
        delivery.drain()
        token = tokens.issue_token(application)
        context = browser.new_context(viewport={"width": 1100, "height": 900}, locale=lang)
        page = context.new_page()
        try:
            page.goto(f"{live_server.url}/jobs/{org.slug}/?lang={lang}")
            page.screenshot(path=OUT / f"portal-job-board-{lang}.png", full_page=True)
            page.goto(f"{live_server.url}/jobs/{org.slug}/{job.slug}/?lang={lang}")
            page.screenshot(path=OUT / f"portal-apply-{lang}.png", full_page=True)
            page.goto(f"{live_server.url}/s/{token}/")
            page.screenshot(path=OUT / f"portal-status-{lang}.png", full_page=True)
            if lang == "en":
                page.goto(f"{live_server.url}/jobs/{org.slug}/{filled.slug}/")
                page.screenshot(path=OUT / "portal-job-closed-en.png", full_page=True)
        finally:
            context.close()
    # A past season for the report card: applications over the last two months, most
    # answered within their promise, a few late, one withdrawn.
    real_now = clock.now()
    start = real_now - timedelta(days=70)
    for n in range(14):
        time_machine.move_to(start + timedelta(days=3 * n), tick=False)
        application = factories.make_application(job=job, email=f"past{n}@example.net")
        time_machine.move_to(start + timedelta(days=3 * n + 2 + n % 9), tick=False)
        if n == 5:
            hiring.withdraw(application=application)
        elif n == 9:
            hiring.hire(application=application, actor=recruiter)
        else:
            hiring.decline(application=application, reason="other_candidate", actor=recruiter)
        delivery.drain()
    time_machine.move_to(real_now, tick=True)
    set_report_card_public(org=org, public=True, actor=recruiter)
    context = browser.new_context(viewport={"width": 1100, "height": 700})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/employers/{org.slug}/")
        page.screenshot(path=OUT / "portal-report-card-en.png", full_page=True)
    finally:
        context.close()
    assert len(list(OUT.glob("portal-*.png"))) >= 8
