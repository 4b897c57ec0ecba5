"""Greenhouse through the bridge: signed deliveries in, the no-ghost contract out."""

from __future__ import annotations

from typing import Any

from heardback.bridges.models import InboundEvent, InboundStatus
from heardback.hiring.models import Application, ApplicationStatus, Job
from heardback.messaging import delivery
from heardback.promises import scheduler
from tests.bridges.conftest import Bridge


def application_event(
    action: str,
    *,
    status: str = "active",
    stage: str = "Application Review",
    at: str = "2026-11-30T10:00:00Z",
    app_id: int = 501,
    email: str = "grace@example.net",
    job_status: str = "open",
    reason: str = "",
) -> dict[str, Any]:
    application: dict[str, Any] = {
        "id": app_id,
        "status": status,
        "last_activity_at": at,
        "applied_at": "2026-11-30T09:00:00Z",
        "current_stage": {"id": 7, "name": stage},
        "candidate": {
            "id": 9001,
            "first_name": "Grace",
            "last_name": "Hopper",
            "email_addresses": [{"value": email, "type": "personal"}],
        },
        "jobs": [{"id": 4242, "name": "Compiler Engineer", "status": job_status}],
    }
    if reason:
        application["rejection_reason"] = {"id": 1, "name": reason}
    return {"action": action, "payload": {"application": application}}


def process() -> None:
    scheduler.run_until_idle()


def test_a_new_application_is_acknowledged_once_however_often_it_is_delivered(
    greenhouse: Bridge, smtp_server: Any
) -> None:
    event = application_event("new_candidate_application")
    first = greenhouse.post(event, headers={"Greenhouse-Event-ID": "evt-1"})
    again = greenhouse.post(event, headers={"Greenhouse-Event-ID": "evt-1"})
    assert (first.status_code, again.status_code) == (202, 200)
    process()
    delivery.drain()
    job = Job.objects.get(org=greenhouse.org, title="Compiler Engineer")
    application = Application.objects.get(job=job)
    assert application.candidate.email == "grace@example.net"
    assert application.respond_by is not None
    mails = smtp_server.to("grace@example.net")
    assert len(mails) == 1
    assert mails[0].message["X-Heardback-Kind"] == "acknowledgement"


def test_a_bad_or_missing_signature_is_refused_recorded_and_never_processed(
    greenhouse: Bridge,
) -> None:
    event = application_event("new_candidate_application")
    assert greenhouse.post(event, secret="wrong").status_code == 401
    bare = greenhouse.client.post(
        f"/hooks/greenhouse/{greenhouse.connection.pk}/", b"{}", content_type="application/json"
    )
    assert bare.status_code == 401
    process()
    assert not Application.objects.filter(org=greenhouse.org).exists()
    refused = InboundEvent.objects.filter(status=InboundStatus.BAD_SIGNATURE)
    assert refused.count() == 2 and all(bytes(e.body) == b"" for e in refused)


def test_stage_changes_reject_and_a_late_older_event_that_changes_nothing(
    greenhouse: Bridge, smtp_server: Any
) -> None:
    greenhouse.post(application_event("new_candidate_application", at="2026-11-30T10:00:00Z"))
    greenhouse.post(
        application_event(
            "candidate_stage_change", stage="Phone Interview", at="2026-11-30T11:00:00Z"
        )
    )
    process()
    application = Application.objects.get(org=greenhouse.org)
    assert application.stage.coarse_stage == "interview"
    greenhouse.post(
        application_event(
            "reject_candidate",
            status="rejected",
            stage="Phone Interview",
            at="2026-11-30T12:00:00Z",
            reason="Hired another candidate",
        )
    )
    process()
    # Arrives after the reject was applied, happened before it: must not undo it.
    greenhouse.post(
        application_event("candidate_stage_change", stage="Offer", at="2026-11-30T11:30:00Z")
    )
    process()
    application.refresh_from_db()
    assert application.stage.coarse_stage == "interview"
    assert application.pending_decline_at is not None or (
        application.status == ApplicationStatus.DECLINED
    )
    stale = InboundEvent.objects.filter(outcome__contains="older than").count()
    assert stale == 1


def test_unreject_within_the_hold_cancels_the_decline(greenhouse: Bridge) -> None:
    from heardback.promises.services import update_policy

    update_policy(org=greenhouse.org, actor=greenhouse.admin, decline_delay_business_days=2)
    greenhouse.post(application_event("new_candidate_application", at="2026-11-30T10:00:00Z"))
    greenhouse.post(
        application_event("reject_candidate", status="rejected", at="2026-11-30T11:00:00Z")
    )
    greenhouse.post(
        application_event("unreject_candidate", status="active", at="2026-11-30T11:05:00Z")
    )
    process()
    application = Application.objects.get(org=greenhouse.org)
    assert application.status == ApplicationStatus.ACTIVE
    assert application.pending_decline_at is None


def test_a_job_closed_in_the_ats_closes_out_every_candidate_once(
    greenhouse: Bridge, smtp_server: Any
) -> None:
    for n in range(5):
        greenhouse.post(
            application_event(
                "new_candidate_application", app_id=600 + n, email=f"c{n}@example.net"
            )
        )
    process()
    closed = {
        "action": "job_updated",
        "payload": {
            "job": {
                "id": 4242,
                "name": "Compiler Engineer",
                "status": "closed",
                "updated_at": "2026-11-30T15:00:00Z",
            }
        },
    }
    greenhouse.post(closed, headers={"Greenhouse-Event-ID": "close-1"})
    greenhouse.post(closed, headers={"Greenhouse-Event-ID": "close-2"})  # sent twice
    process()
    delivery.drain()
    for n in range(5):
        kinds = [m.message["X-Heardback-Kind"] for m in smtp_server.to(f"c{n}@example.net")]
        assert sorted(kinds) == ["acknowledgement", "close_out"]
    assert not Application.objects.filter(
        org=greenhouse.org, status=ApplicationStatus.ACTIVE
    ).exists()
