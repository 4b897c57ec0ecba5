"""The public report card: opt-in, the same numbers as the dashboard, small numbers withheld."""

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
from tests import factories


@pytest.fixture
def published(org: Org, recruiter: Member) -> Org:
    set_report_card_public(org=org, public=True, actor=recruiter)
    return org


@pytest.fixture
def season(
    published: Org, job: Job, recruiter: Member, monday: Any, time_machine: Any, smtp_server: Any
) -> Any:
    """Twelve applications on Monday 30 Nov; application i ends i days later.

    1-8 declined and 9-10 hired (messages delivered), 11-12 withdrawn (messages still queued).
    Every promise is "by Mon 7 Dec, 17:00 Berlin": decisions on days 1-7 keep it.
    """
    applications = [
        factories.make_application(job=job, email=f"c{i}@example.net") for i in range(1, 13)
    ]
    for i, application in enumerate(applications, start=1):
        time_machine.move_to(monday + timedelta(days=i), tick=False)
        if i <= 8:
            hiring.decline(application=application, reason="other_candidate", actor=recruiter)
        elif i <= 10:
            hiring.hire(application=application, actor=recruiter)
        else:
            hiring.withdraw(application=application)
        if i == 10:
            delivery.drain()
    now = monday + timedelta(days=30)  # the record must span REPORT_CARD_MIN_DAYS (28)
    time_machine.move_to(now, tick=False)
    return now


def test_numbers_on_a_known_season(client: Client, published: Org, season: Any) -> None:
    card = selectors.report_card(org=published, now=season)
    assert card.enough_data
    assert card.finished == 12
    assert card.hear_back_rate == pytest.approx(10 / 12)
    assert (card.promises_due, card.promises_met_rate) == (12, pytest.approx(7 / 12))
    assert card.median_decision_days == pytest.approx(5.5)
    html = client.get(f"/employers/{published.slug}/").content.decode()
    assert 'data-metric="hear-back">83%' in html
    assert 'data-metric="promises">58%' in html
    assert 'data-metric="median-days">5.5 days' in html
    badge = client.get(f"/employers/{published.slug}/badge.svg")
    assert badge["Content-Type"].startswith("image/svg+xml")
    assert "83%" in badge.content.decode()


def test_numbers_match_the_dashboard_selectors(published: Org, season: Any) -> None:
    from heardback.reporting.selectors import hear_back_metrics

    dashboard = hear_back_metrics(org=published, now=season)
    card = selectors.report_card(org=published, now=season)
    assert card.hear_back_rate == pytest.approx(dashboard.hear_back_rate)
    assert card.promises_met_rate == pytest.approx(dashboard.promises_met_rate)
    assert card.median_decision_days == pytest.approx(dashboard.median_decision_hours / 24)


def test_only_the_last_twelve_months_count(published: Org, season: Any) -> None:
    later = selectors.report_card(org=published, now=season + timedelta(days=366))
    assert later.finished == 0 and not later.enough_data


def test_small_orgs_show_not_enough_data(
    client: Client, published: Org, job: Job, recruiter: Member, monday: Any
) -> None:
    for i in range(9):
        application = factories.make_application(job=job, email=f"few{i}@example.net")
        hiring.decline(application=application, reason="experience", actor=recruiter)
    card = selectors.report_card(org=published, now=monday + timedelta(days=1))
    assert card.finished == 9
    assert not card.enough_data and card.hear_back_rate is None
    html = client.get(f"/employers/{published.slug}/").content.decode()
    assert "Not enough data yet" in html
    assert "data-metric" not in html
    assert (
        "not enough data" in client.get(f"/employers/{published.slug}/badge.svg").content.decode()
    )
    html_de = client.get(f"/employers/{published.slug}/?lang=de").content.decode()
    assert "Noch nicht genug Daten" in html_de


def test_report_card_is_opt_in(client: Client, org: Org, recruiter: Member) -> None:
    assert client.get(f"/employers/{org.slug}/").status_code == 404
    assert client.get(f"/employers/{org.slug}/badge.svg").status_code == 404
    set_report_card_public(org=org, public=True, actor=recruiter)
    assert client.get(f"/employers/{org.slug}/").status_code == 200
    set_report_card_public(org=org, public=False, actor=recruiter)
    assert client.get(f"/employers/{org.slug}/badge.svg").status_code == 404
    assert client.get("/employers/nobody/").status_code == 404


def test_only_members_of_the_org_can_publish(org: Org) -> None:
    other = factories.make_org(name="Other")
    stranger = factories.make_member(org=other)
    with pytest.raises(Exception, match="another organisation"):
        set_report_card_public(org=org, public=True, actor=stranger)
    assert not selectors.is_public(org=org)
