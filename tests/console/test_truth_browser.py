"""Previews that tell the truth and a careful hire, in a real browser against a live server,
with the candidate's mail read at a real SMTP server; axe-core finds no serious or critical
violation on the pages involved.

- The close dialog: switching the outcome to "Filled" swaps in that outcome's preview, and
  the email the candidate receives is that preview, byte for byte (text part; the status
  link, which previews never mint, aside).
- Hire: not offered at Applied; at Interview, preview, confirm with the hold, cancel: nothing
  is sent; hire again with the hold: "Welcome aboard" arrives exactly once after it.
- The apply form prefills the name to greet from the name typed, never with a title.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, ApplicationStatus, Candidate
from heardback.messaging import delivery
from heardback.messaging.links import REDACTED
from heardback.promises import scheduler
from heardback.promises.watchdog import send_due_declines
from tests import factories
from tests.console.conftest import World
from tests.console.test_candidate_side_browser import axe_problems, sign_in
from tests.smtp import SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]+/")


@pytest.fixture
def console(browser: Any, live_server: Any, settings: Any) -> Any:
    settings.SITE_URL = live_server.url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # axe is injected as a script, which our strict CSP rightly blocks: bypass it here only.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def test_the_close_dialog_previews_the_chosen_outcome(
    console: Any, live_server: Any, world: World, smtp_server: SmtpServer
) -> None:
    job = factories.make_job(org=world.org, title="Night Chef", owner=world.manager)
    factories.make_application(
        job=job, name="Dr. Lucía García", email="lucia@example.net", language="es"
    )
    delivery.drain()
    smtp_server.handler.received.clear()
    page = console
    sign_in(page, live_server.url, "rec@acme.example")
    page.goto(f"{live_server.url}/app/jobs/{job.pk}/close/")
    subject = page.locator("#closeout-subject")
    assert "cerrado" in subject.inner_text()
    problems = {"close dialog": axe_problems(page)}

    page.get_by_label("Filled").check()
    page.wait_for_function(
        "() => document.querySelector('#closeout-subject').innerText.includes('cubierto')"
    )
    filled_subject = subject.inner_text()
    filled_text = page.locator("#closeout-text").inner_text()
    assert filled_text.startswith("Hola, Lucía:")
    assert "cerrado" not in filled_text
    problems["close dialog, filled"] = axe_problems(page)

    page.get_by_label("Closed (no hire)").check()
    page.wait_for_function(
        "() => document.querySelector('#closeout-subject').innerText.includes('cerrado')"
    )
    page.get_by_label("Filled").check()
    page.wait_for_function(
        "() => document.querySelector('#closeout-subject').innerText.includes('cubierto')"
    )
    page.get_by_role("button", name=re.compile("Close the job")).click()
    page.get_by_text("is filled").wait_for()

    scheduler.run_until_idle()
    delivery.drain()
    (mail,) = smtp_server.to("lucia@example.net")
    assert mail.subject == filled_subject
    received = LINK.sub(REDACTED, mail.text).replace("\r\n", "\n")
    # innerText of a <pre> is its text as written, but for the final newline.
    assert received.rstrip("\n") == filled_text.rstrip("\n")
    assert received == filled_text or received == filled_text + "\n"
    assert not any(problems.values()), problems


def _welcomes(smtp_server: SmtpServer, address: str) -> list[Any]:
    return [m for m in smtp_server.to(address) if "Welcome aboard" in m.subject]


def test_hire_with_a_hold_cancel_then_hire_once(
    console: Any, live_server: Any, world: World, smtp_server: SmtpServer, time_machine: Any
) -> None:
    time_machine.move_to(clock.now(), tick=True)
    grace: Application = world.applications[1]
    address = grace.candidate.email
    page = console
    sign_in(page, live_server.url, "rec@acme.example")

    # At Applied, hiring is not offered.
    page.goto(f"{live_server.url}/app/applications/{grace.pk}/")
    page.get_by_role("heading", name="Decide").wait_for()
    assert page.get_by_role("link", name="Hire…").count() == 0

    interview = world.job.pipeline.stages.filter(coarse_stage="interview").first()
    assert interview is not None
    hiring.move_to_stage(application=grace, stage=interview, actor=world.recruiter)
    delivery.drain()
    problems: dict[str, list[str]] = {}

    page.reload()
    page.get_by_role("link", name="Hire…").click()
    page.get_by_role("heading", name="Hire Grace Hopper").wait_for()
    assert page.locator("#hire-text").inner_text().startswith("Hello Grace,")
    assert page.get_by_label(re.compile("Hold it for 60 minutes")).is_checked()
    problems["hire page"] = axe_problems(page)
    page.get_by_role("button", name="Hire Grace Hopper").click()
    page.get_by_role("button", name="Cancel the hire").wait_for()
    problems["application, hire held"] = axe_problems(page)
    page.get_by_role("button", name="Cancel the hire").click()
    page.get_by_text("The hire is cancelled. Nothing was sent.").wait_for()

    time_machine.shift(timedelta(hours=2))
    assert send_due_declines(now=clock.now(), limit=100) == 0
    scheduler.run_until_idle()
    delivery.drain()
    assert _welcomes(smtp_server, address) == []
    grace.refresh_from_db()
    assert grace.status == ApplicationStatus.ACTIVE and not grace.pending_hire

    page.get_by_role("link", name="Hire…").click()
    page.get_by_role("button", name="Hire Grace Hopper").click()
    page.get_by_role("button", name="Cancel the hire").wait_for()
    assert send_due_declines(now=clock.now(), limit=100) == 0  # still held
    time_machine.shift(timedelta(minutes=61))
    scheduler.run_until_idle()
    delivery.drain()
    scheduler.run_until_idle()
    delivery.drain()
    assert len(_welcomes(smtp_server, address)) == 1
    grace.refresh_from_db()
    assert grace.status == ApplicationStatus.HIRED
    page.reload()
    assert page.get_by_role("button", name="Cancel the hire").count() == 0
    assert not any(problems.values()), problems


def test_the_apply_form_prefills_the_name_to_greet(
    console: Any, live_server: Any, world: World, smtp_server: SmtpServer
) -> None:
    page = console
    page.goto(f"{live_server.url}/jobs/{world.org.slug}/{world.job.slug}/")
    page.get_by_label("Your name").fill("Dr. Ana María López")
    greeting = page.get_by_label("The name we should greet you by")
    assert greeting.input_value() == "Ana"
    page.get_by_label("Your name").fill("López, Ana")
    assert greeting.input_value() == "Ana"
    problems = axe_problems(page)
    greeting.fill("Anita")
    page.get_by_label("Your name").fill("Dr. Ana María López-Ruiz")
    assert greeting.input_value() == "Anita"  # theirs once edited
    page.get_by_label("Email address").fill("ana@example.net")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send my application").click()
    page.get_by_text("Thank you for applying").wait_for()
    assert Candidate.objects.get(email="ana@example.net").greeting_name == "Anita"
    delivery.drain()
    (mail,) = smtp_server.to("ana@example.net")
    assert mail.text.startswith("Hello Anita,")
    assert not problems, problems


def test_the_other_pages_touched_pass_axe(
    console: Any, live_server: Any, world: World, smtp_server: SmtpServer
) -> None:
    from heardback.portal import tokens
    from heardback.portal.services import set_report_card_public

    lucia = factories.make_application(
        job=world.job, name="Dr. Lucía García", email="lucia@example.net", language="es"
    )
    set_report_card_public(org=world.org, public=True, actor=world.admin)
    page = console
    problems: dict[str, list[str]] = {}
    page.goto(f"{live_server.url}/s/{tokens.issue_token(lucia)}/")
    page.get_by_text("¡Hola, Lucía!").wait_for()
    problems["status page"] = axe_problems(page)
    page.goto(f"{live_server.url}/employers/{world.org.slug}/")
    problems["report card"] = axe_problems(page)

    sign_in(page, live_server.url, "rec@acme.example")
    page.goto(f"{live_server.url}/app/applications/{lucia.pk}/decline/")
    page.locator("#decline-text").wait_for()
    hold_days = page.get_by_label("Business days to hold it")
    page.get_by_label("Hold it, then send").check()
    hold_days.wait_for(state="visible")
    page.get_by_label("Send now").check()
    page.get_by_text("Sent as soon as you press Decline.").wait_for()
    assert hold_days.is_hidden()  # means nothing when it goes at once
    problems["decline"] = axe_problems(page)
    interview = world.job.pipeline.stages.filter(coarse_stage="interview").first()
    assert interview is not None
    page.goto(f"{live_server.url}/app/applications/{lucia.pk}/move/?stage={interview.pk}")
    assert page.locator("#move-text").inner_text().startswith("Hola, Lucía:")
    problems["move"] = axe_problems(page)
    page.goto(f"{live_server.url}/app/applications/{lucia.pk}/")
    problems["application"] = axe_problems(page)
    page.goto(f"{live_server.url}/app/jobs/{world.job.pk}/")
    problems["board"] = axe_problems(page)
    page.goto(f"{live_server.url}/app/")
    problems["dashboard"] = axe_problems(page)
    assert not any(problems.values()), problems
