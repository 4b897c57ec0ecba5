"""Seeker mail that behaves: the digest comes from the seeker side's own address, carries
List-Unsubscribe and List-Unsubscribe-Post (RFC 8058), and a one-click POST, as Gmail sends
it (no cookie, no CSRF token, `List-Unsubscribe=One-Click`), stops it at once."""

from __future__ import annotations

import urllib.request
from datetime import UTC, date, datetime
from email.utils import parseaddr
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client

from heardback.messaging import delivery
from heardback.messaging.models import Message, MessageStatus
from heardback.seeker import services
from heardback.seeker.digest import send_daily_digests
from heardback.seeker.models import SeekerProfile

from .conftest import make_seeker

MORNING = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def due_tomorrow(user: Any) -> None:
    app = services.create_application(
        owner=user, company="Acme", role="Engineer", applied_on=date(2026, 11, 10)
    )
    services.log_interview(owner=user, application_id=app.pk, held_on=date(2026, 11, 25))


def digest_url(mail: Any) -> str:
    header = str(mail.message["List-Unsubscribe"])
    assert header.startswith("<") and header.endswith(">")
    return header[1:-1]


@pytest.mark.django_db(transaction=True)
def test_the_digest_unsubscribes_in_one_click_as_gmail_does_it(
    smtp_server: Any, live_server: Any, settings: Any
) -> None:
    settings.SITE_URL = live_server.url
    user = make_seeker(digest_opt_in=True)
    due_tomorrow(user)
    with time_machine.travel(MORNING, tick=False):
        assert send_daily_digests(now=MORNING, limit=10) == 1
        delivery.drain()
    (mail,) = [m for m in smtp_server.received if m.subject.startswith("Needs you today")]
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = digest_url(mail)
    assert url.startswith(f"{live_server.url}/seeker/unsubscribe/")
    assert url in mail.text  # and in the body, for any mail client
    # From the seeker side's own address, not the employer-side mail's.
    sender = parseaddr(str(mail.message["From"]))[1]
    assert sender == parseaddr(django_settings.SEEKER_FROM_EMAIL)[1]
    assert sender != parseaddr(django_settings.DEFAULT_FROM_EMAIL)[1]

    # Tomorrow's digest is already queued when the seeker clicks "Unsubscribe" in Gmail.
    tomorrow = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    assert send_daily_digests(now=tomorrow, limit=10) == 1
    request = urllib.request.Request(  # noqa: S310 (our own live test server)
        url, data=b"List-Unsubscribe=One-Click", method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "User-Agent": "Mozilla/5.0 (compatible; Google-Unsubscribe)"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200
        assert "You're unsubscribed" in response.read().decode().replace("&#x27;", "'")

    profile = SeekerProfile.objects.get(user=user)
    assert not profile.digest_opt_in and profile.unsubscribed_at is not None
    queued = Message.objects.get(idempotency_key=f"seeker-digest:{user.pk}:2026-12-03")
    assert queued.status == MessageStatus.CANCELLED
    before = len(smtp_server.received)
    delivery.drain()
    assert len(smtp_server.received) == before  # stopped at once: nothing more went out
    assert send_daily_digests(now=datetime(2026, 12, 4, 8, tzinfo=UTC), limit=10) == 0


@pytest.mark.django_db
def test_a_visit_changes_nothing_and_a_bad_link_says_so() -> None:
    user = make_seeker(digest_opt_in=True)
    profile = SeekerProfile.objects.get(user=user)
    url = services.unsubscribe_url(profile).removeprefix(django_settings.SITE_URL)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(url)
    assert page.status_code == 200 and b"Stop the daily digest?" in page.content
    assert SeekerProfile.objects.get(user=user).digest_opt_in
    # The page's own button works without a session or CSRF token too (multipart as well).
    assert browser.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not SeekerProfile.objects.get(user=user).digest_opt_in
    tampered = url.replace(str(profile.pk) + ".", str(profile.pk + 1) + ".", 1)
    assert browser.post(tampered, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert browser.post("/seeker/unsubscribe/nonsense/").status_code == 404


@pytest.mark.django_db
def test_employer_side_mail_keeps_its_address_and_no_unsubscribe_header(
    smtp_server: Any,
) -> None:
    from heardback.messaging.rendering import Rendered
    from heardback.messaging.services import enqueue

    enqueue(
        idempotency_key="system:1", to_email="ops@example.org", to_name="Ops",
        rendered=Rendered(subject="Hello", text="Hi\n", html=""), kind="system",
    )  # fmt: skip
    delivery.drain()
    (mail,) = smtp_server.received
    assert (
        parseaddr(str(mail.message["From"]))[1] == parseaddr(django_settings.DEFAULT_FROM_EMAIL)[1]
    )
    assert mail.message["List-Unsubscribe"] is None


@pytest.mark.django_db
def test_both_mime_builders_write_the_headers() -> None:
    from heardback.messaging.mime import build_mime, build_mime_with_email_package

    message = Message(
        pk=7, to_email="robin@example.org", to_name="Robin Ünlü", subject="Needs you today",
        body_text="Hi\n", kind="seeker_digest", created_at=MORNING,
        from_email=django_settings.SEEKER_FROM_EMAIL,
        list_unsubscribe="https://heardback.example/seeker/unsubscribe/7.abc/",
    )  # fmt: skip
    for raw in (build_mime(message), build_mime_with_email_package(message)):
        assert b"List-Unsubscribe: <https://heardback.example/seeker/unsubscribe/7.abc/>" in raw
        assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    message.list_unsubscribe = "https://x.example/a b\r\nBcc: someone@else.example"
    assert b"List-Unsubscribe" not in build_mime(message)
