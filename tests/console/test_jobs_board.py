"""Jobs (create, edit, hold, close with preview, undo) and the pipeline board."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.urls import reverse

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Job, JobStatus, Pipeline
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.promises.closeout import run_close_outs
from heardback.promises.models import CloseOut
from tests import factories
from tests.console.conftest import World, client_for


def test_job_list_shows_counts_and_hiring_managers_only_their_jobs(world: World) -> None:
    factories.make_job(org=world.org, title="Someone Else's Job", owner=world.recruiter)
    page = client_for(world.recruiter).get(reverse("console:jobs")).content.decode()
    assert "Data Engineer" in page and "Someone Else" in page
    manager_page = client_for(world.manager).get(reverse("console:jobs")).content.decode()
    assert "Data Engineer" in manager_page and "Someone Else" not in manager_page
    outsider_page = client_for(world.outsider_manager).get(reverse("console:jobs")).content
    assert b"Data Engineer" not in outsider_page


def test_team_member_sees_the_job(world: World) -> None:
    client = client_for(world.admin)
    client.post(
        reverse("console:job_team", args=[world.job.pk]), {"member": world.outsider_manager.pk}
    )
    response = client_for(world.outsider_manager).get(reverse("console:board", args=[world.job.pk]))
    assert response.status_code == 200


def test_create_a_job_from_a_pipeline_template(world: World) -> None:
    template = Pipeline.objects.get(org=world.org, is_template=True)
    client = client_for(world.recruiter)
    response = client.post(
        reverse("console:job_new"),
        {
            "title": "Backend Developer",
            "location": "Remote",
            "description": "Python",
            "owner": world.manager.pk,
            "template": template.pk,
        },
    )
    job = Job.objects.get(org=world.org, title="Backend Developer")
    assert response["Location"] == reverse("console:board", args=[job.pk])
    assert job.owner == world.manager
    assert job.pipeline.stages.count() == template.stages.count()
    assert job.pipeline_id != template.pk


def test_create_job_rejects_another_orgs_owner_and_shows_errors(world: World) -> None:
    template = Pipeline.objects.get(org=world.org, is_template=True)
    response = client_for(world.recruiter).post(
        reverse("console:job_new"),
        {
            "title": "",
            "owner": world.other_admin.pk,
            "template": template.pk,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required" in body
    assert "is not one of the available choices" in body
    assert not Job.objects.filter(org=world.org, title="").exists()


def test_edit_job_stages_promises_and_close_out_wording(world: World) -> None:
    stages = list(world.job.pipeline.stages.order_by("position"))
    data: dict[str, Any] = {
        "title": "Senior Data Engineer",
        "location": "Berlin",
        "description": "",
        "owner": world.manager.pk,
        "closeout_subject": "About {{ job_title }}",
        "closeout_body": "Hello {{ first_name }}, we closed the role.",
    }
    for stage in stages:
        data[f"stage-{stage.pk}-name"] = stage.name
        data[f"stage-{stage.pk}-days"] = 4
    data[f"stage-{stages[0].pk}-days"] = 3
    response = client_for(world.recruiter).post(
        reverse("console:job_edit", args=[world.job.pk]), data
    )
    assert response.status_code == 302
    world.job.refresh_from_db()
    assert world.job.title == "Senior Data Engineer"
    assert world.job.closeout_subject == "About {{ job_title }}"
    stages[0].refresh_from_db()
    assert stages[0].promise_business_days == 3


def test_edit_job_refuses_a_zero_day_promise_inline(world: World) -> None:
    stage = world.job.pipeline.stages.first()
    response = client_for(world.recruiter).post(
        reverse("console:job_edit", args=[world.job.pk]),
        {
            "title": "Data Engineer",
            "owner": world.manager.pk,
            f"stage-{stage.pk}-name": "Applied",
            f"stage-{stage.pk}-days": "0",
        },
    )
    assert response.status_code == 200
    assert "between 3 and 60 business days" in response.content.decode()
    stage.refresh_from_db()
    assert stage.promise_business_days != 0


def test_hold_and_resume(world: World) -> None:
    client = client_for(world.recruiter)
    client.post(reverse("console:job_hold", args=[world.job.pk]), {"hold": "1"})
    world.job.refresh_from_db()
    assert world.job.status == JobStatus.ON_HOLD
    client.post(reverse("console:job_hold", args=[world.job.pk]), {"hold": "0"})
    world.job.refresh_from_db()
    assert world.job.status == JobStatus.OPEN


def test_close_shows_count_and_preview_then_closes_and_undo_restores(
    world: World, smtp_server: Any
) -> None:
    client = client_for(world.recruiter)
    preview = client.get(reverse("console:job_close", args=[world.job.pk])).content.decode()
    assert '<strong id="closeout-count">3</strong>' in preview
    assert "Hello Ada" in preview  # rendered against a real candidate
    client.post(reverse("console:job_close", args=[world.job.pk]), {"outcome": "filled"})
    world.job.refresh_from_db()
    assert world.job.status == JobStatus.FILLED
    close_out = CloseOut.objects.get(job=world.job)
    assert close_out.total == 3
    run_close_outs(now=clock.now(), limit=100)
    board = client.get(reverse("console:board", args=[world.job.pk])).content.decode()
    assert "Undo: reopen the job" in board
    client.post(reverse("console:job_reopen", args=[world.job.pk]))
    world.job.refresh_from_db()
    assert world.job.status == JobStatus.OPEN
    assert Application.objects.filter(job=world.job, status="active").count() == 3


def test_undo_is_gone_after_the_window(world: World) -> None:
    client = client_for(world.recruiter)
    client.post(reverse("console:job_close", args=[world.job.pk]), {"outcome": "closed"})
    with time_machine.travel(clock.now() + timedelta(days=3)):
        board = client.get(reverse("console:board", args=[world.job.pk])).content.decode()
        assert "Undo: reopen the job" not in board
        response = client.post(reverse("console:job_reopen", args=[world.job.pk]), follow=True)
        assert "undo window has passed" in response.content.decode()


def test_board_columns_counts_and_marks(world: World) -> None:
    stage2 = world.job.pipeline.stages.order_by("position")[1]
    hiring.move_to_stage(application=world.applications[0], stage=stage2, actor=world.recruiter)
    page = client_for(world.manager).get(reverse("console:board", args=[world.job.pk]))
    body = page.content.decode()
    columns = page.context["columns"]
    assert [c.count for c in columns[:2]] == [2, 1]
    assert "Ada Lovelace" in body and "Respond by" in body
    # Nine days later everyone is overdue.
    with time_machine.travel(clock.now() + timedelta(days=9)):
        body = (
            client_for(world.manager)
            .get(reverse("console:board", args=[world.job.pk]))
            .content.decode()
        )
        assert body.count(">Overdue</span>") == 3


def test_board_filters(world: World) -> None:
    _ada, grace, alan = world.applications
    grace.candidate.unreachable_since = clock.now()
    grace.candidate.save()
    Application.objects.filter(pk=alan.pk).update(respond_by=clock.now() - timedelta(hours=1))
    client = client_for(world.recruiter)
    url = reverse("console:board", args=[world.job.pk])

    def names(filter_key: str) -> set[str]:
        columns = client.get(url, {"filter": filter_key}).context["columns"]
        return {card.candidate.name for c in columns for card in c.cards}

    assert names("overdue") == {"Alan Turing"}
    assert names("unreachable") == {"Grace Hopper"}
    assert "Alan Turing" not in names("due_week")
    assert names("") == {"Ada Lovelace", "Grace Hopper", "Alan Turing"}
    columns = client.get(url, {"q": "hopper"}).context["columns"]
    assert {card.candidate.name for c in columns for card in c.cards} == {"Grace Hopper"}


def test_move_shows_the_message_preview_then_sends_it(world: World, smtp_server: Any) -> None:
    ada = world.applications[0]
    interview = world.job.pipeline.stages.get(name="Interview")
    client = client_for(world.manager)
    preview = client.get(reverse("console:move", args=[ada.pk]), {"stage": interview.pk})
    body = preview.content.decode()
    assert "They will get this message" in body
    assert "Next step for Data Engineer: an interview" in body
    assert "Hello Ada" in body
    client.post(reverse("console:move", args=[ada.pk]), {"stage": interview.pk})
    ada.refresh_from_db()
    assert ada.stage == interview
    delivery.drain()
    subjects = [m.subject for m in smtp_server.to(ada.candidate.email)]
    assert "Next step for Data Engineer: an interview" in subjects


def test_internal_move_says_no_message_is_sent(world: World) -> None:
    ada = world.applications[0]
    stages = list(world.job.pipeline.stages.order_by("position"))
    hiring.move_to_stage(application=ada, stage=stages[1], actor=world.recruiter)
    before = Message.objects.filter(application_id=ada.pk).count()
    client = client_for(world.recruiter)
    body = client.get(reverse("console:move", args=[ada.pk]), {"stage": stages[2].pk}).content
    assert b"no message is sent" in body
    client.post(reverse("console:move", args=[ada.pk]), {"stage": stages[2].pk})
    assert Message.objects.filter(application_id=ada.pk).count() == before


def test_move_to_a_stage_of_another_job_is_not_found(world: World) -> None:
    other_job = factories.make_job(org=world.org, title="Other", owner=world.manager)
    foreign_stage = other_job.pipeline.stages.last()
    response = client_for(world.recruiter).get(
        reverse("console:move", args=[world.applications[0].pk]), {"stage": foreign_stage.pk}
    )
    assert response.status_code == 404


def test_counts_are_not_multiplied_by_the_team(world: World) -> None:
    client = client_for(world.admin)
    for other in (world.recruiter, world.outsider_manager, world.admin):
        client.post(reverse("console:job_team", args=[world.job.pk]), {"member": other.pk})
    [job] = client_for(world.manager).get(reverse("console:jobs")).context["jobs"]
    assert job.active_count == 3
    [job] = client_for(world.outsider_manager).get(reverse("console:jobs")).context["jobs"]
    assert job.active_count == 3
