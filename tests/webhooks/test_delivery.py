"""Sending webhooks to a real HTTP receiver on loopback: signed per Standard Webhooks,
retried on a schedule and delivered exactly once, never held by an endpoint that hangs,
never sent to a private address in production."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from heardback import clock
from heardback.webhooks import services, signing
from heardback.webhooks.models import DeliveryStatus, WebhookDelivery
from tests.webhooks.conftest import Hook, Receiver, World, deliver, subscribe

pytestmark = pytest.mark.django_db


def queue_tests(world: World, hook: Hook, count: int = 1) -> list[WebhookDelivery]:
    return [services.send_test(actor=world.admin, endpoint=hook.endpoint) for _ in range(count)]


def reload(delivery: WebhookDelivery) -> WebhookDelivery:
    return WebhookDelivery.objects.get(pk=delivery.pk)


def test_a_webhook_is_signed_per_standard_webhooks_and_verifies(
    acme: World, hook: Hook, receiver: Receiver
) -> None:
    (queued,) = queue_tests(acme, hook)

    assert deliver() == 1

    (request,) = receiver.requests
    payload = request.verified(hook.secret)
    assert payload["type"] == "webhook.test"
    assert payload["data"]["endpoint_id"] == hook.endpoint.pk
    assert request.headers["webhook-id"] == queued.webhook_id
    assert request.headers["webhook-timestamp"] == str(int(clock.now().timestamp()))
    assert request.headers["content-type"] == "application/json"
    assert list(payload) == ["type", "timestamp", "data"]
    # Another secret, or a changed body, does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(hook.secret).verify(request.body.replace(b"test", b"tost"), request.headers)
    sent = reload(queued)
    assert (sent.status, sent.attempts, sent.last_status_code, sent.last_error) == (
        DeliveryStatus.DELIVERED, 1, 200, "",
    )  # fmt: skip
    assert sent.delivered_at == clock.now()


def test_a_receiver_answering_500_then_200_is_retried_and_gets_it_exactly_once(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any
) -> None:
    receiver.script = ["500"]
    (queued,) = queue_tests(acme, hook)

    deliver()
    failed = reload(queued)
    assert failed.status == DeliveryStatus.FAILED and failed.attempts == 1
    assert failed.last_status_code == 500
    # A short, single-line snippet of what it said, never the whole answer.
    assert failed.last_error == "The server answered 500. It said: “boom at line 3”"
    assert failed.next_attempt_at == clock.now() + timedelta(seconds=5)

    assert deliver() == 0  # not due yet
    frozen.shift(timedelta(seconds=5))
    assert deliver() == 1
    receiver.requests[-1].verified(hook.secret)
    frozen.shift(timedelta(hours=30))
    assert deliver() == 0  # delivered is final

    assert [r.answered for r in receiver.requests] == [500, 200]
    assert {r.headers["webhook-id"] for r in receiver.requests} == {queued.webhook_id}
    # Each attempt is signed afresh, with its own timestamp.
    first, second = receiver.requests
    assert int(second.headers["webhook-timestamp"]) == int(first.headers["webhook-timestamp"]) + 5
    done = reload(queued)
    assert (done.status, done.attempts, done.last_error) == (DeliveryStatus.DELIVERED, 2, "")


def test_a_receiver_that_times_out_is_retried_then_gets_it_exactly_once(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any, settings: Any
) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.script = ["hang"]
    (queued,) = queue_tests(acme, hook)

    started = time.monotonic()
    deliver()
    assert 0.9 <= time.monotonic() - started < 2.0
    failed = reload(queued)
    assert failed.status == DeliveryStatus.FAILED and failed.last_status_code is None
    assert failed.last_error == "The server didn't answer in time."

    frozen.shift(timedelta(seconds=5))
    deliver()
    frozen.shift(timedelta(hours=30))
    deliver()

    assert len(receiver.requests) == 2 and len(receiver.delivered()) == 1
    assert reload(queued).status == DeliveryStatus.DELIVERED


def test_retries_follow_the_schedule_and_then_give_up(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any, settings: Any
) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = [5, 300]
    receiver.default = "500"
    (queued,) = queue_tests(acme, hook)

    deliver()
    assert reload(queued).next_attempt_at == clock.now() + timedelta(seconds=5)
    frozen.shift(timedelta(seconds=5))
    deliver()
    assert reload(queued).next_attempt_at == clock.now() + timedelta(seconds=300)
    frozen.shift(timedelta(seconds=299))
    assert deliver() == 0
    frozen.shift(timedelta(seconds=1))
    deliver()
    frozen.shift(timedelta(days=2))
    deliver()

    given_up = reload(queued)
    assert (given_up.status, given_up.attempts) == (DeliveryStatus.GAVE_UP, 3)
    assert len(receiver.requests) == 3


def test_the_default_schedule_spreads_retries_over_about_a_day(settings: Any) -> None:
    waits = settings.WEBHOOK_RETRY_SCHEDULE_SECONDS
    assert waits == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert timedelta(hours=24) <= timedelta(seconds=sum(waits)) <= timedelta(hours=30)


def test_a_hanging_endpoint_costs_one_deadline_a_round_and_other_endpoints_still_get_theirs(
    acme: World, receiver: Receiver, other_receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    hanging = subscribe(acme, receiver)
    healthy = subscribe(acme, other_receiver)
    receiver.default = "hang"
    stuck = queue_tests(acme, hanging, 5)
    queue_tests(acme, healthy, 5)

    started = time.monotonic()
    deliver()
    elapsed = time.monotonic() - started

    # One deadline, not five: the rest of its batch waits, unattempted, for the next round.
    assert 0.9 <= elapsed < 2.0, elapsed
    assert len(receiver.requests) == 1
    assert len(other_receiver.delivered()) == 5
    attempts = sorted(reload(d).attempts for d in stuck)
    assert attempts == [0, 0, 0, 0, 1]
    assert all(reload(d).claimed_by == "" for d in stuck)


def test_one_batch_goes_over_one_kept_alive_connection(
    acme: World, hook: Hook, receiver: Receiver
) -> None:
    queue_tests(acme, hook, 12)
    assert deliver() == 12
    assert len(receiver.delivered()) == 12
    assert {r.connection for r in receiver.requests} == {1}


def test_redirects_are_answers_never_followed(acme: World, hook: Hook, receiver: Receiver) -> None:
    receiver.script = ["redirect"]
    (queued,) = queue_tests(acme, hook)
    deliver()
    failed = reload(queued)
    assert failed.status == DeliveryStatus.FAILED and failed.last_status_code == 302
    assert "redirect" in failed.last_error
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_in_production_private_addresses_are_refused_before_connecting(
    acme: World, receiver: Receiver, settings: Any, host: str
) -> None:
    hook = subscribe(acme, receiver)
    hook.endpoint.url = receiver.url().replace("127.0.0.1", host)
    hook.endpoint.save()
    (queued,) = queue_tests(acme, hook)
    settings.IS_PRODUCTION = True
    settings.SITE_URL = "https://heardback.example"

    deliver()

    assert receiver.requests == [] and receiver.connections == 0
    refused = reload(queued)
    assert refused.status == DeliveryStatus.FAILED
    assert refused.last_error == "That address isn't public."


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://hooks.acme.example/in", "https only"),
        ("https://127.0.0.1/in", "isn't public"),
        ("https://10.1.2.3/in", "isn't public"),
        ("https://[::1]/in", "isn't public"),
        ("https://localhost/in", "isn't public"),
        ("https://user:pw@hooks.acme.example/in", "user name and password"),
        ("ftp://hooks.acme.example/in", "http or https"),
    ],
)
def test_in_production_an_endpoint_must_be_a_public_https_address(
    acme: World, settings: Any, url: str, error: str
) -> None:
    settings.IS_PRODUCTION = True
    with pytest.raises(services.HiringError, match=error):
        services.create_endpoint(actor=acme.admin, url=url, events=["application.created"])


def test_replay_sends_the_same_event_again_with_the_same_webhook_id(
    acme: World, hook: Hook, receiver: Receiver
) -> None:
    (original,) = queue_tests(acme, hook)
    deliver()
    again = services.replay(actor=acme.admin, delivery=reload(original))
    deliver()

    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == original.webhook_id
    second.verified(hook.secret)
    assert reload(again).status == DeliveryStatus.DELIVERED and again.replay_of_id == original.pk
    # A replay of a replay still points at the original.
    assert services.replay(actor=acme.admin, delivery=again).replay_of_id == original.pk


def test_a_disabled_endpoint_gets_nothing_until_enabled_again(
    acme: World, hook: Hook, receiver: Receiver
) -> None:
    services.disable(actor=acme.admin, endpoint=hook.endpoint)
    (queued,) = queue_tests(acme, hook)
    assert deliver() == 0 and receiver.requests == []

    services.enable(actor=acme.admin, endpoint=hook.endpoint)
    assert deliver() == 1
    assert reload(queued).status == DeliveryStatus.DELIVERED


def test_a_secret_that_can_no_longer_be_read_fails_without_sending(
    acme: World, hook: Hook, receiver: Receiver, settings: Any
) -> None:
    (queued,) = queue_tests(acme, hook)
    settings.SECRET_KEY = "a brand new key " * 4
    settings.SECRET_KEY_FALLBACKS = []
    deliver()
    assert receiver.requests == []
    assert "signing secret can't be read" in reload(queued).last_error


def test_a_rotated_secret_key_kept_as_a_fallback_still_signs(
    acme: World, hook: Hook, receiver: Receiver, settings: Any
) -> None:
    queue_tests(acme, hook)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a brand new key " * 4
    deliver()
    receiver.requests[0].verified(hook.secret)


def test_a_surprise_in_a_sending_thread_never_hangs_the_step(
    acme: World, hook: Hook, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued = queue_tests(acme, hook, 3)

    def broken(secret: str) -> None:
        raise RuntimeError("a bug in signing")

    monkeypatch.setattr(signing, "Signer", broken)
    started = time.monotonic()
    assert deliver() == 0
    assert time.monotonic() - started < 2
    # Nothing was sent; each delivery is released as it was, for the next round.
    assert receiver.requests == []
    assert [(reload(d).status, reload(d).attempts, reload(d).claimed_by) for d in queued] == [
        (DeliveryStatus.PENDING, 0, "")
    ] * 3
    monkeypatch.undo()
    assert deliver() == 3
