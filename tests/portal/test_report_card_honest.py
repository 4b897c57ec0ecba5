"""The report card can't mislead: a figure shows only when enough of what it measures has
happened over a long enough period, with its period and counts under it, and the card says
what it leaves out and why. The case from the field: right after a mass close-out it said
"100% heard back, 100% promises kept, median decision 0.0 days" though no promise had come
due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from heardback.hiring import services as hiring
from heardback.hiring.models import Job, Member, Org
from heardback.messaging import delivery
from heardback.portal import selectors
from heardback.portal.services import set_report_card_public
from heardback.promises import scheduler
from heardback.promises import services as engine
from tests import factories


@pytest.fixture
def published(org: Org, recruiter: Member) -> Org:
    set_report_card_public(org=org, public=True, actor=recruiter)
    return org


def _close_out(job: Job, recruiter: Member, count: int, time_machine: Any, monday: Any) -> None:
    """`count` applications on Monday morning, the job closed half an hour later."""
    for i in range(count):
        factories.make_application(job=job, email=f"mass{i}@example.net")
    time_machine.move_to(monday + timedelta(minutes=30), tick=False)
    engine.close_job(job=job, actor=recruiter)
    scheduler.run_until_idle()
    delivery.drain()


def test_a_mass_close_out_on_day_one_shows_no_figure(
    client: Client,
    published: Org,
    job: Job,
    recruiter: Member,
    monday: Any,
    time_machine: Any,
    smtp_server: Any,
) -> None:
    _close_out(job, recruiter, 24, time_machine, monday)
    card = selectors.report_card(org=published, now=monday + timedelta(hours=1))
    assert card.finished == 24 and card.heard_back == 24
    assert card.promises_came_due == 0  # every promise "answered" by the close-out, none due
    assert card.closed_out == 24 and card.decisions == 0
    assert not (card.show_hear_back or card.show_promises or card.show_decision)
    html = client.get(f"/employers/{published.slug}/").content.decode()
    assert "100%" not in html and "0.0 days" not in html
    assert "data-metric" not in html
    assert "We have been counting for 0 days" in html
    assert "24 applications ended when their job was closed" in html


def test_each_figure_has_its_own_threshold(
    client: Client,
    published: Org,
    job: Job,
    recruiter: Member,
    monday: Any,
    time_machine: Any,
    settings: Any,
    smtp_server: Any,
) -> None:
    settings.REPORT_CARD_MIN_DAYS = 0  # an org that publishes from day one, say
    _close_out(job, recruiter, 24, time_machine, monday)
    now = monday + timedelta(hours=1)
    card = selectors.report_card(org=published, now=now)
    assert card.show_hear_back and card.hear_back_rate == 1.0
    # Every date was answered by the close-out before it came: none tells yet whether
    # dates are kept, so no "100% promises kept".
    assert card.promises_due == 24 and card.promises_came_due == 0
    assert not card.show_promises and card.promises_met_rate is None
    assert not card.show_decision  # closing a job is no decision about a person
    html = client.get(f"/employers/{published.slug}/").content.decode()
    assert 'data-metric="hear-back">100%' in html
    assert "24 of 24 finished applications got a final answer from us." in html
    assert 'data-metric="promises"' not in html and 'id="promises-withheld"' in html
    assert "Only 0 of the dates we gave candidates have passed" in html
    assert 'data-metric="median-days"' not in html
    assert "Our record from 30 Nov 2026 to 30 Nov 2026" in html  # the period, one style
    html_es = client.get(f"/employers/{published.slug}/?lang=es").content.decode()
    assert "30 nov 2026" in html_es and "Nov" not in html_es


def test_promises_show_once_enough_dates_have_come(
    client: Client,
    published: Org,
    job: Job,
    recruiter: Member,
    monday: Any,
    time_machine: Any,
    settings: Any,
    smtp_server: Any,
) -> None:
    applications = [
        factories.make_application(job=job, email=f"p{i}@example.net") for i in range(12)
    ]
    # All twelve declined on day 2, before their date (Mon 7 Dec): kept, but not yet due.
    time_machine.move_to(monday + timedelta(days=2), tick=False)
    for application in applications:
        hiring.decline(application=application, reason="experience", actor=recruiter)
    delivery.drain()
    settings.REPORT_CARD_MIN_DAYS = 0
    early = selectors.report_card(org=published, now=monday + timedelta(days=4))
    assert early.promises_came_due == 0 and not early.show_promises
    assert early.show_decision and early.decisions == 12

    settings.REPORT_CARD_MIN_DAYS = 28
    later = monday + timedelta(days=30)
    time_machine.move_to(later, tick=False)
    card = selectors.report_card(org=published, now=later)
    assert card.promises_came_due == 12 and card.show_promises
    assert card.promises_met_rate == 1.0
    html = client.get(f"/employers/{published.slug}/").content.decode()
    assert 'data-metric="promises">100%' in html
    assert "12 of 12 dates we gave candidates were kept (12 of them have passed" in html
    assert "12 of 12 finished applications" in html
    assert 'data-metric="median-days">2.0 days' in html and "over 12 decisions" in html
