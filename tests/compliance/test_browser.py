"""The compliance side in a real browser against a live server: log an interview on the
application page, see the open duty with its days left on the compliance page, decide, and
download the inspector's CSV, whose text matches what the SMTP server received; then open
the printable evidence."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from heardback import clock
from heardback.compliance.models import AnswerDuty
from heardback.compliance.watchdog import keep_answer_duties
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, DeclineReason, Role
from heardback.messaging import delivery
from tests import factories
from tests.compliance.helpers import ontario_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
LINK = re.compile(r"https?://\S+/s/\S+")


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.SITE_URL = live_server.url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return live_server.url


def test_log_an_interview_see_the_duty_decide_and_export_the_evidence(
    page: Any, site: str, smtp_server: Any
) -> None:
    org = ontario_org(name="Maple Robotics")
    recruiter = factories.make_member(org=org, role=Role.RECRUITER, email="rita@maple.example")
    job = factories.make_job(org=org, title="Field Technician", owner=recruiter)
    application = factories.make_application(job=job, name="Lee Candidate", email="lee@example.net")
    delivery.drain()

    page.goto(f"{site}/app/login/")
    page.get_by_label("Email").fill("rita@maple.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="How reliably we answer").wait_for()

    # An interview two hours ago, typed in the org's local time (Toronto).
    when = (clock.now() - timedelta(hours=2)).astimezone(ZoneInfo("America/Toronto"))
    page.goto(f"{site}/app/applications/{application.pk}/")
    page.get_by_text("Log an interview").click()
    page.get_by_label("When (your organisation's local time)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Kind").select_option("onsite")
    page.get_by_label("Interviewers").fill("Rita, Sam")
    page.get_by_role("button", name="Log interview").click()
    page.get_by_text("Interview logged.").wait_for()
    deadline = page.locator(".legal-deadline")
    assert "Legal deadline" in deadline.inner_text()
    duty = AnswerDuty.objects.get(application=application)
    assert duty.last_interview_at == when.replace(second=0, microsecond=0)

    page.get_by_role("link", name="Compliance").click()
    page.get_by_role("heading", name="Compliance", exact=True).wait_for()
    assert page.locator('[data-count="open"]').inner_text() == "1"
    assert page.locator('[data-count="overdue"]').inner_text() == "0"
    row = page.get_by_role("row", name=re.compile("Lee Candidate"))
    assert row.locator(".days-left").inner_text() in {"44", "45"}

    # The owner decides; the engine records it; the decline goes out over SMTP.
    hiring.decline(
        application=Application.objects.get(pk=application.pk),
        reason=DeclineReason.OTHER_CANDIDATE,
        actor=recruiter,
    )
    keep_answer_duties(now=clock.now(), limit=100)
    delivery.drain()

    page.reload()
    assert page.locator('[data-count="met"]').inner_text() == "1"
    local_day = when.date().isoformat()
    page.locator("#export-job").select_option(str(job.pk))
    page.locator("#export-start").fill(local_day)
    page.locator("#export-end").fill(local_day)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    [decline] = [r for r in rows if r["message_kind"] == "decline"]
    assert decline["candidate"] == "Lee Candidate" and decline["duty"] == "met"
    [mail] = [m for m in smtp_server.to("lee@example.net") if m.subject == decline["subject"]]
    sent = LINK.sub("[private link]", mail.text.replace("\r\n", "\n")).strip()
    assert sent == decline["text"].strip()
    assert decline["delivery_evidence"].count("accepted 250") == 1

    page.goto(f"{site}/app/applications/{application.pk}/evidence/")
    page.get_by_role("heading", name="Evidence: duty to inform an interviewed applicant").wait_for()
    assert page.locator('[data-state="met"]').count() == 1
    assert "O. Reg. 476/24" in page.content()
    assert page.get_by_role("button", name="Print or save as PDF").is_visible()
