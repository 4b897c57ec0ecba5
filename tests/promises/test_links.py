"""One-click decision links from nudge emails, through real HTTP requests (Django's client).

A link opens a confirmation page; only a POST by the member it was sent to acts, once.
Expired, tampered, replayed, someone else's or unknown links are refused with a page that
says why, and the right status.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from heardback.hiring.models import Application, ApplicationStatus, Role
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.promises import scheduler, services
from heardback.promises.links import issue_link
from heardback.promises.models import ActionKind, ActionLink
from tests.factories import make_application, make_job, make_member, make_org
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def _path(url: str) -> str:
    return urlsplit(url).path


def _setup(**policy: int | str):
    org = make_org()
    admin = make_member(org=org, role=Role.ADMIN)
    if policy:
        services.update_policy(org=org, actor=admin, **policy)
    owner = make_member(org=org, role=Role.HIRING_MANAGER)
    job = make_job(org=org, owner=owner, title="Baker")
    application = make_application(job=job, name="Mia Jones", email="mia@example.net")
    return org, owner, application


def _client_for(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def _kinds(application: Application) -> list[str]:
    return list(
        Message.objects.filter(application_id=application.pk)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_anonymous_visitors_are_sent_to_log_in_first() -> None:
    _org, owner, application = _setup()
    path = _path(issue_link(application=application, member=owner, kind=ActionKind.ADVANCE))
    for response in (Client().get(path), Client().post(path)):
        assert response.status_code == 302
        assert response["Location"].startswith(settings.LOGIN_URL)
        assert "next=" in response["Location"] and "/engine/act/" in response["Location"]
    application.refresh_from_db()
    assert application.stage.position == 0


def test_get_shows_a_confirmation_page_and_never_acts() -> None:
    _org, owner, application = _setup()
    client = _client_for(owner)
    for kind in ActionKind.values:
        path = _path(issue_link(application=application, member=owner, kind=kind))
        response = client.get(path)
        assert response.status_code == 200
        assert b'<form method="post">' in response.content
        assert b"Mia Jones" in response.content
        response = client.get(path)  # and again: still usable
        assert response.status_code == 200
    application.refresh_from_db()
    assert application.stage.position == 0 and application.pending_decline_at is None
    assert application.status == ApplicationStatus.ACTIVE
    assert _kinds(application) == ["acknowledgement"]
    assert not ActionLink.objects.filter(used_at__isnull=False).exists()


def test_post_advance_acts_once_and_a_replay_is_refused() -> None:
    _org, owner, application = _setup()
    client = _client_for(owner)
    path = _path(issue_link(application=application, member=owner, kind=ActionKind.ADVANCE))
    response = client.post(path)
    assert response.status_code == 200
    assert b"Mia Jones moved to Recruiter screen" in response.content
    application.refresh_from_db()
    assert application.stage.position == 1
    assert _kinds(application) == ["acknowledgement", "stage_update"]

    replay = client.post(path)
    assert replay.status_code == 410
    assert b"already been used" in replay.content
    assert client.get(path).status_code == 410
    application.refresh_from_db()
    assert application.stage.position == 1
    assert _kinds(application) == ["acknowledgement", "stage_update"]


def test_decline_needs_a_reason_then_follows_the_policys_delay() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        _org, owner, application = _setup(decline_delay_business_days=2)
        client = _client_for(owner)
        path = _path(issue_link(application=application, member=owner, kind=ActionKind.DECLINE))

        missing = client.post(path, {"reason": ""})
        assert missing.status_code == 400
        assert b"Choose a reason" in missing.content
        bogus = client.post(path, {"reason": "because"})
        assert bogus.status_code == 400
        assert not ActionLink.objects.filter(used_at__isnull=False).exists()  # still usable

        response = client.post(path, {"reason": "experience"})
        assert response.status_code == 200
        assert b"will receive a kind decline" in response.content
        application.refresh_from_db()
        # Decide now, tell soon: still active, the decline held for two business days.
        assert application.status == ApplicationStatus.ACTIVE
        assert application.pending_decline_reason == "experience"
        assert application.pending_decline_by_id == owner.pk
        assert application.pending_decline_at == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
        assert "decline" not in _kinds(application)
        assert client.post(path, {"reason": "experience"}).status_code == 410

        traveller.move_to(datetime(2026, 3, 4, 9, 1, tzinfo=UTC))
        scheduler.run_until_idle()
        application.refresh_from_db()
        assert application.status == ApplicationStatus.DECLINED
        assert application.decline_reason == "experience"
        assert _kinds(application).count("decline") == 1


def test_decline_without_a_delay_declines_at_once() -> None:
    _org, owner, application = _setup()  # default policy: no delay
    client = _client_for(owner)
    path = _path(issue_link(application=application, member=owner, kind=ActionKind.DECLINE))
    assert client.post(path, {"reason": "other_candidate"}).status_code == 200
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DECLINED
    assert _kinds(application) == ["acknowledgement", "decline"]


def test_extend_moves_the_promise_and_the_candidate_hears_it(smtp_server: SmtpServer) -> None:
    with time_machine.travel(START, tick=False):
        _org, owner, application = _setup()
        before = application.respond_by
        client = _client_for(owner)
        path = _path(issue_link(application=application, member=owner, kind=ActionKind.EXTEND))
        assert client.post(path, {"days": "0"}).status_code == 400
        assert client.post(path, {"days": "twenty"}).status_code == 400
        assert client.post(path, {"days": "21"}).status_code == 400
        response = client.post(path, {"days": "8", "note": "The panel meets next week."})
        assert response.status_code == 200
        assert b"need 8 more business days" in response.content
        application.refresh_from_db()
        # Mon 2 Mar + 8 business days = Thu 12 Mar, 17:00 in Berlin (16:00 UTC).
        assert application.respond_by == datetime(2026, 3, 12, 16, 0, tzinfo=UTC)
        assert application.respond_by > before
        delivery.drain()
        mails = smtp_server.to("mia@example.net")
        assert len(mails) == 2  # acknowledgement, then the update
        assert "more time" in mails[1].subject
        assert "The panel meets next week." in mails[1].text
        assert "Thu 12 Mar" in mails[1].text
        assert client.post(path, {"days": "3"}).status_code == 410


def test_someone_elses_link_is_refused_and_does_nothing() -> None:
    org, owner, application = _setup()
    colleague = make_member(org=org, role=Role.ADMIN)  # even an admin of the same org
    path = _path(issue_link(application=application, member=owner, kind=ActionKind.ADVANCE))
    client = _client_for(colleague)
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 403
        assert b"sent to someone else" in response.content
    outsider = make_member(org=make_org())
    assert _client_for(outsider).post(path).status_code == 403
    application.refresh_from_db()
    assert application.stage.position == 0
    assert _client_for(owner).get(path).status_code == 200  # still works for its owner


def test_expired_links_are_refused() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        _org, owner, application = _setup()
        path = _path(issue_link(application=application, member=owner, kind=ActionKind.EXTEND))
        client = _client_for(owner)
        traveller.move_to(START + timedelta(days=6, hours=23))
        assert client.get(path).status_code == 200
        traveller.move_to(START + timedelta(days=7, seconds=1))
        for response in (client.get(path), client.post(path, {"days": "3"})):
            assert response.status_code == 410
            assert b"expired" in response.content
        assert _kinds(application) == ["acknowledgement"]


def test_tampered_and_unknown_tokens_are_refused() -> None:
    _org, owner, application = _setup()
    path = _path(issue_link(application=application, member=owner, kind=ActionKind.ADVANCE))
    token = path.rstrip("/").rsplit("/", 1)[1]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    client = _client_for(owner)
    for bad in (flipped, token[:-4], token + "x", "not-a-token"):
        response = client.post(f"/engine/act/{bad}/")
        assert response.status_code == 404
        assert b"This link is not valid" in response.content
    application.refresh_from_db()
    assert application.stage.position == 0
    assert client.put(path).status_code == 405


def test_links_for_an_already_decided_application_are_refused() -> None:
    _org, owner, application = _setup()
    path = _path(issue_link(application=application, member=owner, kind=ActionKind.ADVANCE))
    services.schedule_decline(application=application, reason="experience", actor=owner)
    response = _client_for(owner).post(path)
    assert response.status_code == 410
    assert b"already decided" in response.content


def test_the_links_in_a_real_nudge_email_work(smtp_server: SmtpServer) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        _org, owner, application = _setup()
        traveller.move_to(application.respond_by + timedelta(minutes=5))
        scheduler.run_until_idle()
        delivery.drain()
        nudges = [m for m in smtp_server.to(owner.email) if m.subject.startswith("Due now")]
        assert len(nudges) == 1
        links = dict(re.findall(r"(Advance|Decline|Need more days): (\S+)", nudges[0].text))
        assert set(links) == {"Advance", "Decline", "Need more days"}
        client = _client_for(owner)
        assert client.get(_path(links["Advance"])).status_code == 200
        assert client.post(_path(links["Advance"])).status_code == 200
        application.refresh_from_db()
        assert application.stage.position == 1
        # The other two links of the same email still belong to the owner and still work
        # (the application is still active), each exactly once.
        assert client.post(_path(links["Need more days"]), {"days": "2"}).status_code == 200
        assert client.post(_path(links["Need more days"]), {"days": "2"}).status_code == 410
