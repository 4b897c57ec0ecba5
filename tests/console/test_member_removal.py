"""Removing a member: an admin only, never the last admin, with a preview of what moves,
and their jobs, held declines, API keys and connections handed to a chosen member."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from heardback.api.keys import create_key
from heardback.api.models import ApiKey
from heardback.console import services
from heardback.console.models import JobTeam
from heardback.hiring.errors import HiringError
from heardback.hiring.models import Application, Event, EventKind, Job, Member, Role
from heardback.promises import services as engine
from tests import factories
from tests.console.conftest import World, client_for

pytestmark = pytest.mark.django_db


def _hold_decline(world: World, application: Application, actor: Member) -> None:
    engine.schedule_decline(
        application=application,
        reason="experience",
        delay_business_days=2,
        subject="About your application",
        body="Thank you, {{ first_name }}.",
        actor=actor,
    )


def test_the_preview_shows_what_moves_and_changes_nothing(world: World) -> None:
    second = factories.make_job(org=world.org, title="Analyst", owner=world.manager)
    factories.make_application(job=second, name="Nora Next")
    services.add_to_team(actor=world.admin, job=world.job, member=world.outsider_manager)
    client = client_for(world.admin)
    response = client.get(reverse("console:member_remove", args=[world.manager.pk]))
    assert response.status_code == 200
    handover = response.context["handover"]
    assert [j.title for j in handover.jobs] == ["Analyst", "Data Engineer"]
    assert handover.open_promises == 4
    body = response.content.decode()
    assert "4</strong> open promises" in body
    assert Member.objects.filter(pk=world.manager.pk).exists()
    assert Job.objects.filter(owner=world.manager).count() == 2


def test_removing_hands_over_jobs_held_declines_and_keys(world: World) -> None:
    ada = world.applications[0]
    _hold_decline(world, ada, world.manager)
    services.change_role(actor=world.admin, member=world.manager, role=Role.ADMIN)
    key, _raw = create_key(actor=world.manager, name="careers site", scope="read")
    services.add_to_team(actor=world.admin, job=world.job, member=world.manager)
    client = client_for(world.admin)
    response = client.post(
        reverse("console:member_remove", args=[world.manager.pk]),
        {"successor": world.recruiter.pk},
    )
    assert response.status_code == 302
    assert not Member.objects.filter(pk=world.manager.pk).exists()
    world.job.refresh_from_db()
    assert world.job.owner_id == world.recruiter.pk
    ada.refresh_from_db()
    assert ada.pending_decline_by_id == world.recruiter.pk
    assert ada.pending_decline_at is not None  # still held, still to be sent
    assert ApiKey.objects.get(pk=key.pk).created_by_id == world.recruiter.pk
    assert not JobTeam.objects.filter(member_id=world.manager.pk).exists()
    event = Event.objects.get(org=world.org, kind=EventKind.MEMBER_REMOVED)
    assert event.data["open_promises"] == 3 and event.data["held_declines"] == 1
    # The removed person can no longer use the console.
    gone = client_for(world.manager)
    assert gone.get(reverse("console:dashboard")).status_code == 403


def test_the_last_admin_and_oneself_cannot_be_removed(world: World) -> None:
    with pytest.raises(HiringError, match="yourself"):
        services.remove_member(actor=world.admin, member=world.admin, successor=world.recruiter)
    refused = client_for(world.admin).get(
        reverse("console:member_remove", args=[world.admin.pk]), follow=True
    )
    assert "remove yourself" in refused.content.decode()
    assert "member_remove" not in str(refused.redirect_chain[-1][0])


def test_two_admins_removing_each_other_leave_one(world: World) -> None:
    """The race's second step: B's removal of A, decided on a page A's removal has since
    made stale, finds that A is the last admin and is refused."""
    second = factories.make_member(org=world.org, role=Role.ADMIN, email="a2@acme.example")
    services.remove_member(actor=world.admin, member=second, successor=world.recruiter)
    with pytest.raises(HiringError, match="last one"):
        services.remove_member(actor=second, member=world.admin, successor=world.recruiter)
    assert list(Member.objects.filter(org=world.org, role=Role.ADMIN)) == [world.admin]


@pytest.mark.parametrize("successor", ["", "abc", "self", "other_org"])
def test_a_bad_successor_is_a_clear_message_and_nothing_moves(world: World, successor: str) -> None:
    value: Any = {"self": world.manager.pk, "other_org": world.other_admin.pk}.get(
        successor, successor
    )
    response = client_for(world.admin).post(
        reverse("console:member_remove", args=[world.manager.pk]), {"successor": value}
    )
    assert response.status_code == 400
    assert "Choose" in response.content.decode()
    assert Member.objects.filter(pk=world.manager.pk).exists()
    world.job.refresh_from_db()
    assert world.job.owner_id == world.manager.pk


def test_only_admins_and_only_their_own_org(world: World) -> None:
    url = reverse("console:member_remove", args=[world.manager.pk])
    assert client_for(world.recruiter).get(url).status_code == 403
    assert client_for(world.other_admin).get(url).status_code == 404
    assert client_for(world.other_admin).post(url, {"successor": 1}).status_code == 404
