"""The console in a real browser against a live server, with the candidate's mail read at a
real SMTP server: sign in, create a job, a candidate applies, move them through stages (by
button and by drag), hold a decline and cancel it, close the job, read the dashboard; and a
bulk decline of 200 with the progress bar reaching 100%.

Screenshots of the main pages go to docs/screenshots/console-*.png.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from heardback import clock
from heardback.console.bulk import run_bulk_actions
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, ApplicationStatus, Job, JobStatus, Role
from heardback.messaging import delivery
from heardback.promises.closeout import run_close_outs
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.SITE_URL = live_server.url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return live_server.url


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=full_page)


def sign_in(page: Any, site: str, email: str) -> None:
    page.goto(f"{site}/app/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="How reliably we answer").wait_for()


def subjects(smtp_server: Any, address: str) -> list[str]:
    return [mail.subject for mail in smtp_server.to(address)]


def test_recruiter_runs_a_job_from_start_to_close(page: Any, site: str, smtp_server: Any) -> None:
    org = factories.make_org(name="Lumen Labs")
    recruiter = factories.make_member(org=org, role=Role.ADMIN, email="riley@lumen.example")
    recruiter.user.first_name, recruiter.user.last_name = "Riley", "Reyes"
    recruiter.user.save()

    sign_in(page, site, "riley@lumen.example")
    shot(page, "dashboard-empty")

    # Create a job from the standard pipeline template.
    page.get_by_role("link", name="Jobs").click()
    page.get_by_role("link", name="New job").click()
    page.get_by_label("Job title").fill("Platform Engineer")
    page.get_by_label("Location").fill("Lisbon or remote")
    shot(page, "job-new")
    page.get_by_role("button", name="Create and open the job").click()
    page.get_by_role("heading", name=re.compile("Platform Engineer")).wait_for()
    job = Job.objects.get(org=org, title="Platform Engineer")

    # A candidate applies on the public job page.
    candidate_page = page.context.browser.new_page()
    candidate_page.goto(f"{site}/jobs/{org.slug}/{job.slug}/")
    candidate_page.get_by_label("Your name").fill("Mara Quinn")
    candidate_page.get_by_label("Email address").fill("mara@example.net")
    candidate_page.get_by_label("Phone").fill("+351 21 000 0000")
    candidate_page.get_by_label("I agree").check()
    candidate_page.get_by_role("button", name="Send my application").click()
    candidate_page.get_by_role("heading", name="Thank you for applying").wait_for()
    candidate_page.close()
    delivery.drain()
    assert subjects(smtp_server, "mara@example.net") == [
        "We received your application for Platform Engineer"
    ]

    # The board: Mara is in "Applied"; move her on by button, with the preview first.
    page.reload()
    card = page.locator(".card-item", has_text="Mara Quinn")
    card.wait_for()
    assert "1" in page.locator(".column", has_text="Applied").locator(".count").inner_text()
    shot(page, "board-first-candidate")
    card.get_by_role("button", name="Move…").click()
    page.get_by_text("They will get this message").wait_for()
    assert "is now being reviewed by the team" in page.locator("pre.mail").inner_text()
    shot(page, "move-preview")
    page.get_by_role("button", name="Move and send").click()
    page.get_by_text("Mara Quinn moved to Recruiter screen.").wait_for()

    # And by drag: onto the "Interview" column, which opens the same preview.
    card = page.locator(".card-item", has_text="Mara Quinn")
    interview = page.locator("section.column", has=page.get_by_role("heading", name="Interview"))
    card.drag_to(interview.first)
    page.get_by_role("heading", name="Move Mara Quinn to Interview").wait_for()
    page.get_by_role("button", name="Move and send").click()
    page.get_by_text("Mara Quinn moved to Interview.").wait_for()
    delivery.drain()
    assert subjects(smtp_server, "mara@example.net")[1:] == [
        "Your application for Platform Engineer is in review",
        "Next step for Platform Engineer: an interview",
    ]

    # The application page: decline, held for two business days, then cancelled.
    page.locator(".card-item", has_text="Mara Quinn").get_by_role("link").click()
    page.get_by_role("heading", name="Timeline").wait_for()
    shot(page, "application")
    page.get_by_role("link", name="Decline…").click()
    page.get_by_label("1. Reason").select_option("other_candidate")
    page.get_by_role("button", name="Use this reason's message").click()
    page.get_by_label("Subject").fill("About {{ job_title }}")
    page.get_by_label("Message").fill(
        "Hello {{ first_name }},\n\nWe chose someone else this time. Thank you, truly."
    )
    preview = page.locator("#decline-preview")
    preview.get_by_text("We chose someone else this time.").wait_for()  # the live preview
    assert "About Platform Engineer" in preview.inner_text()
    page.get_by_label("Hold it, then send").check()
    page.get_by_label("Business days to hold it").fill("2")
    shot(page, "decline")
    page.get_by_role("button", name="Decline", exact=True).click()
    page.get_by_text("A decline is on hold").wait_for()
    application = Application.objects.get(job=job)
    assert application.pending_decline_at is not None
    page.get_by_role("button", name="Cancel the decline").click()
    page.get_by_text("The decline is cancelled").wait_for()
    application.refresh_from_db()
    assert application.pending_decline_at is None
    assert application.status == ApplicationStatus.ACTIVE
    delivery.drain()
    assert not any("someone else" in m.text for m in smtp_server.to("mara@example.net"))

    # Close the job: the preview says who gets what; then the close-out reaches Mara.
    page.get_by_role("link", name="← Platform Engineer").click()
    page.get_by_role("link", name="Close or fill…").click()
    assert page.locator("#closeout-count").inner_text() == "1"
    preview_text = page.locator("pre.mail").inner_text()
    preview_subject = page.locator("p", has_text="Subject:").inner_text()
    assert "Hello Mara" in preview_text
    shot(page, "close")
    page.get_by_role("button", name=re.compile("Close the job and tell 1 candidate")).click()
    page.get_by_text("is closed").wait_for()
    job.refresh_from_db()
    assert job.status == JobStatus.CLOSED
    run_close_outs(now=clock.now(), limit=100)
    delivery.drain()
    final = smtp_server.to("mara@example.net")[-1]
    assert preview_subject == f"Subject: {final.subject}"  # what the preview promised...
    assert preview_text.strip().splitlines()[:3] == final.text.strip().splitlines()[:3]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DECLINED

    # The dashboard: one finished application, and it heard back.
    page.get_by_role("link", name="Dashboard").click()
    assert page.locator("#m-hear-back").inner_text() == "100%"
    assert page.locator("#m-overdue").inner_text() == "0"
    shot(page, "dashboard-after-close")


def test_bulk_decline_200_with_progress_to_100(page: Any, site: str, smtp_server: Any) -> None:
    org = factories.make_org(name="Big Intake Ltd")
    factories.make_member(org=org, role=Role.RECRUITER, email="rec@big.example")
    owner = factories.make_member(org=org, role=Role.HIRING_MANAGER)
    job = factories.make_job(org=org, title="Graduate Programme", owner=owner)
    for n in range(200):
        hiring.apply(job=job, name=f"Applicant {n:03d}", email=f"a{n:03d}@example.net")
    delivery.drain()
    assert len(smtp_server.received) == 200

    sign_in(page, site, "rec@big.example")
    page.goto(f"{site}/app/jobs/{job.pk}/")
    page.get_by_label("All 200 matching").check()
    page.get_by_label("Bulk action").select_option("decline")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("heading", name="200 candidates selected").wait_for()
    page.get_by_label("Reason").select_option("position_closed")
    page.get_by_role("button", name="Use this reason's message").click()
    shot(page, "bulk-preview")
    page.get_by_role("button", name="Decline 200 candidates").click()
    page.get_by_label("Progress").wait_for()

    # The scheduler step runs beside the live server, in small chunks so the bar moves.
    seen: list[str] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            while run_bulk_actions(now=clock.now(), limit=20):
                time.sleep(0.3)
        except BaseException as error:  # surfaced in the test thread below
            errors.append(error)
        finally:
            connection.close()

    worker = threading.Thread(target=scheduler)
    worker.start()
    percent = page.locator("#bulk-percent")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = percent.inner_text()
        if not seen or seen[-1] != text:
            seen.append(text)
        if text == "100%":
            break
        time.sleep(0.2)
    worker.join(timeout=60)
    assert not errors, errors
    assert seen[-1] == "100%", seen
    assert len(seen) >= 3, f"the bar should move through steps, saw {seen}"
    page.get_by_role("heading", name="Summary").wait_for()
    assert "200 done" in page.locator(".summary").inner_text()
    shot(page, "bulk-done")

    assert Application.objects.filter(job=job, status=ApplicationStatus.DECLINED).count() == 200
    delivery.drain()
    finals = [m for m in smtp_server.received if "closed" in m.text and "Graduate" in m.text]
    assert len(finals) == 200
    assert {tuple(m.rcpt_tos) for m in finals} == {(f"a{n:03d}@example.net",) for n in range(200)}
