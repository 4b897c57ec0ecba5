"""The application page: timeline, delivery status, unreachable warning, and each decision."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.urls import reverse

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.models import ApplicationStatus, DeclineReason
from heardback.messaging import delivery
from heardback.messaging.models import Message, MessageStatus
from heardback.promises import services as engine
from heardback.promises.watchdog import send_due_declines
from tests.console.conftest import World, client_for


def url(name: str, application: Any) -> str:
    return reverse(f"console:{name}", args=[application.pk])


def test_timeline_shows_events_messages_delivery_status_and_notes(
    world: World, smtp_server: Any
) -> None:
    ada = world.applications[0]
    hiring.add_note(application=ada, text="Strong SQL; ask about dbt.", actor=world.manager)
    delivery.drain()
    body = client_for(world.manager).get(url("application", ada)).content.decode()
    assert "Applied" in body
    assert "We received your application for Data Engineer" in body
    assert ">Sent<" in body
    assert "Strong SQL; ask about dbt." in body


def test_failed_message_shows_its_error_and_unreachable_warning_has_the_phone(
    world: World, smtp_server: Any
) -> None:
    grace = world.applications[1]
    smtp_server.handler.behaviour.default = "550 5.1.1 mailbox unavailable"
    delivery.drain()
    message = Message.objects.get(application_id=grace.pk)
    assert message.status == MessageStatus.FAILED
    body = client_for(world.recruiter).get(url("application", grace)).content.decode()
    assert "Delivery failed:" in body
    assert "mailbox unavailable" in body
    assert "reach Grace Hopper by email" in body
    assert 'href="tel:+49 30 1234567"' in body


def test_decline_page_fills_the_reason_template_and_previews_it(world: World) -> None:
    ada = world.applications[0]
    client = client_for(world.manager)
    page = client.post(url("decline", ada), {"step": "reason", "reason": "experience"})
    body = page.content.decode()
    assert "the role needs experience" in body  # the reason's own wording, ready to edit
    assert "Hello Ada" in body  # the preview, rendered for Ada
    live = client.post(
        url("decline", ada),
        {
            "step": "preview",
            "reason": "experience",
            "subject": "About {{ job_title }}",
            "body": "Dear {{ first_name }}, not this time.",
            "when": "now",
        },
        headers={"HX-Request": "true"},
    )
    assert "console/_decline_preview.html" in [t.name for t in live.templates]
    assert "<html" not in live.content.decode()  # only the fragment htmx swaps in
    assert "Dear Ada, not this time." in live.content.decode()


def test_decline_with_a_broken_template_loses_nothing(world: World) -> None:
    ada = world.applications[0]
    response = client_for(world.manager).post(
        url("decline", ada),
        {
            "step": "send",
            "reason": "other",
            "subject": "Hi",
            "body": "{% if %}",
            "when": "now",
        },
    )
    assert response.status_code == 200
    assert "The template has a mistake" in response.content.decode()
    assert "{% if %}" in response.content.decode()  # their text is still there
    ada.refresh_from_db()
    assert ada.status == ApplicationStatus.ACTIVE


def test_decline_now_sends_the_edited_message(world: World, smtp_server: Any) -> None:
    ada = world.applications[0]
    client_for(world.manager).post(
        url("decline", ada),
        {
            "step": "send",
            "reason": DeclineReason.OTHER_CANDIDATE,
            "subject": "Your application for {{ job_title }}",
            "body": "Hello {{ first_name }},\n\nWe chose someone else. Thank you for your time.",
            "when": "now",
        },
    )
    ada.refresh_from_db()
    assert ada.status == ApplicationStatus.DECLINED
    delivery.drain()
    final = smtp_server.to(ada.candidate.email)[-1]
    assert final.subject == "Your application for Data Engineer"
    assert "We chose someone else." in final.text
    page = client_for(world.manager).get(url("application", ada)).content.decode()
    assert "Declined: we chose another candidate" in page


def test_decline_held_then_cancelled_sends_nothing(world: World, smtp_server: Any) -> None:
    ada = world.applications[0]
    client = client_for(world.manager)
    client.post(
        url("decline", ada),
        {
            "step": "send",
            "reason": "other",
            "subject": "S",
            "body": "Sorry, {{ first_name }}.",
            "when": "delay",
            "delay": "2",
        },
    )
    ada.refresh_from_db()
    assert ada.status == ApplicationStatus.ACTIVE
    assert ada.pending_decline_at is not None
    page = client.get(url("application", ada)).content.decode()
    assert "A decline is on hold" in page
    client.post(url("cancel_decline", ada))
    ada.refresh_from_db()
    assert ada.pending_decline_at is None
    with time_machine.travel(clock.now() + timedelta(days=7)):
        send_due_declines(now=clock.now(), limit=100)
        delivery.drain()
    ada.refresh_from_db()
    assert ada.status == ApplicationStatus.ACTIVE
    assert not any("Sorry, Ada" in m.text for m in smtp_server.to(ada.candidate.email))


def test_hire(world: World) -> None:
    ada = world.applications[0]
    interview = world.job.pipeline.stages.filter(coarse_stage="interview").first()
    assert interview is not None
    hiring.move_to_stage(application=ada, stage=interview, actor=world.manager)
    client_for(world.manager).post(url("hire", ada), {"when": "now"})
    ada.refresh_from_db()
    assert ada.status == ApplicationStatus.HIRED
    assert Message.objects.filter(application_id=ada.pk, kind="hired", final=True).exists()


def test_need_more_days_moves_the_promise_and_tells_the_candidate(world: World) -> None:
    ada = world.applications[0]
    before = ada.respond_by
    client_for(world.manager).post(url("extend", ada), {"business_days": 9, "note": "Panel ill"})
    ada.refresh_from_db()
    assert ada.respond_by > before
    assert Message.objects.filter(application_id=ada.pk, kind="more_time").exists()


def test_need_more_days_refuses_nonsense(world: World) -> None:
    ada = world.applications[0]
    response = client_for(world.manager).post(
        url("extend", ada), {"business_days": 99}, follow=True
    )
    assert "between 1 and 20" in response.content.decode()
    assert not Message.objects.filter(application_id=ada.pk, kind="more_time").exists()


def test_empty_note_is_refused(world: World) -> None:
    ada = world.applications[0]
    response = client_for(world.manager).post(url("note", ada), {"text": "  "}, follow=True)
    assert "can&#x27;t be empty" in response.content.decode()


def test_acting_on_a_decided_application_says_so(world: World) -> None:
    ada = world.applications[0]
    engine.schedule_decline(
        application=ada, reason="other", actor=world.manager, delay_business_days=0
    )
    response = client_for(world.manager).post(url("hire", ada), follow=True)
    assert "already declined" in response.content.decode()


def test_the_live_preview_never_sends(world: World) -> None:
    ada = world.applications[0]
    response = client_for(world.manager).post(
        url("decline", ada),
        {"step": "send", "reason": "other", "subject": "S", "body": "B", "when": "now"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    ada.refresh_from_db()
    assert ada.status == ApplicationStatus.ACTIVE
    assert not Message.objects.filter(application_id=ada.pk, final=True).exists()
