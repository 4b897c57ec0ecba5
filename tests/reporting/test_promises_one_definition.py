""" "Promises met on time" has one definition: the console dashboard and the public report
card show the same number, and it is `reporting.selectors.promises_met`'s."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from heardback.hiring import services as hiring
from heardback.hiring.models import Member, Org, Role
from heardback.portal.services import set_report_card_public
from heardback.reporting import selectors as reporting
from tests import factories

# A Monday morning in a week without German holidays (as in test_selectors.py).
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
# 29 weeks later, also a Monday without holidays near it: within the 12 months the report
# card covers, beyond the 90 days the dashboard used to judge.
SEASON = START + timedelta(weeks=29)
NOW = SEASON + timedelta(days=20)


@pytest.fixture
def world(db: Any, time_machine: Any) -> tuple[Org, Member]:
    """One application from spring, answered two weeks late (a missed promise), and twelve
    from autumn: application i ends i days after applying, so the decisions on days 1 to 7
    keep the first promise (5 business days) and the rest miss it. Through the services."""
    time_machine.move_to(START, tick=False)
    org = factories.make_org(name="Both Pages Ltd", country="DE", time_zone="Europe/Berlin")
    admin = factories.make_member(org=org, role=Role.ADMIN, email="boss@both.example")
    job = factories.make_job(org=org, title="Analyst", owner=admin)
    spring = factories.make_application(job=job, email="spring@example.net")
    time_machine.move_to(START + timedelta(days=14), tick=False)
    hiring.decline(application=spring, reason="other_candidate", actor=admin)

    time_machine.move_to(SEASON, tick=False)
    autumn = [
        factories.make_application(job=job, email=f"autumn{i}@example.net") for i in range(1, 13)
    ]
    for i, application in enumerate(autumn, start=1):
        time_machine.move_to(SEASON + timedelta(days=i), tick=False)
        if i <= 8:
            hiring.decline(application=application, reason="other_candidate", actor=admin)
        elif i <= 10:
            hiring.hire(application=application, actor=admin)
        else:
            hiring.withdraw(application=application)
    set_report_card_public(org=org, public=True, actor=admin)
    time_machine.move_to(NOW, tick=False)
    return org, admin


def _shown(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    assert match, f"{pattern!r} not on the page"
    return match.group(1)


def test_dashboard_and_report_card_show_the_selectors_number(
    world: tuple[Org, Member],
) -> None:
    org, admin = world
    record = reporting.promises_met(org=org, now=NOW)
    assert (record.due, record.met) == (13, 7)
    expected = f"{round(7 / 13 * 100)}%"

    console = Client()
    console.force_login(admin.user)
    dashboard = console.get(reverse("console:dashboard"))
    assert dashboard.status_code == 200
    dashboard_html = dashboard.content.decode()

    card = Client().get(reverse("portal:report_card", kwargs={"org_slug": org.slug}))
    assert card.status_code == 200
    card_html = card.content.decode()

    on_dashboard = _shown(dashboard_html, r'id="m-promises">([^<]+)<')
    on_card = _shown(card_html, r'data-metric="promises">([^<]+)<')
    assert on_dashboard == on_card == expected
    assert "7 of 13 dates kept" in dashboard_html


def test_job_filter_and_window_belong_to_the_selector(world: tuple[Org, Member]) -> None:
    org, _admin = world
    job_id = org.jobs.get().pk
    assert reporting.promises_met(org=org, now=NOW, job_id=job_id) == reporting.promises_met(
        org=org, now=NOW
    )
    later = reporting.promises_met(org=org, now=NOW + reporting.PROMISE_WINDOW)
    assert (later.due, later.met, later.rate) == (0, 0, None)
