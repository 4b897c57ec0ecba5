"""Templates with live preview, the policy page with inline errors, and the dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.urls import reverse

from heardback import clock
from heardback.console.models import DeclineTemplate
from heardback.hiring import services as hiring
from heardback.messaging import delivery
from heardback.promises import services as engine
from tests import factories
from tests.console.conftest import World, client_for


def test_template_list_links_every_reason_and_language(world: World) -> None:
    body = client_for(world.recruiter).get(reverse("console:templates")).content.decode()
    assert reverse("console:decline_template", args=["experience", "de"]) in body
    stage = world.job.pipeline.stages.first()
    template_stage = world.org.pipelines.get(is_template=True).stages.first()
    assert reverse("console:stage_template", args=[template_stage.pk]) in body
    assert reverse("console:stage_template", args=[stage.pk]) not in body  # jobs have copies


def test_decline_template_per_language_is_saved_and_used(world: World) -> None:
    client = client_for(world.recruiter)
    url = reverse("console:decline_template", args=["experience", "es"])
    page = client.get(url).content.decode()
    assert "Live preview" in page and "As Alan Turing (Data Engineer)" in page
    client.post(
        url,
        {"subject": "Tu candidatura: {{ job_title }}", "body": "Hola {{ first_name }}, gracias."},
    )
    saved = DeclineTemplate.objects.get(org=world.org, reason="experience", language="es")
    assert saved.subject == "Tu candidatura: {{ job_title }}"
    spanish = factories.make_application(job=world.job, name="Lucía Pérez", language="es")
    decline = (
        client_for(world.manager)
        .get(reverse("console:decline", args=[spanish.pk]), {"reason": "experience"})
        .content.decode()
    )
    assert "Hola Lucía, gracias." in decline  # preview of the Spanish wording
    english = (
        client_for(world.manager)
        .get(reverse("console:decline", args=[world.applications[0].pk]), {"reason": "experience"})
        .content.decode()
    )
    assert "Hola" not in english


def test_live_preview_renders_against_a_real_application(world: World) -> None:
    response = client_for(world.recruiter).post(
        reverse("console:template_preview"),
        {
            "application": world.applications[1].pk,
            "subject": "Hi {{ first_name }}",
            "body": "About {{ job_title }} at {{ org_name }}.",
        },
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert 'id="preview-subject">Hi Grace<' in body
    assert "About Data Engineer at Acme Analytics." in body
    assert "<iframe" in body  # the HTML version too


def test_live_preview_shows_template_mistakes(world: World) -> None:
    response = client_for(world.recruiter).post(
        reverse("console:template_preview"),
        {
            "subject": "Hi",
            "body": "{% for %}",
        },
    )
    assert "The template has a mistake" in response.content.decode()


def test_saving_a_broken_template_keeps_the_text_and_says_why(world: World) -> None:
    url = reverse("console:decline_template", args=["other", "en"])
    response = client_for(world.recruiter).post(url, {"subject": "S", "body": "Hi {% if %}"})
    assert response.status_code == 200
    assert "Hi {% if %}" in response.content.decode()
    assert "The template has a mistake" in response.content.decode()
    assert not DeclineTemplate.objects.exists()


def test_stage_template_is_used_when_moving(world: World, smtp_server: Any) -> None:
    template_stage = world.org.pipelines.get(is_template=True).stages.get(name="Interview")
    client_for(world.recruiter).post(
        reverse("console:stage_template", args=[template_stage.pk]),
        {
            "subject": "Let's talk, {{ first_name }}",
            "body": "We'd love to meet you.",
        },
    )
    job = factories.make_job(org=world.org, title="Analyst", owner=world.manager)
    application = factories.make_application(job=job, name="Kim Park")
    interview = job.pipeline.stages.get(name="Interview")
    hiring.move_to_stage(application=application, stage=interview, actor=world.manager)
    delivery.drain()
    assert "Let's talk, Kim" in [m.subject for m in smtp_server.to(application.candidate.email)]


def test_policy_page_saves_valid_settings(world: World) -> None:
    client = client_for(world.admin)
    data = {
        "max_silence_days": 5,
        "min_gap_days": 2,
        "nudge_lead_hours": 24,
        "grace_hours": 24,
        "extension_business_days": 3,
        "extension_cap": 2,
        "past_cap_action": "decline",
        "decline_delay_business_days": 2,
        "close_out_undo_hours": 48,
    }
    assert client.post(reverse("console:policy"), data).status_code == 302
    policy = engine.get_policy(org=world.org)
    assert (policy.max_silence_days, policy.decline_delay_business_days) == (5, 2)


def test_policy_errors_are_inline_and_nothing_changes(world: World) -> None:
    client = client_for(world.admin)
    data = {
        "max_silence_days": 3,
        "min_gap_days": 5,
        "nudge_lead_hours": 24,
        "grace_hours": 24,
        "extension_business_days": 3,
        "extension_cap": 2,
        "past_cap_action": "escalate",
        "decline_delay_business_days": 9,
        "close_out_undo_hours": 24,
    }
    response = client.post(reverse("console:policy"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_min_gap_days_error"' in body and "must be shorter" in body
    assert 'id="id_decline_delay_business_days_error"' in body
    assert 'value="5"' in body  # what they typed is kept
    policy = engine.get_policy(org=world.org)
    assert (policy.max_silence_days, policy.min_gap_days) == (7, 3)


def test_decline_uses_the_policy_delay_by_default(world: World) -> None:
    engine.update_policy(org=world.org, actor=world.admin, decline_delay_business_days=3)
    page = (
        client_for(world.manager)
        .get(reverse("console:decline", args=[world.applications[0].pk]))
        .content.decode()
    )
    assert 'name="delay" value="3"' in page


def test_dashboard_numbers_and_who_needs_to_act_today(world: World, smtp_server: Any) -> None:
    ada = world.applications[0]
    engine.schedule_decline(
        application=ada, reason="other", actor=world.manager, delay_business_days=0
    )
    delivery.drain()
    with time_machine.travel(clock.now() + timedelta(days=10)):
        response = client_for(world.recruiter).get(reverse("console:dashboard"))
        body = response.content.decode()
        metrics = response.context["metrics"]
        assert metrics.finished == 1 and metrics.heard_back == 1
        assert 'id="m-hear-back">100%<' in body
        assert 'id="m-overdue">2<' in body
        act = response.context["act_today"]
        assert {a.candidate.name for a in act} == {"Grace Hopper", "Alan Turing"}
        assert body.count("<rect") == 36  # three charts of 12 weeks
        assert "Hear-back rate per week" in body


def test_hiring_manager_dashboard_is_about_their_jobs(world: World) -> None:
    other = factories.make_job(org=world.org, title="Not Mine", owner=world.recruiter)
    factories.make_application(job=other, name="Somebody Else")
    with time_machine.travel(clock.now() + timedelta(days=10)):
        response = client_for(world.manager).get(reverse("console:dashboard"))
    names = {a.candidate.name for a in response.context["act_today"]}
    assert "Somebody Else" not in names
    assert response.context["metrics"].applications == 3


def test_dashboard_filters_by_job(world: World) -> None:
    other = factories.make_job(org=world.org, title="Second", owner=world.recruiter)
    factories.make_application(job=other)
    client = client_for(world.admin)
    assert client.get(reverse("console:dashboard")).context["metrics"].applications == 4
    by_job = client.get(reverse("console:dashboard"), {"job": other.pk})
    assert by_job.context["metrics"].applications == 1
    foreign = client.get(reverse("console:dashboard"), {"job": world.other_job.pk})
    assert foreign.context["metrics"].applications == 4  # another org's job is ignored


def test_a_jobs_own_stage_message(world: World, smtp_server: Any) -> None:
    interview = world.job.pipeline.stages.get(name="Interview")
    url = reverse("console:stage_template", args=[interview.pk])
    edit = client_for(world.recruiter).get(reverse("console:job_edit", args=[world.job.pk]))
    assert url in edit.content.decode()
    assert client_for(world.manager).get(url).status_code == 403
    saved = client_for(world.recruiter).post(
        url, {"subject": "Interview time, {{ first_name }}", "body": "Pick a slot, please."}
    )
    assert saved["Location"] == reverse("console:job_edit", args=[world.job.pk])
    ada = world.applications[0]
    interview.refresh_from_db()
    hiring.move_to_stage(application=ada, stage=interview, actor=world.manager)
    delivery.drain()
    assert smtp_server.to(ada.candidate.email)[-1].subject == "Interview time, Ada"
    # The org's template pipeline is untouched.
    template_stage = world.org.pipelines.get(is_template=True).stages.get(name="Interview")
    assert template_stage.subject_template == ""
