"""Every provider over real HTTP: signed deliveries posted to the live server, the scheduler
applies them, and the candidates' messages reach a real SMTP server exactly once.

Payloads are the providers' documented shapes (tests/bridges/payloads.py). Each delivery
is sent twice with the same bytes and headers (the ATS retrying): the second is answered
200 "duplicate" and changes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from heardback.bridges.models import InboundEvent, InboundStatus
from heardback.hiring.models import Application, ApplicationStatus, EventKind, Job, JobStatus
from heardback.messaging import delivery
from heardback.promises import scheduler
from heardback.promises.services import update_policy
from tests.bridges.conftest import SECRET, LiveBridge
from tests.bridges.payloads import PROVIDERS, Provider, Story, encode, hexdigest, lever_event

pytestmark = pytest.mark.django_db(transaction=True)

WITH_JOB_EVENTS = [name for name, p in PROVIDERS.items() if p.has_job_events]


def deliver(bridge: LiveBridge, provider: Provider, body: dict[str, Any]) -> int:
    """Post a signed delivery twice, as an ATS retrying would; returns the first status."""
    raw = encode(body)
    headers = {**provider.headers(raw, SECRET), **provider.delivery_id()}
    first = bridge.post_raw(raw, headers)
    again = bridge.post_raw(raw, headers)
    assert (first.status_code, again.status_code) == (202, 200), (first.text, again.text)
    assert again.json() == {"status": "duplicate"}
    return first.status_code


def send(bridge: LiveBridge, provider: Provider, **story: Any) -> None:
    deliver(bridge, provider, provider.application(Story(**story)))


def settle() -> None:
    """Apply what arrived, run the engine until idle, send the mail."""
    scheduler.run_until_idle()
    delivery.drain()


def kinds(smtp_server: Any, address: str) -> list[str]:
    return [str(m.message["X-Heardback-Kind"]) for m in smtp_server.to(address)]


def application(bridge: LiveBridge, address: str) -> Application:
    return Application.objects.select_related("stage").get(org=bridge.org, candidate__email=address)


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_apply_move_reject_hire_and_job_close_reach_each_candidate_exactly_once(
    name: str, live_bridge: Any, smtp_server: Any
) -> None:
    provider = PROVIDERS[name]
    bridge = live_bridge(name)
    hired = Story(app_id=1, email="hired@example.net", first_name="Ada")
    declined = Story(app_id=2, email="declined@example.net", first_name="Bo")
    waiting = Story(app_id=3, email="waiting@example.net", first_name="Cy")
    for story in (hired, declined, waiting):
        deliver(bridge, provider, provider.application(story))
    settle()
    assert {kinds(smtp_server, s.address)[0] for s in (hired, declined, waiting)} == {
        "acknowledgement"
    }

    send(bridge, provider, app_id=1, email=hired.address, stage="Phone Interview", minute=10)
    send(bridge, provider, app_id=1, email=hired.address, stage="Offer", minute=20)
    send(
        bridge,
        provider,
        app_id=2,
        email=declined.address,
        state="rejected",
        stage="Phone Interview",
        minute=15,
        reason="Not enough experience",
    )
    send(bridge, provider, app_id=1, email=hired.address, state="hired", stage="Offer", minute=30)
    settle()
    assert kinds(smtp_server, hired.address) == [
        "acknowledgement",
        "stage_update",
        "stage_update",
        "hired",
    ]
    assert kinds(smtp_server, declined.address) == ["acknowledgement", "decline"]
    assert application(bridge, declined.address).decline_reason == "experience"
    assert application(bridge, hired.address).status == ApplicationStatus.HIRED

    if provider.has_job_events:
        deliver(bridge, provider, provider.job_closed(4242, minute=40))
        settle()
        assert kinds(smtp_server, waiting.address) == ["acknowledgement", "close_out"]
        assert Job.objects.get(org=bridge.org).status == JobStatus.CLOSED
    else:
        assert kinds(smtp_server, waiting.address) == ["acknowledgement"]
    # Nothing more, however often the engine runs.
    before = len(smtp_server.received)
    settle()
    assert len(smtp_server.received) == before
    assert not InboundEvent.objects.filter(
        connection=bridge.connection, status__in=[InboundStatus.FAILED, InboundStatus.RECEIVED]
    ).exists()


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_when_the_ats_sends_final_messages_heardback_records_them_silently(
    name: str, live_bridge: Any, smtp_server: Any
) -> None:
    provider = PROVIDERS[name]
    bridge = live_bridge(name, final_message_by="ats")
    for n in (1, 2):
        send(bridge, provider, app_id=n)
    send(bridge, provider, app_id=1, state="rejected", stage="Phone Interview", minute=10)
    send(bridge, provider, app_id=2, state="hired", stage="Offer", minute=10)
    settle()
    for n, status in ((1, ApplicationStatus.DECLINED), (2, ApplicationStatus.HIRED)):
        address = Story(app_id=n).address
        assert kinds(smtp_server, address) == ["acknowledgement"]
        found = application(bridge, address)
        assert found.status == status and found.respond_by is None
        assert found.events.filter(kind=EventKind.OUTCOME_TOLD_ELSEWHERE).count() == 1


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_an_unreject_within_the_hold_cancels_the_decline_and_nothing_is_sent(
    name: str, live_bridge: Any, smtp_server: Any, time_machine: Any
) -> None:
    provider = PROVIDERS[name]
    bridge = live_bridge(name)
    update_policy(org=bridge.org, actor=bridge.admin, decline_delay_business_days=2)
    story = Story(app_id=7, stage="Phone Interview")
    deliver(bridge, provider, provider.application(story))
    send(bridge, provider, app_id=7, state="rejected", stage="Phone Interview", minute=10)
    settle()
    assert application(bridge, story.address).pending_decline_at is not None
    # Greenhouse names it; the others send the application active again.
    action = "unreject_candidate" if name == "greenhouse" else ""
    send(bridge, provider, app_id=7, stage="Phone Interview", minute=20, action=action)
    settle()
    found = application(bridge, story.address)
    assert found.status == ApplicationStatus.ACTIVE and found.pending_decline_at is None
    assert found.events.filter(kind=EventKind.DECLINE_CANCELLED).count() == 1
    # Past the hold: still no decline.
    time_machine.shift(60 * 60 * 24 * 4)
    settle()
    assert "decline" not in kinds(smtp_server, story.address)


@pytest.mark.parametrize("name", list(PROVIDERS))
def test_signatures_correct_wrong_missing_and_replayed(name: str, live_bridge: Any) -> None:
    provider = PROVIDERS[name]
    bridge = live_bridge(name)
    raw = encode(provider.application(Story(app_id=9)))
    ids = provider.delivery_id()
    good = {**provider.headers(raw, SECRET), **ids}
    assert (
        bridge.post_raw(raw, {**provider.headers(raw, "not-the-secret"), **ids}).status_code == 401
    )
    assert bridge.post_raw(raw, ids).status_code == 401  # no signature at all
    tampered = raw.replace(b"candidate9@", b"attacker9@")
    assert bridge.post_raw(tampered, good).status_code == 401  # signed bytes were changed
    assert bridge.post_raw(raw, good).status_code == 202
    assert bridge.post_raw(raw, good).status_code == 200  # replayed as captured
    stored = InboundEvent.objects.filter(connection=bridge.connection)
    assert stored.filter(status=InboundStatus.BAD_SIGNATURE).count() == 3
    assert not any(bytes(e.body) for e in stored.filter(status=InboundStatus.BAD_SIGNATURE))
    assert stored.exclude(status=InboundStatus.BAD_SIGNATURE).count() == 1
    settle()
    assert Application.objects.filter(org=bridge.org).count() == 1
    assert not Application.objects.filter(candidate__email__startswith="attacker").exists()


def test_a_replayed_delivery_with_a_new_id_changes_nothing(
    live_bridge: Any, smtp_server: Any
) -> None:
    """An ATS that gives each retry a new delivery id: stored twice, applied once in effect
    (the state is already so), no second message."""
    provider = PROVIDERS["greenhouse"]
    bridge = live_bridge("greenhouse")
    for body in (
        provider.application(Story(app_id=1)),
        provider.application(Story(app_id=1, state="rejected", stage="Phone Interview", minute=5)),
    ):
        raw = encode(body)
        for _ in range(2):
            headers = {**provider.headers(raw, SECRET), **provider.delivery_id()}
            assert bridge.post_raw(raw, headers).status_code == 202
    settle()
    assert kinds(smtp_server, Story(app_id=1).address) == ["acknowledgement", "decline"]


def test_unknown_endpoints_and_oversized_bodies_are_refused(live_bridge: Any) -> None:
    bridge = live_bridge("generic")
    raw = b"{}"
    signed = PROVIDERS["generic"].headers(raw, SECRET)
    assert (
        bridge.http.post(
            f"/hooks/ashby/{bridge.connection.pk}/", content=raw, headers=signed
        ).status_code
        == 404
    )  # another provider's path
    assert (
        bridge.http.post("/hooks/generic/999999/", content=raw, headers=signed).status_code == 404
    )
    past_64_bits = "/hooks/generic/99999999999999999999999/"
    assert bridge.http.post(past_64_bits, content=raw, headers=signed).status_code == 404
    huge = b'{"x": "' + b"a" * 1_100_000 + b'"}'
    assert bridge.post_raw(huge, PROVIDERS["generic"].headers(huge, SECRET)).status_code == 413
    assert bridge.http.get(bridge.path).status_code == 405


def test_lever_deliveries_are_verified_and_stored_and_wait_for_the_api(
    live_bridge: Any,
) -> None:
    """Lever signs token + triggeredAt inside the body and sends ids only: verified and
    stored here; applying waits for the opportunity to be fetched through Lever's API."""
    bridge = live_bridge("lever")
    body = lever_event(
        event="candidateStageChange",
        opportunity="opp-1",
        triggered_at=1796025600000,
        secret=SECRET,
    )
    raw = encode(body)
    assert bridge.post_raw(raw, {}).status_code == 202
    assert bridge.post_raw(raw, {}).status_code == 200  # retried as is
    # The same signature with another opportunity: the body is not signed, the signed parts
    # are the delivery's identity, so it is the same delivery.
    other = encode({**body, "data": {**body["data"], "opportunityId": "opp-2"}})
    assert bridge.post_raw(other, {}).status_code == 200
    wrong = encode({**body, "signature": hexdigest("not-the-secret", b"x")})
    assert bridge.post_raw(wrong, {}).status_code == 401
    missing = encode({k: v for k, v in body.items() if k != "signature"})
    assert bridge.post_raw(missing, {}).status_code == 401
    stored = InboundEvent.objects.get(connection=bridge.connection, status=InboundStatus.RECEIVED)
    assert json.loads(bytes(stored.body))["data"]["opportunityId"] == "opp-1"
    scheduler.run_until_idle()
    stored.refresh_from_db()
    assert stored.status == InboundStatus.RECEIVED
    assert stored.outcome == "waiting for the details from the ATS's API"
    assert stored.next_attempt_at is not None
    assert not Application.objects.filter(org=bridge.org).exists()


def test_deliveries_of_one_application_out_of_order_end_as_the_ats_says(
    live_bridge: Any, smtp_server: Any
) -> None:
    """Late, retried and reordered deliveries that are in the inbox together are applied in
    the ATS's order: rejected, then a late "moved to Offer" from before: still rejected."""
    provider = PROVIDERS["ashby"]
    bridge = live_bridge("ashby")
    stories = [
        Story(app_id=1, state="rejected", stage="Offer", minute=30),
        Story(app_id=1, stage="Offer", minute=20),
        Story(app_id=1, minute=0),
        Story(app_id=1, stage="Phone Interview", minute=10),
    ]
    for story in stories:
        deliver(bridge, provider, provider.application(story))
    settle()
    assert kinds(smtp_server, Story(app_id=1).address) == [
        "acknowledgement",
        "stage_update",
        "stage_update",
        "decline",
    ]
    found = application(bridge, Story(app_id=1).address)
    assert (found.status, found.stage.coarse_stage) == (ApplicationStatus.DECLINED, "offer")
    counts = Counter(e.status for e in InboundEvent.objects.filter(connection=bridge.connection))
    assert counts == {InboundStatus.PROCESSED: 4}
