"""Closer to exactly once: a slow server, a lease shorter than the batch, a database that
goes away between sending and marking — and still every message arrives once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from django.db import connection

from heardback.messaging import delivery
from heardback.messaging.models import Message, MessageStatus
from heardback.messaging.transports import default_transport
from heardback.messaging.transports.base import OutgoingEmail, SendResult, Transport
from tests.smtp import SmtpServer

Queue = Callable[..., list[Message]]


class Watching:
    """A real transport, plus something that happens after each accepted message."""

    def __init__(self, inner: Transport, after_send: Callable[[int], None]) -> None:
        self.inner = inner
        self.after_send = after_send
        self.sent = 0

    def open(self) -> None:
        self.inner.open()

    def send(self, email: OutgoingEmail, **kwargs: Any) -> SendResult:
        result = self.inner.send(email, **kwargs)
        self.sent += 1
        self.after_send(self.sent)
        return result

    def close(self) -> None:
        self.inner.close()


def received_once(server: SmtpServer, messages: list[Message]) -> bool:
    ids = [str(r.message["Message-ID"]) for r in server.received]
    return sorted(ids) == sorted(f"<hb.{m.pk}@heardback.localhost>" for m in messages)


def test_a_batch_slower_than_its_lease_is_never_taken_over(
    db: None, smtp_server: SmtpServer, queue: Queue, settings: Any
) -> None:
    """0.5 s per message, 8 messages, a 2 s lease: the lease is renewed while sending, so
    another worker polling all along never gets one of them."""
    settings.DELIVERY_LEASE_SECONDS = 2
    smtp_server.handler.seconds_per_message = 0.5
    messages = queue(8)
    stolen: list[int] = []

    def another_worker_polls(_sent: int) -> None:
        stolen.extend(m.pk for m in delivery.claim_batch(worker_id="other", size=100))

    transport = Watching(default_transport(), another_worker_polls)
    batch = delivery.claim_batch(worker_id="slow", size=100)
    report = delivery.deliver_batch(batch, worker_id="slow", transport=transport)
    transport.close()

    assert stolen == []
    assert report.sent == 8
    assert received_once(smtp_server, messages)
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 8


def test_accepted_messages_are_marked_as_they_go(
    db: None, smtp_server: SmtpServer, queue: Queue
) -> None:
    """A worker that dies mid-batch leaves at most the last small group unmarked."""
    messages = queue(30)
    marked_when: list[int] = []

    def count_marked(_sent: int) -> None:
        marked_when.append(Message.objects.filter(status=MessageStatus.SENT).count())

    transport = Watching(default_transport(), count_marked)
    batch = delivery.claim_batch(worker_id="w", size=100)
    delivery.deliver_batch(batch, worker_id="w", transport=transport)
    transport.close()

    # After the n-th send, at least n - MARK_GROUP are already marked sent.
    for sent, marked in enumerate(marked_when, start=1):
        assert marked >= sent - delivery.MARK_GROUP
    assert received_once(smtp_server, messages)


@pytest.mark.postgres
def test_the_database_going_away_between_send_and_mark_sends_nothing_twice(
    transactional_db: None, smtp_server: SmtpServer, queue: Queue
) -> None:
    """The worker's connection is killed right after the third message is accepted. The
    accepted ids are kept, marked once the database answers again, and never resent; the
    rest of the batch goes out at once, not after the lease."""
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL (it runs in the PostgreSQL pass)")
    messages = queue(10)

    def kill_my_connection(sent: int) -> None:
        if sent != 3:
            return
        # Another session ends ours, as a database restart would.
        pid = connection.connection.info.backend_pid
        params = connection.get_connection_params()
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])

    transport = Watching(default_transport(), kill_my_connection)
    worker_id = "victim"
    delivery.run_once(worker_id=worker_id, transport=transport)
    # Marking failed: the accepted ids wait in memory, and nothing goes out twice. The next
    # rounds mark them, hand back anything unsent, and send it.
    for _ in range(5):
        delivery.run_once(worker_id=worker_id, transport=transport)
    transport.close()

    assert received_once(smtp_server, messages)
    assert Message.objects.filter(status=MessageStatus.SENT).count() == 10
