"""An idle worker wakes when mail is queued, not at its next poll."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from heardback.messaging import wakeup
from tests.messaging.conftest import queue_messages


def enqueue_from_another_connection(after: float) -> threading.Thread:
    def work() -> None:
        time.sleep(after)
        try:
            queue_messages(1, prefix=f"wake{time.monotonic_ns()}")
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_an_idle_worker_wakes_when_a_message_is_committed() -> None:
    waiter = wakeup.for_this_database()
    waiter.wait(0.01, threading.Event())  # LISTEN first (PostgreSQL), as an idle worker has
    thread = enqueue_from_another_connection(after=0.3)
    started = time.monotonic()
    waiter.wait(20.0, threading.Event())
    waited = time.monotonic() - started
    thread.join()
    waiter.close()
    assert waited < 10.0, f"slept {waited:.1f} s: it did not wake on the new message"


@pytest.mark.django_db(transaction=True)
def test_a_stop_request_ends_the_wait() -> None:
    waiter = wakeup.for_this_database()
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    waiter.wait(20.0, stop)
    waiter.close()
    assert time.monotonic() - started < 10.0
