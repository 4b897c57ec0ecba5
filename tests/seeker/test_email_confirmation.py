"""A job seeker's address gets nothing from us until its owner confirms it (anyone can type
anyone's address into a sign-up form): one confirmation email with a link whose token is
stored only as a hash, then the digest. Sign-ups and sign-ins are throttled like the
console's."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from heardback import clock
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.seeker import services
from heardback.seeker.digest import send_daily_digests
from heardback.seeker.models import SeekerProfile

from .conftest import PASSWORD, make_seeker

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+(/seeker/email/confirm/([A-Za-z0-9_-]+)/)")
SIGNUP = {"full_name": "Robin Example", "email": "robin@example.org", "password": PASSWORD,
          "country": "GB", "time_zone": "Europe/London"}  # fmt: skip


def _mails_to(email: str) -> list[Message]:
    return list(Message.objects.filter(to_email=email).order_by("id"))


def _link(email: str) -> tuple[str, str]:
    match = LINK.search(_mails_to(email)[-1].body_text)
    assert match, "no confirmation link"
    return match.group(1), match.group(2)


def _owed_a_digest(user: Any) -> None:
    app = services.create_application(
        owner=user, company="Acme", role="Engineer", applied_on=date(2026, 11, 10)
    )
    services.log_interview(owner=user, application_id=app.pk, held_on=date(2026, 11, 25))


MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_sign_up_sends_one_confirmation_and_nothing_else_until_it_is_followed() -> None:
    client = Client()
    assert client.post("/seeker/signup/", SIGNUP).status_code == 302
    [mail] = _mails_to("robin@example.org")
    assert mail.subject == "Confirm your email address for Heardback"
    user = SeekerProfile.objects.get(email="robin@example.org").user
    services.update_profile(owner=user, digest_opt_in=True)
    _owed_a_digest(user)
    assert send_daily_digests(now=MORNING, limit=100) == 0
    assert len(_mails_to("robin@example.org")) == 1

    path, token = _link("robin@example.org")
    profile = SeekerProfile.objects.get(user=user)
    assert profile.email_token_hash == hashlib.sha256(token.encode()).hexdigest()
    # Opening the link (as a mail scanner would) asks; only the button confirms.
    page = Client().get(path)
    assert page.status_code == 200 and "robin@example.org" in page.content.decode()
    assert not SeekerProfile.objects.get(user=user).email_confirmed
    assert Client().post(path).status_code == 200
    assert SeekerProfile.objects.get(user=user).email_confirmed
    assert send_daily_digests(now=MORNING, limit=100) == 1
    # The link works once.
    assert Client().post(path).status_code == 404


def test_the_digest_reaches_only_a_confirmed_address(smtp_server: Any) -> None:
    confirmed = make_seeker(digest_opt_in=True)
    unconfirmed = make_seeker(digest_opt_in=True, confirmed=False)
    for user in (confirmed, unconfirmed):
        _owed_a_digest(user)
    with time_machine.travel(MORNING, tick=False):
        assert send_daily_digests(now=MORNING, limit=100) == 1
        delivery.drain()
    digests = [m for m in smtp_server.received if m.subject.startswith("Needs you today")]
    assert [m.rcpt_tos for m in digests] == [[confirmed.email]]


def test_an_expired_link_confirms_nothing() -> None:
    user = make_seeker(confirmed=False)
    path, _token = _link(user.email)
    later = clock.now() + services.CONFIRMATION_LIFETIME + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert Client().post(path).status_code == 404
    assert not SeekerProfile.objects.get(user=user).email_confirmed


def test_a_new_address_must_be_confirmed_again_and_the_old_link_cannot() -> None:
    user = make_seeker(digest_opt_in=True, confirmed=False)
    old_path, _ = _link(user.email)
    services.update_profile(owner=user, email="someone.else@example.org")
    assert Client().post(old_path).status_code == 404
    profile = SeekerProfile.objects.get(user=user)
    assert profile.email == "someone.else@example.org" and not profile.email_confirmed
    new_path, _ = _link("someone.else@example.org")
    assert Client().post(new_path).status_code == 200
    assert SeekerProfile.objects.get(user=user).email_confirmed
    # Confirmed, then changed again: unconfirmed again, and the digest stops.
    _owed_a_digest(user)
    services.update_profile(owner=user, email="third@example.org")
    assert not SeekerProfile.objects.get(user=user).email_confirmed
    assert send_daily_digests(now=MORNING, limit=100) == 0


def test_saving_the_profile_without_a_new_address_keeps_it_confirmed() -> None:
    user = make_seeker()
    services.update_profile(owner=user, phone="+44 20 1234 5678", email=user.email.upper())
    assert SeekerProfile.objects.get(user=user).email_confirmed


def test_links_to_one_address_are_limited_whoever_asks(settings: Any) -> None:
    settings.SEEKER_CONFIRM_RATE_PER_EMAIL = "2/d"
    user = make_seeker(confirmed=False)  # the first link
    client = Client()
    client.force_login(user)
    client.post("/seeker/email/resend/")  # the second
    client.post("/seeker/email/resend/")  # refused
    # A stranger signing up elsewhere with the same address can't add more either.
    other = make_seeker(confirmed=False)
    services.update_profile(owner=other, email=user.email)
    assert len(_mails_to(user.email)) == 2


def test_the_profile_page_says_the_address_is_unconfirmed() -> None:
    user = make_seeker(confirmed=False)
    client = Client()
    client.force_login(user)
    html = client.get("/seeker/profile/").content.decode()
    assert "not confirmed yet" in html and "Send the link again" in html


def test_sign_ups_are_limited_per_client(settings: Any) -> None:
    settings.SEEKER_SIGNUP_RATE_PER_ADDRESS = "2/h"
    codes = [
        Client().post("/seeker/signup/", {**SIGNUP, "email": f"r{n}@example.org"}).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]
    assert SeekerProfile.objects.count() == 2
    assert not _mails_to("r2@example.org")
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    response = elsewhere.post("/seeker/signup/", {**SIGNUP, "email": "r3@example.org"})
    assert response.status_code == 302


def test_sign_in_is_throttled_like_the_console() -> None:
    user = make_seeker()
    client = Client()
    wrong = {"email": user.email, "password": "not it"}
    assert [client.post("/seeker/login/", wrong).status_code for _ in range(5)] == [200] * 5
    right = client.post("/seeker/login/", {"email": user.email, "password": PASSWORD})
    assert right.status_code == 429
    assert "Too many attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session
    # From elsewhere the owner still gets in, and a success clears that address's count.
    other = Client(REMOTE_ADDR="198.51.100.7")
    right_elsewhere = other.post("/seeker/login/", {"email": user.email, "password": PASSWORD})
    assert right_elsewhere.status_code == 302
    # And the lock lifts after the window.
    later = clock.now() + timedelta(seconds=services.LOGIN_THROTTLE.window_seconds + 5)
    with time_machine.travel(later, tick=False):
        good = Client().post("/seeker/login/", {"email": user.email, "password": PASSWORD})
        assert good.status_code == 302


def test_thirty_wrong_passwords_do_not_end_in_a_sign_in() -> None:
    user = make_seeker()
    client = Client()
    for n in range(30):
        client.post("/seeker/login/", {"email": user.email, "password": f"guess {n}"})
    response = client.post("/seeker/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
