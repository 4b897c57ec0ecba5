"""The console side: interviews logged on the application page, the compliance page, and
the inspector's evidence (CSV parsed back and checked against what the SMTP server got;
the printable page per applicant)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from heardback.compliance.models import AnswerDuty, Interview
from heardback.hiring import services as hiring
from heardback.hiring.models import DeclineReason, Role
from heardback.messaging import delivery
from heardback.messaging.models import Message
from tests.compliance.helpers import ontario_org, run_clock
from tests.factories import make_application, make_job, make_member, make_org
from tests.smtp import Behaviour, SmtpServer

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in Toronto
LINK = re.compile(r"https?://\S+/s/\S+")


def signed_in(member: Any) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_an_interview_logged_on_the_application_page_in_local_time(settings: Any) -> None:
    with time_machine.travel(START, tick=False):
        org = ontario_org()
        recruiter = make_member(org=org, role=Role.RECRUITER)
        application = make_application(job=make_job(org=org))
        client = signed_in(recruiter)
        response = client.post(
            f"/app/applications/{application.pk}/interviews/",
            {"starts_at": "2026-03-02T10:00", "kind": "video", "interviewers": "Rita"},
        )
        assert response.status_code == 302
        [interview] = Interview.objects.filter(application=application)
        # 10:00 in Toronto (EST) is 15:00 UTC.
        assert interview.starts_at == START and interview.source == "console"
        assert interview.recorded_by == recruiter.display_name
        page = client.get(f"/app/applications/{application.pk}/").content.decode()
        assert "Legal deadline" in page and "end of Thu 16 Apr 2026" in page
        # Bad input: a clear message, nothing logged.
        response = client.post(
            f"/app/applications/{application.pk}/interviews/",
            {"starts_at": "next tuesday", "kind": "video"},
            follow=True,
        )
        assert "The interview was not logged" in response.content.decode()
        assert Interview.objects.filter(application=application).count() == 1
        # "Did not happen": the deadline goes with it.
        client.post(f"/app/applications/{application.pk}/interviews/{interview.pk}/cancel/")
        assert not AnswerDuty.objects.filter(application=application).exists()


def test_another_orgs_member_can_neither_log_nor_read_evidence() -> None:
    with time_machine.travel(START, tick=False):
        org = ontario_org()
        application = make_application(job=make_job(org=org))
        outsider = make_member(org=make_org(), role=Role.ADMIN)
        client = signed_in(outsider)
        response = client.post(
            f"/app/applications/{application.pk}/interviews/",
            {"starts_at": "2026-03-02T10:00", "kind": "video"},
        )
        assert response.status_code == 404 and not Interview.objects.exists()
        assert client.get(f"/app/applications/{application.pk}/evidence/").status_code == 404


def test_evidence_csv_matches_what_the_smtp_server_received(
    smtp_server: SmtpServer,
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = ontario_org()
        admin = org.members.get(role=Role.ADMIN)
        job = make_job(org=org, title="Robotics Engineer")
        quiet = make_application(job=job, name="Quinn Quiet", email="quinn@example.net")
        decided = make_application(job=job, name="Dana Decided", email="dana@example.net")
        never = make_application(job=job, name="Nia Never", email="nia@example.net")
        for application in (quiet, decided):
            hiring_interview(application, START)
        smtp_server.handler.behaviour = Behaviour(default="250 2.0.0 Ok: queued")
        delivery.drain()
        # Day 10: Dana is declined. Nobody decides about Quinn: the engine sends the notice.
        traveller.move_to(START + timedelta(days=10))
        decided.refresh_from_db()
        hiring.decline(application=decided, reason=DeclineReason.OTHER_CANDIDATE, actor=admin)
        run_clock(traveller, START + timedelta(days=44), step=timedelta(hours=12))
        delivery.drain()
        client = signed_in(admin)
        response = client.get(
            "/app/compliance/export.csv",
            {"job": job.pk, "start": "2026-03-01", "end": "2026-03-31"},
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))

    by_candidate: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_candidate.setdefault(row["email"], []).append(row)
    assert set(by_candidate) == {"quinn@example.net", "dana@example.net"}  # Nia: no interview
    assert never.pk not in {int(r["application_id"]) for r in rows}
    received = {m.message["Message-ID"]: m for m in smtp_server.received}
    for email, mine in by_candidate.items():
        for row in mine:
            assert row["duty"] == "met" and row["channel"] == "email" and row["to"] == email
            message = Message.objects.get(pk=int(row["message_id"]))
            mail = received[message.provider_message_id]
            # The exact text the server received, with the private link as the export shows it.
            sent_text = LINK.sub("[private link]", mail.text.replace("\r\n", "\n"))
            assert sent_text.strip() == row["text"].strip()
            assert mail.subject == row["subject"]
            assert "accepted 250 250 2.0.0 Ok: queued" in row["delivery_evidence"]
            assert row["sent_at"] and row["queued_at"] <= row["legal_deadline"]
    # Quinn also had the engine's own promise updates; the legal notice is among them.
    notices = [
        r
        for r in by_candidate["quinn@example.net"]
        if "no hiring decision has been made yet" in r["text"]
    ]
    assert len(notices) == 1 and notices[0]["message_kind"] == "no_decision_yet"
    assert notices[0]["answered_at"] == notices[0]["queued_at"]
    [decline] = [r for r in by_candidate["dana@example.net"] if r["message_kind"] == "decline"]
    assert decline["decided_at"] == decline["queued_at"]


def hiring_interview(application: Any, at: datetime) -> None:
    from heardback.compliance import services

    services.log_interview(
        application=application,
        starts_at=at,
        kind="onsite",
        interviewers="Ada",
        source="console",
        recorded_by="test",
    )


def test_the_compliance_page_and_the_printable_evidence() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = ontario_org()
        owner = make_member(org=org, role=Role.HIRING_MANAGER)
        job = make_job(org=org, title="Welder", owner=owner)
        application = make_application(job=job, name="Olu Open")
        hiring_interview(application, START)
        traveller.move_to(START + timedelta(days=5))
        admin = org.members.get(role=Role.ADMIN)
        page = signed_in(admin).get("/app/compliance/").content.decode()
        assert 'data-count="open">1<' in page and 'data-count="overdue">0<' in page
        assert "Welder" in page and owner.display_name in page and "Olu Open" in page
        assert re.search(r'class="days-left">40<', page), page
        evidence = signed_in(owner).get(f"/app/applications/{application.pk}/evidence/")
        text = evidence.content.decode()
        assert evidence.status_code == 200
        assert "Ontario ESA (2026)" in text and "O. Reg. 476/24" in text
        assert 'data-state="open"' in text
        # Nobody ran the engine: 46 days later the page counts it overdue.
        traveller.move_to(START + timedelta(days=46))
        page = signed_in(admin).get("/app/compliance/").content.decode()
        assert re.search(r'data-count="overdue"[^>]*>1<', page)
