"""Hire with care: not offered before an interview, previewed in the candidate's language,
confirmed, held for a short while in which it can be cancelled (the decline's hold), then
"Welcome aboard" exactly once, as a real SMTP server receives it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import Application, ApplicationStatus, Event, Stage
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.promises import services as engine
from heardback.promises.watchdog import send_due_declines
from tests import factories
from tests.console.conftest import World, client_for
from tests.smtp import SmtpServer

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _stage(world: World, coarse: str) -> Stage:
    stage = world.job.pipeline.stages.filter(coarse_stage=coarse).order_by("position").first()
    assert stage is not None
    return stage


def _at_interview(world: World, application: Application) -> Application:
    return hiring.move_to_stage(
        application=application, stage=_stage(world, "interview"), actor=world.recruiter
    )


def _welcomes(smtp_server: SmtpServer, address: str) -> list[Any]:
    return [m for m in smtp_server.to(address) if "Welcome aboard" in m.subject]


def test_hire_is_not_offered_before_an_interview(world: World) -> None:
    ada = world.applications[0]  # Applied
    client = client_for(world.recruiter)
    page = client.get(f"/app/applications/{ada.pk}/").content.decode()
    assert "Hire…" not in page and f"/app/applications/{ada.pk}/hire/" not in page
    refused = client.get(f"/app/applications/{ada.pk}/hire/").content.decode()
    assert "Hire from an interview or offer stage" in refused
    client.post(f"/app/applications/{ada.pk}/hire/", {"when": "now"})
    ada.refresh_from_db()
    assert ada.status == ApplicationStatus.ACTIVE
    assert not Message.objects.filter(application_id=ada.pk, kind="hired").exists()
    with pytest.raises(HiringError, match="interview or offer"):
        engine.schedule_hire(application=ada, actor=world.recruiter, hold_minutes=0)

    _at_interview(world, ada)
    page = client.get(f"/app/applications/{ada.pk}/").content.decode()
    assert f'href="/app/applications/{ada.pk}/hire/"' in page


def test_the_hire_page_previews_the_welcome_in_the_candidates_language(
    world: World, smtp_server: SmtpServer
) -> None:
    lucia = factories.make_application(
        job=world.job, name="Dr. Lucía García", email="lucia@example.net", language="es"
    )
    _at_interview(world, lucia)
    page = client_for(world.recruiter).get(f"/app/applications/{lucia.pk}/hire/").content.decode()
    match = re.search(r'<pre class="mail" id="hire-text">(.*?)</pre>', page, re.DOTALL)
    assert match
    text = match.group(1).replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
    assert text.startswith("Hola, Lucía:") and "Un cordial saludo" in text
    assert "Hold it for 60 minutes" in page and "Send it now" in page

    delivery.drain()
    smtp_server.handler.received.clear()
    client_for(world.recruiter).post(f"/app/applications/{lucia.pk}/hire/", {"when": "now"})
    delivery.drain()
    (mail,) = smtp_server.to("lucia@example.net")
    assert mail.text.replace("\r\n", "\n") == text


def test_a_held_hire_can_be_cancelled_and_sends_nothing_then_goes_once(
    world: World, smtp_server: SmtpServer, time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    grace = _at_interview(world, world.applications[1])
    address = grace.candidate.email
    client = client_for(world.recruiter)

    client.post(f"/app/applications/{grace.pk}/hire/", {"when": "hold"})
    grace.refresh_from_db()
    assert grace.status == ApplicationStatus.ACTIVE  # until the hold ends
    assert grace.pending_hire and grace.pending_decline_at == START + timedelta(minutes=60)
    page = client.get(f"/app/applications/{grace.pk}/").content.decode()
    assert "Cancel the hire" in page
    # Closing the job now would decline them: refused, with the way out.
    with pytest.raises(HiringError, match="hire is on hold"):
        engine.close_job(job=world.job, actor=world.recruiter)

    client.post(f"/app/applications/{grace.pk}/hire/cancel/")
    grace.refresh_from_db()
    assert not grace.pending_hire and grace.pending_decline_at is None
    time_machine.move_to(START + timedelta(hours=3), tick=False)
    assert send_due_declines(now=clock.now(), limit=100) == 0
    delivery.drain()
    assert _welcomes(smtp_server, address) == []
    assert grace.status == ApplicationStatus.ACTIVE

    client.post(f"/app/applications/{grace.pk}/hire/", {"when": "hold"})
    time_machine.move_to(START + timedelta(hours=3, minutes=30), tick=False)
    assert send_due_declines(now=clock.now(), limit=100) == 0  # not yet
    time_machine.move_to(START + timedelta(hours=4, minutes=1), tick=False)
    assert send_due_declines(now=clock.now(), limit=100) == 1
    assert send_due_declines(now=clock.now(), limit=100) == 0
    delivery.drain()
    delivery.drain()
    assert len(_welcomes(smtp_server, address)) == 1
    grace.refresh_from_db()
    assert grace.status == ApplicationStatus.HIRED
    kinds = list(
        Event.objects.filter(application_id=grace.pk, kind__startswith="hire")
        .order_by("created_at", "pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["hire_scheduled", "hire_cancelled", "hire_scheduled", "hired"]


def test_a_decline_cancel_does_not_cancel_a_held_hire(world: World) -> None:
    alan = _at_interview(world, world.applications[2])
    engine.schedule_hire(application=alan, actor=world.recruiter, hold_minutes=30)
    with pytest.raises(HiringError, match="no scheduled decline"):
        engine.cancel_decline(application=alan, actor=world.recruiter)
    with pytest.raises(HiringError, match="already on hold"):
        engine.schedule_hire(application=alan, actor=world.recruiter, hold_minutes=30)
    alan.refresh_from_db()
    assert alan.pending_hire
