"""Fixtures for the job-seeker companion: seekers made through the real sign-up service."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from heardback.seeker import services
from heardback.seeker.models import SeekerProfile

_n = itertools.count(1)
PASSWORD = "a long and memorable passphrase 42"


def make_seeker(
    *, country: str = "DE", time_zone: str = "Europe/Berlin", confirmed: bool = True,
    **profile: Any,
) -> Any:  # fmt: skip
    """A seeker signed up through the service; `confirmed` follows the emailed link too."""
    n = next(_n)
    user = services.sign_up(
        email=f"seeker{n}@example.org", password=PASSWORD, full_name=f"Robin Example{n}",
        country=country, time_zone=time_zone,
    )  # fmt: skip
    if confirmed:
        confirm(user)
    defaults = {
        "phone": "+49 30 1234567",
        "qualifications": "Ten years of Python\nLeading small teams\nPayments systems",
    }
    services.update_profile(owner=user, **{**defaults, **profile})
    return user


def confirm(user: Any) -> None:
    """Follow the confirmation link the sign-up emailed (read from the outbox)."""
    from heardback.messaging.models import Message

    body = Message.objects.filter(to_email=user.email).latest("id").body_text
    token = body.split("/seeker/email/confirm/", 1)[1].split("/", 1)[0]
    assert services.confirm_email(token=token) is not None


def profile_of(user: Any) -> SeekerProfile:
    return SeekerProfile.objects.get(user=user)


@pytest.fixture
def seeker(db: Any) -> Any:
    return make_seeker()


@pytest.fixture
def seeker_client(client: Any, seeker: Any) -> Any:
    client.force_login(seeker)
    return client


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Hashing strength isn't under test here; keep sign-ups quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
