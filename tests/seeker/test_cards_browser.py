"""Seeker pages on a phone: a long link must not push a card (or the page) sideways."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from heardback.seeker import services as seeker_services

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return str(live_server.url)


def test_long_links_stay_inside_seeker_cards(browser: Any, site: str) -> None:
    user = seeker_services.sign_up(
        email="robin@example.org", password=PASSWORD, full_name="Robin", time_zone="UTC"
    )
    # No hyphens or spaces: nowhere a browser would break it by itself.
    link = "https://jobs.example.com/careers?ref=" + "0123456789abcdef" * 12
    app = seeker_services.create_application(
        owner=user, company="Northwind Robotics", role="Engineer", link=link,
        notes="See " + link, applied_on=date(2026, 11, 20),
    )  # fmt: skip
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{site}/seeker/login/")
    page.get_by_label("Email").fill("robin@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{site}/seeker/applications/{app.pk}/")
    page.locator(".card").first.wait_for()
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('.card')]
            .filter(card => card.scrollWidth > card.clientWidth + 1).length"""
    )
    assert overflowing == 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    context.close()
