"""The seed's five steps in a real browser, with the clock moved on between them.

The live server runs in a thread of this process, so `clock.use_clock` with a virtual clock
moves the app's time for it too (Django's own session expiry keeps real time).
Set HEARDBACK_SCREENSHOTS=1 to refresh docs/screenshots/seeker-today.png.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from heardback import clock
from heardback.seeker import services
from heardback.seeker.models import JobApplication

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page: Any, name: str) -> None:
    if os.environ.get("HEARDBACK_SCREENSHOTS"):
        page.screenshot(path=str(SCREENSHOTS / f"seeker-{name}.png"), full_page=True)


def test_log_thank_follow_up_twice_and_be_refused_a_third(page: Any, live_server: Any) -> None:
    virtual = clock.VirtualClock(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    base = live_server.url
    with clock.use_clock(virtual):
        # Sign up as a job seeker and fill in the profile the drafts are signed with.
        page.goto(f"{base}/seeker/signup/")
        page.get_by_label("Your name").fill("Robin Example")
        page.get_by_label("Email").fill("robin@example.org")
        page.get_by_label("Password").fill("a long and memorable passphrase 42")
        page.get_by_label("Country (for public holidays)").fill("GB")
        page.get_by_label("Time zone").select_option("Europe/London")
        page.get_by_role("button", name="Create my account").click()
        page.get_by_label("Phone").fill("+44 20 7946 0000")
        page.get_by_label("Qualifications").fill("Ten years of Python\nPayments systems")
        page.get_by_role("button", name="Save").click()
        assert "Saved" in page.inner_text(".flash")

        # Step 0: the application.
        page.goto(f"{base}/seeker/applications/new/")
        page.get_by_label("Company").fill("Acme")
        page.get_by_label("Role").fill("Platform Engineer")
        page.get_by_label("Contact name").fill("Jo Bloggs")
        page.get_by_label("Contact email").fill("jo@acme.test")
        page.get_by_label("Applied on").fill("2026-11-10")
        page.get_by_role("button", name="Save").click()
        assert page.locator("h1").inner_text().startswith("Platform Engineer")

        # Step 1: the interview, where nobody gave a date.
        page.get_by_role("link", name="Log an interview").click()
        page.get_by_label("Interview date").fill("2026-11-25")
        page.get_by_label("Interviewer(s)").fill("Sam Lee")
        page.get_by_label("Something interesting they said").fill(
            "They ship the billing system in small, reversible steps"
        )
        page.get_by_role("button", name="Log it and draft my thank-you").click()

        # Step 2: the thank-you draft, at once, with the checker and the mail links.
        assert "No date was given, so we're assuming a week" in page.inner_text(".flash")
        note = page.locator("#note-text")
        assert note.input_value().startswith("Dear Sam,")
        assert page.locator(".checks .present").count() == 6
        mailto = page.get_by_role("link", name="Open in my mail app").get_attribute("href")
        assert mailto.startswith("mailto:jo@acme.test?subject=Thank%20you")
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page.get_by_role("button", name="Copy to clipboard").click()
        page.wait_for_function("document.querySelector('.copied').textContent.length > 0")
        edited = re.sub(r"\n\nI look forward[^\n]*", "", note.input_value())
        note.fill(edited)
        page.get_by_role("button", name="Save and check").click()
        assert page.locator(".checks .missing").all_inner_texts() == [
            "○ Looking forward to hearing from them: missing"
        ]
        shot(page, "thank-you")
        page.get_by_role("button", name="I sent it").click()
        assert "Thank-you sent" in page.inner_text(".flash")

        # Nothing is due until a week has passed.
        page.goto(f"{base}/seeker/")
        assert "Nothing needs you today" in page.inner_text("main")

        # Step 3: a week later, the first follow-up is due.
        virtual.advance(timedelta(days=7))
        page.reload()
        assert "Follow up with Acme (1 of 2)" in page.inner_text("main")
        page.get_by_role("button", name="Draft follow-up 1").click()
        assert "still very interested" in page.locator("#note-text").input_value()
        page.get_by_role("button", name="I sent it").click()

        virtual.advance(timedelta(days=7))
        page.goto(f"{base}/seeker/")
        assert "Follow up with Acme (2 of 2)" in page.inner_text("main")
        page.get_by_role("button", name="Draft follow-up 2").click()
        page.get_by_role("button", name="I sent it").click()

        # Steps 4 and 5: a third is refused, kindly, and moving on is proposed.
        page.get_by_role("button", name="Draft a follow-up").click()
        refusal = page.inner_text("main")
        assert "Don't harass them" in refusal and "may hurt if they're still deciding" in refusal
        assert "escalat" not in refusal.lower()
        shot(page, "refusal")

        virtual.advance(timedelta(days=7))
        _more_applications(virtual.current.date())
        page.goto(f"{base}/seeker/")
        today = page.inner_text("main")
        for heading in ("Thank-you notes owed", "Follow-ups due", "Promised dates passing",
                        "Applications to close"):  # fmt: skip
            assert heading in today
        assert "Time to move on from Acme?" in today
        shot(page, "today")
        page.get_by_role("link", name="Time to move on from Acme?").click()
        shot(page, "application")
        page.goto(f"{base}/seeker/")

        page.get_by_role("button", name="Mark ghosted and move on").first.click()
        assert "Marked ghosted" in page.inner_text(".flash")
        assert JobApplication.objects.get(company="Acme").status == "ghosted"

        # The board and the numbers reflect it.
        page.get_by_role("link", name="Board").click()
        assert "Acme" in page.inner_text("section[aria-label='Ghosted']")
        shot(page, "board")
        page.get_by_role("link", name="Stats").click()
        assert "43\u201361%" in page.inner_text("main")
        shot(page, "stats")


def _more_applications(today: date) -> None:
    """A few more applications in other states, so "Needs you today" shows every section."""
    user = JobApplication.objects.get(company="Acme").owner
    globex = services.create_application(
        owner=user, company="Globex", role="Backend Developer", applied_on=today - timedelta(20),
        source="Referral",
    )  # fmt: skip
    services.log_interview(
        owner=user,
        application_id=globex.pk,
        held_on=today,
        interviewers="Priya",
        promise_phrase="within two weeks",
    )
    initech = services.create_application(
        owner=user, company="Initech", role="Site Reliability Engineer",
        applied_on=today - timedelta(30),
    )  # fmt: skip
    services.log_interview(
        owner=user,
        application_id=initech.pk,
        held_on=today - timedelta(6),
        promise_phrase=f"by {today:%d %B %Y}",
    )
    umbrella = services.create_application(
        owner=user, company="Umbrella", role="Data Engineer", applied_on=today - timedelta(25)
    )
    interview = services.log_interview(
        owner=user, application_id=umbrella.pk, held_on=today - timedelta(9)
    )
    services.mark_thank_you_sent(owner=user, interview_id=interview.pk)
