"""The daily digest (through the real outbox and a real SMTP server), the .ics feed, stats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from icalendar import Calendar

from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.seeker import selectors, services
from heardback.seeker.digest import send_daily_digests
from heardback.seeker.models import SeekerProfile, Status

from .conftest import make_seeker

pytestmark = pytest.mark.django_db


def interviewed(user: Any, *, company: str = "Acme", held_on: date = date(2026, 11, 25)) -> Any:
    app = services.create_application(
        owner=user, company=company, role="Engineer", applied_on=date(2026, 11, 10),
        source="LinkedIn",
    )  # fmt: skip
    services.log_interview(owner=user, application_id=app.pk, held_on=held_on)
    return app


def test_daily_digest_once_per_day_and_only_when_opted_in(smtp_server: Any) -> None:
    keen = make_seeker(digest_opt_in=True, time_zone="Europe/Berlin")
    quiet = make_seeker(digest_opt_in=False)
    nothing_due = make_seeker(digest_opt_in=True)
    for user in (keen, quiet):
        interviewed(user)
    early = datetime(2026, 12, 2, 5, 30, tzinfo=UTC)  # 06:30 in Berlin: too early
    assert send_daily_digests(now=early, limit=100) == 0
    morning = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    with time_machine.travel(morning, tick=False):
        assert send_daily_digests(now=morning, limit=100) == 1
        assert send_daily_digests(now=morning, limit=100) == 0  # claimed for today
        delivery.drain()
    # (The confirmation links of the sign-ups went out too; only the digest is counted.)
    (mail,) = [m for m in smtp_server.received if m.subject.startswith("Needs you today")]
    assert mail.rcpt_tos == [SeekerProfile.objects.get(user=keen).email]
    assert mail.subject.startswith("Needs you today: 2 things")
    assert "Send your thank-you note to Acme" in mail.text
    assert "Follow up with Acme (1 of 2)" in mail.text
    assert "/seeker/profile/" in mail.text  # how to turn it off
    assert SeekerProfile.objects.get(user=nothing_due).digest_last_sent_on == date(2026, 12, 2)
    # The next day brings the next digest, with its own idempotency key.
    next_day = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert send_daily_digests(now=next_day, limit=100) == 1
    keys = sorted(Message.objects.filter(kind="seeker_digest").values_list(
        "idempotency_key", flat=True))  # fmt: skip
    assert keys == [f"seeker-digest:{keen.pk}:2026-12-02", f"seeker-digest:{keen.pk}:2026-12-03"]


def test_digest_respects_the_limit() -> None:
    users = [make_seeker(digest_opt_in=True) for _ in range(3)]
    for user in users:
        interviewed(user)
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert send_daily_digests(now=now, limit=2) == 2
    assert send_daily_digests(now=now, limit=2) == 1
    assert send_daily_digests(now=now, limit=2) == 0


def test_ics_feed_validates_and_carries_the_reminders(client: Any) -> None:
    user = make_seeker()
    with time_machine.travel(datetime(2026, 11, 25, 9, tzinfo=UTC), tick=False):
        app = interviewed(user)
        services.log_interview(owner=user, application_id=app.pk, held_on=date(2026, 11, 25),
                               promise_phrase="by Friday")  # fmt: skip
        token = services.issue_calendar_token(owner=user)
        response = client.get(f"/seeker/calendar/{token}.ics")
    assert len(token) >= 43  # 32 random bytes
    profile = SeekerProfile.objects.get(user=user)
    assert token not in (profile.calendar_token_hash or "")
    assert response["Content-Type"] == "text/calendar"
    calendar = Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert "Acme's promised date: Fri 27 Nov" in summaries
    assert "Follow up with Acme (1 of 2)" in summaries
    assert summaries.count("Send your thank-you note to Acme") == 2
    for event in events:
        assert event.get("UID") and event.get("DTSTAMP") and event.get("DTSTART")
    assert len({str(e["UID"]) for e in events}) == len(events)
    # A new link replaces the old one.
    newer = services.issue_calendar_token(owner=user)
    assert client.get(f"/seeker/calendar/{token}.ics").status_code == 404
    assert client.get(f"/seeker/calendar/{newer}.ics").status_code == 200


def test_calendar_page_shows_the_link_once(client: Any) -> None:
    user = make_seeker()
    client.force_login(user)
    page = client.post("/seeker/calendar/", {"action": "issue"}).content.decode()
    assert ".ics" in page
    assert ".ics" not in client.get("/seeker/calendar/").content.decode()


def test_stats() -> None:
    user = make_seeker()
    a = services.create_application(
        owner=user, company="A", role="R", applied_on=date(2026, 10, 1), source="LinkedIn"
    )
    services.log_interview(owner=user, application_id=a.pk, held_on=date(2026, 10, 11))
    services.set_status(owner=user, application_id=a.pk, status=Status.GHOSTED)
    b = services.create_application(
        owner=user, company="B", role="R", applied_on=date(2026, 10, 1), source="Referral"
    )
    services.log_interview(owner=user, application_id=b.pk, held_on=date(2026, 10, 5))
    services.set_status(owner=user, application_id=b.pk, status=Status.REJECTED)
    e = services.create_application(
        owner=user, company="E", role="R", applied_on=date(2026, 11, 1), source="Referral"
    )
    services.log_interview(owner=user, application_id=e.pk, held_on=date(2026, 11, 5))
    services.create_application(
        owner=user, company="C", role="R", applied_on=date(2026, 10, 1), source="LinkedIn"
    )
    services.create_application(owner=user, company="D", role="R", applied_on=date(2026, 10, 1),
                                source="LinkedIn")  # fmt: skip
    result = selectors.stats(owner=user)
    assert result.applications == 5 and result.responses == 3
    assert result.response_rate == 60
    # E is still open: only A (ghosted) and B (rejected) have ended.
    assert result.interviewed == 3 and result.finished_after_interview == 2
    assert result.ghost_rate == 50
    assert result.median_days_to_first_response == 4  # 10, 4 and 4 days
    linkedin = next(s for s in result.by_source if s.source == "LinkedIn")
    assert (linkedin.applications, linkedin.responses, linkedin.ghosted) == (3, 1, 1)
    assert result.published_ghost_rate == (43, 61)


def test_stats_page_shows_the_published_range(client: Any) -> None:
    user = make_seeker()
    client.force_login(user)
    page = client.get("/seeker/stats/").content.decode()
    assert "43\u201361%" in page
