"""Password-reset links point at SITE_URL whatever Host the request named, and resets are
limited per client address and per email address (the shared count, see test_limits)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from heardback.hiring.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return factories.make_member(
        org=factories.make_org(), role=Role.RECRUITER, email="rec@acme.example"
    )


def _reset_mails() -> list[Any]:
    # Django's test runner sends its own mail (resets) to an in-memory outbox.
    return [m for m in mail.outbox if m.to == ["rec@acme.example"]]


def test_the_link_is_built_from_site_url_not_the_host_header(member: Any, settings: Any) -> None:
    settings.SITE_URL = "https://heardback.example.org"
    settings.ALLOWED_HOSTS = ["heardback.example.org", "evil.example"]
    response = Client().post(
        "/app/password-reset/", {"email": "rec@acme.example"}, HTTP_HOST="evil.example"
    )
    assert response.status_code == 302
    [reset] = _reset_mails()
    links = re.findall(r"\S+/app/reset/\S+/", reset.body)
    assert links and all(link.startswith("https://heardback.example.org/") for link in links)
    assert "evil.example" not in reset.body


def test_resets_are_limited_per_email_whoever_asks(member: Any, settings: Any) -> None:
    settings.PASSWORD_RESET_RATE_PER_EMAIL = "2/h"
    pages = [
        Client(REMOTE_ADDR=f"198.51.100.{n}").post(
            "/app/password-reset/", {"email": "rec@acme.example"}
        )
        for n in range(4)
    ]
    # Every asker sees the same answer (so the limit tells nothing), the mailbox gets two.
    assert {p.status_code for p in pages} == {302}
    assert len(_reset_mails()) == 2


def test_resets_are_limited_per_client(member: Any, settings: Any) -> None:
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "3/h"
    client = Client()
    codes = [
        client.post("/app/password-reset/", {"email": f"x{n}@acme.example"}).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 302]
    refused = client.post("/app/password-reset/", {"email": "rec@acme.example"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Too many reset requests" in refused.content.decode()
    assert _reset_mails() == []
    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    assert elsewhere.post("/app/password-reset/", {"email": "rec@acme.example"}).status_code == 302
    assert len(_reset_mails()) == 1
