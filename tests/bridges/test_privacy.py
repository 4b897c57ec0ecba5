"""What an ATS sent about a person is theirs too: an erasure scrubs it from the bridge's
inbox, a later event from the ATS can't write their details back, and the bodies of
deliveries already dealt with are emptied after BRIDGE_EVENT_BODY_DAYS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings

from heardback.bridges.housekeeping import forget_old_event_bodies
from heardback.bridges.models import InboundEvent, InboundStatus
from heardback.bridges.services import can_replay
from heardback.hiring.models import Application, Candidate
from heardback.privacy import services as privacy
from heardback.privacy.models import Anonymisation
from heardback.promises import scheduler
from heardback.runtime.steps import steps
from tests.bridges.conftest import Bridge
from tests.bridges.test_greenhouse import application_event

pytestmark = pytest.mark.django_db


def _bodies() -> dict[int, bytes]:
    return {e.pk: bytes(e.body) for e in InboundEvent.objects.order_by("pk")}


def _ada(action: str, **options: Any) -> dict[str, Any]:
    event = application_event(action, app_id=502, email="ada@example.net", **options)
    person = event["payload"]["application"]["candidate"]
    person["id"], person["first_name"], person["last_name"] = 9002, "Ada", "Lovelace"
    return event


def test_an_erasure_scrubs_what_the_ats_sent_and_a_later_event_does_not_undo_it(
    greenhouse: Bridge,
) -> None:
    greenhouse.post(application_event("new_candidate_application", at="2026-11-30T10:00:00Z"))
    greenhouse.post(
        application_event("candidate_stage_change", stage="Phone Interview", at="2026-11-30T11:00Z")
    )
    greenhouse.post(_ada("new_candidate_application"))
    scheduler.run_until_idle()
    grace = Candidate.objects.get(org=greenhouse.org, email="grace@example.net")
    before = _bodies()
    assert sum(b"Hopper" in body for body in before.values()) == 2

    privacy.anonymise_candidate(candidate=grace, reason="request", actor_label="test")

    after = _bodies()
    for body in after.values():
        assert b"Grace" not in body and b"Hopper" not in body and b"grace@" not in body, body
    assert sum(b"[erased]" in body for body in after.values()) == 2
    # Someone else's delivery is untouched, and the scrubbed ones are still readable JSON.
    (ada_event,) = [pk for pk, body in before.items() if b"Lovelace" in body]
    assert after[ada_event] == before[ada_event]
    assert Anonymisation.objects.get(candidate=grace).counts["ats_bodies"] == 2

    # The ATS still has her and says so with the next change: the stage moves, she stays
    # erased here.
    greenhouse.post(
        application_event("candidate_stage_change", stage="Offer", at="2026-11-30T12:00:00Z")
    )
    scheduler.run_until_idle()
    grace.refresh_from_db()
    assert grace.name == privacy.ERASED_NAME and grace.is_erased
    application = Application.objects.get(candidate=grace)
    assert application.stage.coarse_stage == "offer"
    ada = Candidate.objects.get(org=greenhouse.org, email="ada@example.net")
    assert ada.name == "Ada Lovelace" and not ada.is_erased


def test_an_erasure_finds_a_delivery_by_the_ats_id_when_the_address_differs(
    greenhouse: Bridge,
) -> None:
    greenhouse.post(application_event("new_candidate_application", at="2026-11-30T10:00:00Z"))
    scheduler.run_until_idle()
    # A later delivery about the same ATS application, with an address in other case.
    greenhouse.post(
        application_event(
            "candidate_stage_change",
            stage="Phone Interview",
            at="2026-11-30T11:00:00Z",
            email="Grace@Example.NET",
        )
    )
    scheduler.run_until_idle()
    grace = Candidate.objects.get(org=greenhouse.org, email="grace@example.net")
    privacy.anonymise_candidate(candidate=grace, reason="request", actor_label="test")
    for body in _bodies().values():
        assert b"Hopper" not in body and b"Grace" not in body, body


@override_settings(BRIDGE_EVENT_BODY_DAYS=5)
def test_bodies_are_emptied_after_the_keeping_period_but_not_from_the_inbox(
    greenhouse: Bridge,
) -> None:
    assert "forget_old_event_bodies" in [s.name for s in steps("engine")]
    greenhouse.post(application_event("new_candidate_application", at="2026-11-30T10:00:00Z"))
    greenhouse.post(_ada("new_candidate_application"))
    scheduler.run_until_idle()
    # One more still waiting in the inbox (not processed yet) keeps its body at any age.
    greenhouse.post(
        application_event("candidate_stage_change", stage="Offer", at="2026-11-30T12:00:00Z")
    )
    waiting = InboundEvent.objects.get(status=InboundStatus.RECEIVED)
    received = waiting.received_at

    assert forget_old_event_bodies(now=received + timedelta(days=4), limit=100) == 0
    later = received + timedelta(days=5, seconds=1)
    assert forget_old_event_bodies(now=later, limit=1) == 1  # the limit holds
    assert forget_old_event_bodies(now=later, limit=100) == 1
    assert forget_old_event_bodies(now=later, limit=100) == 0
    for event in InboundEvent.objects.exclude(pk=waiting.pk):
        assert bytes(event.body) == b"" and event.body_removed_at == later
        assert event.status == InboundStatus.PROCESSED and event.outcome  # the log stays
    waiting.refresh_from_db()
    assert b"Hopper" in bytes(waiting.body) and waiting.body_removed_at is None


def test_a_failure_whose_body_is_gone_says_so_instead_of_offering_a_replay(
    greenhouse: Bridge,
) -> None:
    greenhouse.post(b"this is not json")
    scheduler.run_until_idle()
    failed = InboundEvent.objects.get(status=InboundStatus.FAILED)
    assert can_replay(failed)
    forget_old_event_bodies(now=failed.received_at + timedelta(days=31), limit=100)
    failed.refresh_from_db()
    assert not can_replay(failed)

    client = Client()
    client.force_login(greenhouse.admin.user)
    path = f"/app/connections/{greenhouse.connection.pk}/"
    page = client.get(path).content.decode()
    assert "Body removed after its keeping period" in page
    assert f"/events/{failed.pk}/replay/" not in page
    client.post(f"{path}events/{failed.pk}/replay/")
    failed.refresh_from_db()
    assert failed.status == InboundStatus.FAILED
