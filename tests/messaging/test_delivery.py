"""The delivery worker against a real SMTP server that misbehaves on cue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings

from heardback.hiring.models import Candidate, Event
from heardback.messaging import delivery, signals
from heardback.messaging.models import DeliveryEvent, Message, MessageStatus
from heardback.messaging.transports import default_transport
from tests import factories
from tests.messaging.conftest import Clock
from tests.smtp import Behaviour, SmtpServer, free_port

Queue = Callable[..., list[Message]]


def message_ids(server: SmtpServer) -> list[str]:
    return [str(r.message["Message-ID"]) for r in server.received]


def reload(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


@pytest.fixture
def failures() -> Any:
    """What the outbox announced on `message_failed` (the real signal, a test receiver)."""
    seen: list[tuple[int, str]] = []

    def receiver(*, message: Message, detail: str, **_: Any) -> None:
        seen.append((message.pk, detail))

    signals.message_failed.connect(receiver, dispatch_uid="test-failures")
    yield seen
    signals.message_failed.disconnect(dispatch_uid="test-failures")


def test_a_batch_goes_out_over_one_connection(
    db: None, smtp_server: SmtpServer, queue: Queue
) -> None:
    rows = queue(5)
    report = delivery.drain()

    assert (report.sent, report.retried, report.failed) == (5, 0, 0)
    assert sorted(message_ids(smtp_server)) == sorted(
        f"<hb.{m.pk}@heardback.localhost>" for m in rows
    )
    for row in rows:
        sent = reload(row)
        assert sent.status == MessageStatus.SENT
        assert sent.attempts == 1
        assert sent.sent_at is not None
        assert sent.lease_until is None
        assert sent.provider_message_id == f"<hb.{row.pk}@heardback.localhost>"
    # A second drain finds nothing to do.
    assert delivery.drain().sent == 0
    assert len(smtp_server.received) == 5


def test_451_then_accept_is_retried_after_backoff_and_delivered_once(
    db: None, smtp_server: SmtpServer, queue: Queue, frozen: Clock
) -> None:
    smtp_server.handler.behaviour = Behaviour(replies=["451 4.7.1 Greylisted, try again"])
    [row] = queue(1)

    report = delivery.drain()

    assert (report.sent, report.retried) == (0, 1)
    deferred = reload(row)
    assert deferred.status == MessageStatus.QUEUED
    assert deferred.attempts == 1
    assert deferred.last_error == "451 4.7.1 Greylisted, try again"
    base = settings.DELIVERY_BACKOFF_BASE_SECONDS
    wait = deferred.next_attempt_at - frozen.current
    assert timedelta(seconds=base * 0.8) <= wait <= timedelta(seconds=base * 1.2)
    [event] = DeliveryEvent.objects.filter(message=row)
    assert (event.kind, event.smtp_code) == ("deferred", 451)

    # Not due yet: nothing happens.
    assert delivery.drain().sent == 0
    assert smtp_server.handler.data_commands == 1

    frozen.advance(seconds=base * 1.2 + 1)
    assert delivery.drain().sent == 1

    assert message_ids(smtp_server) == [f"<hb.{row.pk}@heardback.localhost>"]
    assert smtp_server.handler.data_commands == 2
    sent = reload(row)
    assert (sent.status, sent.attempts, sent.last_error) == (MessageStatus.SENT, 2, "")
    frozen.advance(days=1)
    assert delivery.drain().sent == 0
    assert len(smtp_server.received) == 1


def test_550_fails_for_good_and_flags_the_candidate(
    db: None, smtp_server: SmtpServer, frozen: Clock, failures: list[tuple[int, str]]
) -> None:
    org = factories.make_org()
    application = factories.make_application(
        job=factories.make_job(org=org), name="Nora Nobody", email="nobody@example.net"
    )
    reply = "550 5.1.1 <nobody@example.net>: Recipient address rejected"
    smtp_server.handler.behaviour = Behaviour(replies=[reply])

    report = delivery.drain()

    assert (report.sent, report.retried, report.failed) == (0, 0, 1)
    [row] = Message.objects.filter(application_id=application.pk)
    assert row.status == MessageStatus.FAILED
    assert row.attempts == 1
    assert row.last_error == reply
    assert row.lease_until is None
    [event] = DeliveryEvent.objects.filter(message=row)
    assert (event.kind, event.smtp_code, event.detail) == ("bounced", 550, reply)
    assert failures == [(row.pk, reply)]
    # The hiring app heard about it: the recruiter sees "we can't reach them".
    candidate = Candidate.objects.get(pk=application.candidate_id)
    assert candidate.unreachable_since == frozen.current
    flag = Event.objects.get(application=application, kind="unreachable")
    assert flag.data["detail"] == reply

    # Never retried, however long we wait.
    frozen.advance(days=3)
    assert delivery.drain().sent == 0
    assert smtp_server.handler.data_commands == 1
    assert reload(row).status == MessageStatus.FAILED


def test_a_dropped_connection_defers_only_that_message_and_the_batch_goes_on(
    db: None, dropping_smtp_server: SmtpServer, queue: Queue, frozen: Clock
) -> None:
    smtp_server = dropping_smtp_server
    smtp_server.handler.behaviour = Behaviour(drop_after_data=1)
    first, *rest = queue(3)

    report = delivery.drain()

    # The dropped message may or may not have arrived: it is retried (at-least-once); the
    # others go out over a new connection in the same batch.
    assert (report.sent, report.retried, report.released) == (2, 1, 0)
    dropped = reload(first)
    assert dropped.status == MessageStatus.QUEUED
    assert dropped.attempts == 1
    assert dropped.next_attempt_at > frozen.current
    assert "Disconnected" in dropped.last_error
    assert all(reload(row).status == MessageStatus.SENT for row in rest)

    frozen.advance(minutes=5)
    assert delivery.drain().sent == 1
    ids = message_ids(smtp_server)
    assert sorted(ids) == sorted(f"<hb.{m.pk}@heardback.localhost>" for m in [first, *rest])
    assert reload(first).status == MessageStatus.SENT


def test_a_server_that_keeps_dropping_gets_the_rest_handed_back(
    db: None, dropping_smtp_server: SmtpServer, queue: Queue, frozen: Clock
) -> None:
    smtp_server = dropping_smtp_server
    smtp_server.handler.behaviour = Behaviour(drop_after_data=2)
    _first, _second, *rest = queue(4)

    report = delivery.drain()

    assert (report.sent, report.retried, report.released) == (0, 2, 2)
    for row in rest:
        # Handed back untried: due at once, and the attempt not counted.
        handed_back = reload(row)
        assert handed_back.status == MessageStatus.QUEUED
        assert handed_back.attempts == 0
        assert handed_back.leased_by == ""
        assert handed_back.next_attempt_at <= frozen.current
    assert delivery.drain().sent == 2


@pytest.mark.parametrize("phase", ["rcpt", "data"])
def test_421_defers_only_the_refused_message(
    db: None, smtp_server: SmtpServer, queue: Queue, frozen: Clock, phase: str
) -> None:
    """smtplib closes the socket on a 421; the next message must get a new connection,
    not "please run connect() first"."""
    if phase == "data":
        smtp_server.handler.behaviour = Behaviour(replies=["421 4.3.2 going down, try later"])
    else:
        smtp_server.handler.rcpt_replies = ["421 4.7.0 too many connections"]
    first, *rest = queue(4)

    report = delivery.drain()

    assert (report.sent, report.retried, report.released) == (3, 1, 0)
    refused = reload(first)
    assert refused.status == MessageStatus.QUEUED
    assert refused.last_error.startswith("421")
    assert all(reload(row).status == MessageStatus.SENT for row in rest)


def test_connection_refused_is_retried_with_growing_backoff(
    db: None, settings: Any, queue: Queue, frozen: Clock
) -> None:
    settings.EMAIL_URL = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    [row] = queue(1)
    base = settings.DELIVERY_BACKOFF_BASE_SECONDS

    waits = []
    for attempt in (1, 2, 3):
        report = delivery.drain()
        assert report.retried == 1
        deferred = reload(row)
        assert deferred.status == MessageStatus.QUEUED
        assert deferred.attempts == attempt
        assert "Connection refused" in deferred.last_error or "Errno" in deferred.last_error
        wait = (deferred.next_attempt_at - frozen.current).total_seconds()
        expected = base * 2 ** (attempt - 1)
        assert expected * 0.8 <= wait <= expected * 1.2
        waits.append(wait)
        frozen.advance(seconds=wait + 1)
    assert waits == sorted(waits)

    server = SmtpServer().start()
    try:
        settings.EMAIL_URL = server.url
        assert delivery.drain().sent == 1
        assert message_ids(server) == [f"<hb.{row.pk}@heardback.localhost>"]
    finally:
        server.stop()
    assert DeliveryEvent.objects.filter(message=row, kind="deferred").count() == 3


def test_the_retry_cap_gives_up(
    db: None,
    settings: Any,
    smtp_server: SmtpServer,
    queue: Queue,
    frozen: Clock,
    failures: list[tuple[int, str]],
) -> None:
    settings.DELIVERY_MAX_ATTEMPTS = 3
    smtp_server.handler.behaviour = Behaviour(default="451 4.3.2 Busy, come back later")
    [row] = queue(1)

    for _ in range(5):
        delivery.drain()
        frozen.advance(hours=1)

    failed = reload(row)
    assert failed.status == MessageStatus.FAILED
    assert failed.attempts == 3
    assert failed.last_error == "451 4.3.2 Busy, come back later"
    assert smtp_server.handler.data_commands == 3
    kinds = list(DeliveryEvent.objects.filter(message=row).values_list("kind", flat=True))
    assert kinds == ["deferred", "deferred", "failed"]
    assert failures == [(row.pk, "451 4.3.2 Busy, come back later")]


def test_an_expired_lease_is_claimed_by_another_worker(
    db: None, smtp_server: SmtpServer, queue: Queue, frozen: Clock
) -> None:
    rows = queue(3)
    claimed = delivery.claim_batch(worker_id="crashed", size=10)
    assert sorted(m.pk for m in claimed) == sorted(m.pk for m in rows)
    # "crashed" dies here, holding the lease. Nobody else may take the rows meanwhile…
    frozen.advance(seconds=settings.DELIVERY_LEASE_SECONDS - 1)
    assert delivery.claim_batch(worker_id="rescuer", size=10) == []

    # …until the lease runs out.
    frozen.advance(seconds=2)
    rescued = delivery.claim_batch(worker_id="rescuer", size=10)
    assert sorted(m.pk for m in rescued) == sorted(m.pk for m in rows)
    assert {m.attempts for m in rescued} == {2}
    report = delivery.deliver_batch(rescued, worker_id="rescuer", transport=default_transport())

    assert report.sent == 3
    assert len(smtp_server.received) == 3
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_a_worker_whose_lease_was_taken_over_cannot_mark_the_message(
    db: None, smtp_server: SmtpServer, queue: Queue, frozen: Clock
) -> None:
    rows = queue(2)
    slow = delivery.claim_batch(worker_id="slow", size=10)
    frozen.advance(seconds=settings.DELIVERY_LEASE_SECONDS + 1)
    fast = delivery.claim_batch(worker_id="fast", size=10)
    assert len(fast) == 2

    # The slow worker wakes up and sends anyway (at-least-once) but can't mark the rows.
    transport = default_transport()
    slow_report = delivery.deliver_batch(slow, worker_id="slow", transport=transport)
    assert slow_report.sent == 2  # it did hand them to the server…
    for row in rows:
        current = reload(row)
        assert current.status == MessageStatus.SENDING  # …but the rows are still fast's
        assert current.leased_by == "fast"
        assert current.sent_at is None

    fast_report = delivery.deliver_batch(fast, worker_id="fast", transport=transport)
    transport.close()
    assert fast_report.sent == 2
    assert {reload(r).status for r in rows} == {MessageStatus.SENT}
    assert len(smtp_server.received) == 4  # the duplicates are bounded by one batch


def test_a_taken_over_worker_cannot_fail_or_defer_the_message(
    db: None,
    smtp_server: SmtpServer,
    queue: Queue,
    frozen: Clock,
    failures: list[tuple[int, str]],
) -> None:
    [row] = queue(1)
    slow = delivery.claim_batch(worker_id="slow", size=10)
    frozen.advance(seconds=settings.DELIVERY_LEASE_SECONDS + 1)
    fast = delivery.claim_batch(worker_id="fast", size=10)

    smtp_server.handler.behaviour = Behaviour(replies=["550 5.7.1 No", "451 4.0.0 Later"])
    transport = default_transport()
    assert delivery.deliver_batch(slow, worker_id="slow", transport=transport).failed == 0
    assert delivery.deliver_batch(slow, worker_id="slow", transport=transport).retried == 0
    current = reload(row)
    assert (current.status, current.leased_by) == (MessageStatus.SENDING, "fast")
    assert DeliveryEvent.objects.count() == 0
    assert failures == []

    assert delivery.deliver_batch(fast, worker_id="fast", transport=transport).sent == 1
    transport.close()
    assert reload(row).status == MessageStatus.SENT


def test_messages_not_due_or_cancelled_are_left_alone(
    db: None, smtp_server: SmtpServer, frozen: Clock
) -> None:
    from heardback.messaging.rendering import Rendered
    from heardback.messaging.services import cancel_queued, enqueue

    _later, _ = enqueue(
        idempotency_key="later",
        to_email="a@example.net",
        to_name="A",
        rendered=Rendered("Later", "x\n", ""),
        kind="test",
        send_at=frozen.current + timedelta(hours=2),
    )
    cancelled, _ = enqueue(
        idempotency_key="cancelled",
        to_email="b@example.net",
        to_name="B",
        rendered=Rendered("Cancelled", "x\n", ""),
        kind="test",
    )
    assert cancel_queued(message_ids=[cancelled.pk]) == 1

    assert delivery.drain().sent == 0
    frozen.advance(hours=2)
    assert delivery.drain().sent == 1
    assert [r.subject for r in smtp_server.received] == ["Later"]
    assert reload(cancelled).status == MessageStatus.CANCELLED


def test_the_same_idempotency_key_never_makes_a_second_message(db: None, queue: Queue) -> None:
    from heardback.messaging.rendering import Rendered
    from heardback.messaging.services import enqueue

    [first] = queue(1, prefix="once")
    again, created = enqueue(
        idempotency_key="once:0",
        to_email="other@example.net",
        to_name="Other",
        rendered=Rendered("Different", "y\n", ""),
        kind="test",
    )
    assert not created
    assert again.pk == first.pk
    assert again.subject == "Message 0"
    assert Message.objects.count() == 1


@pytest.mark.parametrize("bad_address", ["jörg@example.net"])
def test_a_message_that_cannot_be_sent_fails_alone(
    db: None,
    smtp_server: SmtpServer,
    queue: Queue,
    failures: list[tuple[int, str]],
    bad_address: str,
) -> None:
    """A row written around enqueue()'s checks (a non-ASCII address) fails for good, with a
    reason; nobody else gets it, and the rest of its batch still goes out."""
    from heardback import clock

    first = queue(1, prefix="before")[0]
    now = clock.now()
    odd = Message.objects.create(
        to_email=bad_address,
        to_name="Jörg",
        subject="Hi",
        body_text="x\n",
        kind="test",
        idempotency_key="odd",
        next_attempt_at=now,
        created_at=now,
    )
    last = queue(1, prefix="after")[0]

    report = delivery.drain()

    assert (report.sent, report.failed, report.retried) == (2, 1, 0)
    failed = reload(odd)
    assert failed.status == MessageStatus.FAILED
    assert "can't be sent" in failed.last_error
    assert failures == [(odd.pk, failed.last_error)]
    assert sorted(message_ids(smtp_server)) == sorted(
        f"<hb.{m.pk}@heardback.localhost>" for m in (first, last)
    )
    assert all(r.rcpt_tos != ["victim@example.org"] for r in smtp_server.received)
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == sorted(
        [first.to_email, last.to_email]
    )


def test_each_reply_lands_on_its_own_message_in_a_mixed_batch(
    db: None, smtp_server: SmtpServer, queue: Queue
) -> None:
    """The worker builds message n+1 while the server answers message n: the verdicts and
    the bytes must still line up with the right rows."""
    smtp_server.handler.behaviour = Behaviour(
        replies=["250 OK", "451 4.3.0 Later", "550 5.1.1 Unknown user", "250 OK", "250 OK"]
    )
    rows = queue(5)

    report = delivery.drain()

    assert (report.sent, report.retried, report.failed) == (3, 1, 1)
    statuses = [reload(r).status for r in rows]
    assert statuses == [
        MessageStatus.SENT,
        MessageStatus.QUEUED,
        MessageStatus.FAILED,
        MessageStatus.SENT,
        MessageStatus.SENT,
    ]
    expected = [rows[0], rows[3], rows[4]]
    assert message_ids(smtp_server) == [f"<hb.{m.pk}@heardback.localhost>" for m in expected]
    assert [r.rcpt_tos for r in smtp_server.received] == [[m.to_email] for m in expected]
    assert [r.subject for r in smtp_server.received] == [m.subject for m in expected]
    assert reload(rows[2]).last_error == "550 5.1.1 Unknown user"


def test_an_address_cannot_smuggle_in_an_smtp_command(db: None, smtp_server: SmtpServer) -> None:
    """Even a row that skipped enqueue()'s validation can't add a recipient: the envelope
    gets only the address before the line break, and the headers stay single lines."""
    from heardback import clock
    from tests.messaging.test_header_safety import assert_clean

    now = clock.now()
    Message.objects.create(
        to_email="a@example.net\r\nRCPT TO:<victim@example.org>",
        to_name="A",
        subject="Hi",
        body_text="x\n",
        kind="test",
        idempotency_key="smuggle",
        next_attempt_at=now,
        created_at=now,
    )

    delivery.drain()

    assert [r.rcpt_tos for r in smtp_server.received] == [["a@example.net"]]
    assert_clean(smtp_server.received[0])


def test_the_servers_reply_on_accepting_is_kept_as_delivery_evidence(
    db: None, smtp_server: SmtpServer, queue: Queue
) -> None:
    smtp_server.handler.behaviour = Behaviour(
        replies=["250 2.0.0 Ok: queued as 7F3A", "250 2.0.0 Ok: queued as 7F3B"]
    )
    first, second = queue(2)
    assert delivery.drain().sent == 2
    events = {
        e.message_id: (e.kind, e.smtp_code, e.detail)
        for e in DeliveryEvent.objects.filter(message_id__in=[first.pk, second.pk])
    }
    assert events == {
        first.pk: ("accepted", 250, "250 2.0.0 Ok: queued as 7F3A"),
        second.pk: ("accepted", 250, "250 2.0.0 Ok: queued as 7F3B"),
    }
