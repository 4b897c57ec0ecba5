"""An ATS's news is acted on about a second after it arrives, not at the scheduler's next
round: a real `heardback scheduler` with a two-minute interval takes in a delivery within
seconds, because the bridge's wake probe (the newest delivery's id) moved on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from heardback.bridges.models import InboundEvent, InboundStatus
from heardback.runtime.models import Heartbeat
from tests.bridges.conftest import make_bridge
from tests.bridges.test_greenhouse import application_event
from tests.messaging import processes
from tests.smtp import SmtpServer

INTERVAL_SECONDS = 120
PATIENCE_SECONDS = 20  # far below the interval, generous for a loaded machine


def wait_for(condition: object, *, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_idle_scheduler_takes_in_a_delivery_within_seconds(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    greenhouse = make_bridge("greenhouse")
    env = processes.process_env(email_url=smtp_server.url, var_dir=tmp_path)
    scheduler = processes.start(["scheduler", "--interval", str(INTERVAL_SECONDS)], env=env)
    try:
        wait_for(
            lambda: Heartbeat.objects.filter(role="scheduler").exists(),
            timeout=60,
            what="the scheduler's first round",
        )
        time.sleep(1)  # it is idle now, with two minutes to wait
        response = greenhouse.post(
            application_event("new_candidate_application"),
            headers={"Greenhouse-Event-ID": "evt-wake"},
        )
        assert response.status_code == 202, response.content

        def taken_in() -> bool:
            return not InboundEvent.objects.filter(status=InboundStatus.RECEIVED).exists()

        took = wait_for(taken_in, timeout=PATIENCE_SECONDS, what="the delivery to be applied")
        print(f"\ndelivery applied {took:.1f} s after it arrived (interval {INTERVAL_SECONDS} s)")
        event = InboundEvent.objects.get()
        assert event.status == InboundStatus.PROCESSED, (event.status, event.outcome)
        assert scheduler.poll() is None, scheduler.stderr.read().decode()  # type: ignore[union-attr]
    finally:
        processes.stop([scheduler])
