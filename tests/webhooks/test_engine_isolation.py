"""A receiver that never answers holds only the network loop: the engine's scheduler keeps
every promise meanwhile (webhook steps are network steps, never engine steps)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from heardback.messaging.kinds import MessageKind
from heardback.messaging.models import Message
from heardback.promises import scheduler
from heardback.runtime import network
from heardback.runtime import steps as step_registry
from heardback.webhooks import services
from tests import factories
from tests.acme import MONDAY
from tests.webhooks.conftest import make_world, start_receiver, stop_receiver, subscribe


def test_the_webhook_steps_are_network_steps_never_engine_steps() -> None:
    engine = {step.name for step in step_registry.steps("engine")}
    network_steps = [step.name for step in step_registry.steps("network")]
    assert {"fan_out_webhooks", "deliver_webhooks"}.isdisjoint(engine)
    # Read what happened first, then send it, in the same round.
    assert network_steps.index("fan_out_webhooks") < network_steps.index("deliver_webhooks")


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_never_answers_does_not_delay_the_engine(
    settings: Any, time_machine: Any
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 6
    time_machine.move_to(MONDAY, tick=False)
    receiver = start_receiver()
    receiver.default = "hang"
    try:
        world = make_world()
        world.job.pipeline.stages.update(promise_business_days=3)
        application = factories.make_application(job=world.job, email="ada@example.net")
        hook = subscribe(world, receiver)
        for _ in range(3):
            services.send_test(actor=world.admin, endpoint=hook.endpoint)
        assert application.respond_by is not None
        time_machine.move_to(application.respond_by + timedelta(minutes=5), tick=True)

        round_done = threading.Event()

        def network_round() -> None:
            try:
                network.run_once()
            finally:
                round_done.set()
                connection.close()

        thread = threading.Thread(target=network_round)
        thread.start()
        try:
            waited = time.monotonic()
            while not receiver.requests and time.monotonic() - waited < 10:
                time.sleep(0.02)
            assert receiver.requests, "the network round never reached the receiver"

            started = time.monotonic()
            scheduler.run_once()
            elapsed = time.monotonic() - started

            assert not round_done.is_set(), "the network round should still be waiting"
            assert elapsed < 3, elapsed
            nudge = Message.objects.get(kind=MessageKind.TEAM_NUDGE)
            assert nudge.to_email == world.recruiter.email
        finally:
            thread.join(20)
        assert round_done.is_set()
        assert len(receiver.requests) == 1  # one deadline for the endpoint, not three
    finally:
        stop_receiver(receiver)
