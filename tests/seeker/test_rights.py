"""Knowing their rights: Ontario's 45 days after the last interview, shown on the application
and mentioned in a follow-up once passed, within the cap of two follow-ups."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from heardback.seeker import rights, services
from heardback.seeker.models import Interview, JobApplication

from .conftest import make_seeker

pytestmark = pytest.mark.django_db


def ontario_app(owner: Any, *, region: str = "CA-ON", applied_on: date = date(2026, 10, 1)) -> (
    JobApplication
):  # fmt: skip
    app = services.create_application(
        owner=owner, company="Maple Freight Inc.", role="Senior Backend Developer",
        applied_on=applied_on, contact_name="Alex Chen", region=region,
    )  # fmt: skip
    services.log_interview(owner=owner, application_id=app.pk, held_on=date(2026, 10, 15))
    return app


def page(client: Any, app: JobApplication) -> str:
    raw = client.get(reverse("seeker:application", args=[app.pk])).content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.unescape(raw)))


def test_the_legal_answer_date_is_shown_and_the_follow_up_mentions_it_once_passed(
    client: Any,
) -> None:
    owner = make_seeker(country="CA", time_zone="America/Toronto", subdivision="ON")
    client.force_login(owner)
    with time_machine.travel(datetime(2026, 11, 2, 15, tzinfo=UTC), tick=False):
        app = ontario_app(owner)
        shown = page(client, app)
        assert "Your right to an answer" in shown
        assert "must tell you whether you got the job by Sun 29 Nov 2026" in shown
        assert "O. Reg. 476/24" in shown  # the source, from the compliance profile
        assert "That date has passed" not in shown
        # An ordinary follow-up before the date: no mention of the law.
        first = services.draft_follow_up(owner=owner, application_id=app.pk)
        assert "Employment Standards Act" not in first.text
        services.mark_follow_up_sent(owner=owner, follow_up_id=first.pk)

    with time_machine.travel(datetime(2026, 11, 30, 15, tzinfo=UTC), tick=False):
        shown = page(client, app)
        assert "That date has passed without news" in shown
        second = services.draft_follow_up(owner=owner, application_id=app.pk)
        assert second.number == 2
        assert (
            "I understand that under Ontario's Employment Standards Act, employers let "
            "interviewed candidates know whether a decision has been made within 45 days of "
            "the last interview; for me that date was 29 November 2026. I'd be grateful for "
            "an update either way."
        ) in second.text
        services.mark_follow_up_sent(owner=owner, follow_up_id=second.pk)
        # Still two at most.
        with pytest.raises(services.FollowUpRefused):
            services.draft_follow_up(owner=owner, application_id=app.pk)


def test_news_after_the_interview_means_the_date_has_not_been_missed() -> None:
    owner = make_seeker()
    app = ontario_app(owner)
    with time_machine.travel(datetime(2026, 11, 20, 15, tzinfo=UTC), tick=False):
        services.record_news(owner=owner, application_id=app.pk)
    app.refresh_from_db()
    found = rights.answer_due(
        application=app, interviews=list(Interview.objects.filter(application=app)),
        today=date(2026, 12, 5),
    )  # fmt: skip
    assert found is not None and not found.passed


@pytest.mark.parametrize(
    ("region", "applied_on"),
    [("", date(2026, 10, 1)), ("DE-BE", date(2026, 10, 1)), ("CA-ON", date(2025, 12, 20))],
)
def test_no_duty_no_date(client: Any, region: str, applied_on: date) -> None:
    owner = make_seeker()
    client.force_login(owner)
    app = ontario_app(owner, region=region, applied_on=applied_on)
    assert "Your right to an answer" not in page(client, app)
    assert rights.answer_due(application=app, interviews=[], today=date(2026, 12, 30)) is None


def test_a_closed_application_has_no_date() -> None:
    owner = make_seeker()
    app = ontario_app(owner)
    services.set_status(owner=owner, application_id=app.pk, status="rejected")
    app.refresh_from_db()
    interviews = list(Interview.objects.filter(application=app))
    assert (
        rights.answer_due(application=app, interviews=interviews, today=date(2026, 12, 30)) is None
    )


def test_the_region_is_checked_when_typed(client: Any) -> None:
    owner = make_seeker()
    client.force_login(owner)
    app = ontario_app(owner, region="")
    form = {
        "company": app.company,
        "role": app.role,
        "applied_on": "2026-10-01",
        "region": "Ontario",
    }
    response = client.post(reverse("seeker:application_edit", args=[app.pk]), form)
    assert "A code like CA-ON" in response.content.decode()
    form["region"] = "ca-on"
    client.post(reverse("seeker:application_edit", args=[app.pk]), form)
    app.refresh_from_db()
    assert app.region == "CA-ON"
