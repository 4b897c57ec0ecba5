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
    assert response.status_code == 302 and response["Location"] == "/seeker/profile/?welcome=1"
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
    assert "Please choose your time zone from the list." in page


def test_sign_up_asks_each_detail_once_and_offers_only_valid_zones(client: Any) -> None:
    form = client.get("/seeker/signup/").content.decode()
    assert '<select name="time_zone"' in form
    assert '<option value="Europe/London">Europe / London</option>' in form
    assert 'value="Mars/Base"' not in form
    response = client.post("/seeker/signup/", SIGNUP)
    after = client.get(response["Location"]).content.decode()
    # The page after signing up asks for the rest only, not name, email, country or zone.
    for asked in ("full_name", "email", "country", "time_zone"):
        assert f'name="{asked}"' not in after
    assert 'name="phone"' in after and 'name="qualifications"' in after
    saved = client.post(response["Location"], {"phone": "+44 20 7946 0000", "links": "",
                                               "qualifications": "Python"})  # fmt: skip
    assert saved.status_code == 302
    profile = services.SeekerProfile.objects.get(email="robin@example.org")
    assert (profile.full_name, profile.time_zone, profile.phone) == (
        "Robin Example", "Europe/London", "+44 20 7946 0000")  # fmt: skip
    # The full profile page still lets them change everything, the zone from the list.
    full = client.get("/seeker/profile/").content.decode()
    assert 'name="full_name"' in full and '<select name="time_zone"' in full
    refused = client.post("/seeker/profile/", {"full_name": "Robin", "email": "robin@example.org",
                                              "time_zone": "Europe/Nowhere"})  # fmt: skip
    assert "Please choose your time zone from the list." in refused.content.decode()
    assert services.SeekerProfile.objects.get(pk=profile.pk).time_zone == "Europe/London"
