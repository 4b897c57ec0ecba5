"""Seeker accounts: their own sign-up and sign-in, apart from employer logins."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from heardback.seeker import services

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {"full_name": "Robin Example", "email": "Robin@Example.org", "password": PASSWORD,
          "country": "gb", "time_zone": "Europe/London"}  # fmt: skip


def test_sign_up_sign_out_sign_in(client: Any) -> None:
    response = client.post("/seeker/signup/", SIGNUP)
    assert response.status_code == 302 and response["Location"] == "/seeker/profile/"
    assert client.get("/seeker/").status_code == 200
    client.post("/seeker/logout/")
    assert client.get("/seeker/").status_code == 302
    bad = client.post("/seeker/login/", {"email": "robin@example.org", "password": "nope"})
    assert "don&#x27;t match a job-seeker account" in bad.content.decode()
    good = client.post(
        "/seeker/login/", {"email": "robin@example.org", "password": PASSWORD,
                           "next": "/seeker/stats/"},
    )  # fmt: skip
    assert good.status_code == 302 and good["Location"] == "/seeker/stats/"


def test_sign_in_never_redirects_off_site(client: Any) -> None:
    client.post("/seeker/signup/", SIGNUP)
    client.post("/seeker/logout/")
    response = client.post("/seeker/login/", {"email": "robin@example.org", "password": PASSWORD,
                                               "next": "https://evil.test/"})  # fmt: skip
    assert response["Location"] == "/seeker/"


def test_a_seeker_account_is_separate_from_an_employer_login(client: Any) -> None:
    get_user_model().objects.create_user(
        username="robin@example.org", email="robin@example.org", password="employer pass 123"
    )
    response = client.post("/seeker/login/", {"email": "robin@example.org",
                                              "password": "employer pass 123"})  # fmt: skip
    assert response.status_code == 200  # an employer password doesn't open the seeker side
    assert client.post("/seeker/signup/", SIGNUP).status_code == 302
    assert get_user_model().objects.filter(email="robin@example.org").count() == 2


def test_duplicate_sign_up_and_weak_passwords_are_explained(client: Any) -> None:
    services.sign_up(email="robin@example.org", password=PASSWORD, full_name="Robin")
    page = client.post("/seeker/signup/", SIGNUP).content.decode()
    assert "already a job-seeker account" in page
    page = client.post("/seeker/signup/", {**SIGNUP, "email": "x@example.org",
                                           "password": "password"}).content.decode()  # fmt: skip
    assert "too common" in page
    page = client.post("/seeker/signup/", {**SIGNUP, "email": "y@example.org",
                                           "time_zone": "Mars/Base"}).content.decode()  # fmt: skip
    assert "Use a time zone name" in page
