"""The delivery worker: claim due messages in batches, send each batch over one connection.

Safety comes from the lease: a claimed row carries `lease_until` and the claiming worker's id.
A worker that dies mid-batch simply stops renewing nothing; when the lease expires any worker
claims the row again. Every state change after sending is a compare-and-set on
`leased_by`, so a slow worker whose lease was taken over can't overwrite the new owner.
Delivery is therefore at-least-once; duplicates are bounded by one in-flight batch.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat

from heardback import clock
from heardback.messaging import signals
from heardback.messaging import wakeup as wakeups
from heardback.messaging.links import fill_status_links
from heardback.messaging.mime import build_mime, envelope_sender, message_id_for
from heardback.messaging.models import DeliveryEvent, Message, MessageStatus
from heardback.messaging.transports import default_transport
from heardback.messaging.transports.base import Outcome, OutgoingEmail, Transport
from heardback.runtime import heartbeat

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # seconds between a worker's heartbeats


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with ±20% jitter, capped."""
    base = settings.DELIVERY_BACKOFF_BASE_SECONDS * (2 ** max(0, attempts - 1))
    capped = min(base, settings.DELIVERY_BACKOFF_CAP_SECONDS)
    return timedelta(seconds=capped * random.uniform(0.8, 1.2))


def _due(now: datetime) -> Q:
    return Q(status=MessageStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=MessageStatus.SENDING, lease_until__lt=now
    )


def claim_batch(*, worker_id: str, size: int) -> list[Message]:
    """Lease up to `size` due messages to `worker_id`.

    On PostgreSQL the rows are locked with SKIP LOCKED so concurrent workers take disjoint
    batches without waiting; on SQLite the IMMEDIATE transaction serialises claimers.
    """
    now = clock.now()
    with transaction.atomic():
        expired = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.SENDING, lease_until__lt=now)
            .order_by("lease_until")
            .values_list("id", flat=True)[:size]
        )
        due = (
            list(
                Message.objects.select_for_update(skip_locked=True)
                .filter(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
                .order_by("next_attempt_at")
                .values_list("id", flat=True)[: size - len(expired)]
            )
            if len(expired) < size
            else []
        )
        ids = expired + due
        if not ids:
            return []
        Message.objects.filter(_due(now), id__in=ids).update(
            status=MessageStatus.SENDING,
            leased_by=worker_id,
            lease_until=now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    return list(
        Message.objects.filter(id__in=ids, leased_by=worker_id, status=MessageStatus.SENDING)
        .order_by("id")
        .only(
            "id",
            "org_id",
            "application_id",
            "to_email",
            "to_name",
            "from_email",
            "reply_to",
            "list_unsubscribe",
            "subject",
            "body_text",
            "body_html",
            "language",
            "automated",
            "created_at",
            "attempts",
            "kind",
        )
    )


@dataclass
class BatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)


class RateLimiter:
    """Spaces sends evenly to stay under a provider's rate limit (0: no limit)."""

    def __init__(self, per_second: int) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
        self._next = max(now, self._next) + self.interval


def _prepare(message: Message | None) -> bytes | Exception | None:
    if message is None:
        return None
    try:
        return build_mime(message)
    except Exception as error:  # reported with the message it belongs to
        return error


# Accepted messages are marked sent in small groups: at most this many, or this old.
MARK_GROUP = 10
MARK_AFTER_SECONDS = 0.25

# Ids a worker handed to the server but could not yet mark sent (the database was away).
# They are marked before the worker claims anything else, and never sent again by it.
_unmarked: dict[str, set[int]] = {}


class _Lease:
    """Keeps a batch's lease alive while it is sent (a heartbeat), and says when to stop.

    The lease is short, so a killed worker's batch is retried within seconds; a live
    worker renews it every third of its length. If a renewal finds fewer rows than it
    holds, another worker has taken some over: the batch stops at once.
    """

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.seconds = float(settings.DELIVERY_LEASE_SECONDS)
        self.expires = time.monotonic() + self.seconds
        self.renew_at = time.monotonic() + self.seconds / 3
        self.lost = False

    def usable(self, remaining: list[int]) -> bool:
        now = time.monotonic()
        if now >= self.renew_at and remaining:
            try:
                held = Message.objects.filter(
                    id__in=remaining, leased_by=self.worker_id, status=MessageStatus.SENDING
                ).update(lease_until=clock.now() + timedelta(seconds=self.seconds))
            except DatabaseError:
                log.warning("could not renew the lease of %s messages", len(remaining))
                connection.close()
                self.renew_at = now + 1.0
            else:
                if held < len(remaining):
                    log.error(
                        "worker %s lost the lease of %s messages; stopping this batch",
                        self.worker_id,
                        len(remaining) - held,
                    )
                    self.lost = True
                    return False
                self.expires = now + self.seconds
                self.renew_at = now + self.seconds / 3
        # Never start a send that could outlive the lease.
        return now < self.expires - min(5.0, self.seconds / 4)


class _Marks:
    """Marks accepted messages sent soon after the server accepts them."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.waiting: list[int] = []
        self.replies: dict[int, tuple[int | None, str]] = {}
        self.since = time.monotonic()
        self.broken = False

    def accepted(self, message_id: int, code: int | None = None, reply: str = "") -> None:
        if not self.waiting:
            self.since = time.monotonic()
        self.waiting.append(message_id)
        if reply:
            self.replies[message_id] = (code, reply)
        if len(self.waiting) >= MARK_GROUP or time.monotonic() - self.since >= MARK_AFTER_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.waiting:
            return
        ids, self.waiting = self.waiting, []
        replies, self.replies = self.replies, {}
        try:
            _mark_sent(ids, worker_id=self.worker_id, replies=replies)
        except DatabaseError:
            # The server has these: keep them, mark them when the database is back, and
            # never hand them to a server again.
            log.warning("could not mark %s accepted messages sent; will retry", len(ids))
            _unmarked.setdefault(self.worker_id, set()).update(ids)
            self.broken = True
            connection.close()


def flush_unmarked(*, worker_id: str) -> bool:
    """Mark what this worker's server already accepted; True when nothing is left waiting."""
    ids = _unmarked.get(worker_id)
    if not ids:
        return True
    try:
        _mark_sent(sorted(ids), worker_id=worker_id, leased_or_not=True)
        # The rest of that batch was never sent: hand it back now rather than when the
        # lease runs out.
        Message.objects.filter(leased_by=worker_id, status=MessageStatus.SENDING).update(
            status=MessageStatus.QUEUED, lease_until=None, leased_by="", attempts=F("attempts") - 1
        )
    except DatabaseError:
        connection.close()
        return False
    _unmarked.pop(worker_id, None)
    return True


def _prepare_into(message: Message, out: list[bytes | Exception | None]) -> None:
    out.append(_prepare(message))


def deliver_batch(
    messages: list[Message],
    *,
    worker_id: str,
    transport: Transport,
    limiter: RateLimiter | None = None,
) -> BatchReport:
    """Send a claimed batch in order, marking each small group sent as soon as it is accepted.

    1. Each message's bytes are built while the server is still busy with the previous one
       (`while_waiting`), so building costs the worker almost no wall-clock time.
    2. Before each send the lease is renewed if due; a lost or expiring lease ends the batch
       and hands the rest back.
    3. If the connection is lost (421, a dropped socket, a timeout), the batch goes on over
       a new one; a second connection failure in a row hands the rest back.
    4. If a mark fails (the database went away), the accepted ids are kept and marked
       before this worker claims anything else; the rest of the batch is handed back.
    """
    report = BatchReport()
    sender = envelope_sender()
    # Fresh status links for this batch, in the bytes we send only (never in the row).
    fill_status_links(messages)
    lease = _Lease(worker_id)
    marks = _Marks(worker_id)
    connection_failures = 0
    try:
        prepared = _prepare(messages[0] if messages else None)
        for index, message in enumerate(messages):
            remaining = [m.pk for m in messages[index:]]
            if marks.broken or not lease.usable(remaining):
                if not lease.lost:
                    report.released += _release_quietly(remaining, worker_id=worker_id)
                break
            upcoming = messages[index + 1] if index + 1 < len(messages) else None
            data, prepared = prepared, None
            if limiter is not None:
                limiter.wait()
            if not isinstance(data, bytes):  # a row no builder can turn into an email: never retry
                log.error("message %s can't be built: %r", message.pk, data)
                detail = f"could not build the email: {type(data).__name__}: {data}"
                _record_failure(message, Outcome.PERMANENT, None, detail, worker_id, report)
                prepared = _prepare(upcoming)
                continue
            ahead: list[bytes | Exception | None] = []
            result = transport.send(
                OutgoingEmail(
                    envelope_from=sender,
                    recipient=message.to_email,
                    data=data,
                    message_id=message_id_for(message.pk),
                ),
                while_waiting=partial(_prepare_into, upcoming, ahead)
                if upcoming is not None
                else None,
            )
            prepared = ahead[0] if ahead else _prepare(upcoming)
            if result.outcome is Outcome.SENT:
                connection_failures = 0
                marks.accepted(message.pk, result.code, result.detail)
                report.sent += 1
                continue
            marks.flush()
            _record_failure(message, result.outcome, result.code, result.detail, worker_id, report)
            if result.connection_lost:
                connection_failures += 1
                if connection_failures >= 2 and result.outcome is Outcome.TRANSIENT:
                    # The server is gone, not just one connection: hand the rest back untried
                    # rather than hammering a server that keeps dropping us.
                    rest = [m.pk for m in messages[index + 1 :]]
                    report.released += _release_quietly(rest, worker_id=worker_id)
                    break
            else:
                connection_failures = 0
    finally:
        marks.flush()  # whatever happened, what the server accepted is marked (or kept)
    return report


def _mark_sent(
    ids: list[int],
    *,
    worker_id: str,
    leased_or_not: bool = False,
    replies: dict[int, tuple[int | None, str]] | None = None,
) -> int:
    """Mark accepted messages sent; returns how many rows changed.

    `leased_or_not` is for ids whose mark failed earlier: the server has them, so they are
    marked even if their lease has since run out (another worker must not send them again).
    `replies` are the server's words on accepting each message, kept as an `accepted`
    delivery event in the same transaction (one insert for the group).
    """
    if not ids:
        return 0
    now = clock.now()
    if replies:
        wanted = set(ids)
        with transaction.atomic():
            changed = _mark_sent(ids, worker_id=worker_id, leased_or_not=leased_or_not)
            DeliveryEvent.objects.bulk_create(
                DeliveryEvent(
                    message_id=message_id,
                    kind=DeliveryEvent.Kind.ACCEPTED,
                    smtp_code=code,
                    detail=detail,
                    created_at=now,
                )
                for message_id, (code, detail) in replies.items()
                if message_id in wanted
            )
        return changed
    domain = message_id_for(0).split("@", 1)[1].rstrip(">")
    rows = Message.objects.filter(id__in=ids).exclude(status=MessageStatus.SENT)
    if not leased_or_not:
        rows = rows.filter(leased_by=worker_id, status=MessageStatus.SENDING)
    changed = rows.update(
        status=MessageStatus.SENT,
        sent_at=now,
        lease_until=None,
        last_error="",
        provider_message_id=Concat(
            Value("<hb."), Cast("id", CharField()), Value(f"@{domain}>"), output_field=CharField()
        ),
    )
    if changed < len(ids) and not leased_or_not:
        log.error(
            "worker %s: %s of %s accepted messages had lost their lease before being marked "
            "sent; another worker may send them again",
            worker_id,
            len(ids) - changed,
            len(ids),
        )
    return changed


def _release_quietly(ids: list[int], *, worker_id: str) -> int:
    try:
        return _release(ids, worker_id=worker_id)
    except DatabaseError:
        connection.close()
        return 0  # the lease runs out by itself


def _release(ids: list[int], *, worker_id: str) -> int:
    if not ids:
        return 0
    return Message.objects.filter(
        id__in=ids, leased_by=worker_id, status=MessageStatus.SENDING
    ).update(
        status=MessageStatus.QUEUED,
        lease_until=None,
        leased_by="",
        attempts=F("attempts") - 1,
    )


def _record_failure(
    message: Message,
    outcome: Outcome,
    code: int | None,
    detail: str,
    worker_id: str,
    report: BatchReport,
) -> None:
    now = clock.now()
    give_up = outcome is Outcome.PERMANENT or message.attempts >= settings.DELIVERY_MAX_ATTEMPTS
    with transaction.atomic():
        if give_up:
            changed = Message.objects.filter(
                id=message.pk, leased_by=worker_id, status=MessageStatus.SENDING
            ).update(status=MessageStatus.FAILED, lease_until=None, last_error=detail[:2000])
            # A bounce is the server's refusal; giving up after the retry cap is our decision.
            bounced = outcome is Outcome.PERMANENT and code is not None
            kind = DeliveryEvent.Kind.BOUNCED if bounced else DeliveryEvent.Kind.FAILED
        else:
            changed = Message.objects.filter(
                id=message.pk, leased_by=worker_id, status=MessageStatus.SENDING
            ).update(
                status=MessageStatus.QUEUED,
                lease_until=None,
                leased_by="",
                next_attempt_at=now + backoff(message.attempts),
                last_error=detail[:2000],
            )
            kind = DeliveryEvent.Kind.DEFERRED
        if changed:
            DeliveryEvent.objects.create(
                message_id=message.pk,
                kind=kind,
                smtp_code=code,
                detail=detail[:2000],
                created_at=now,
            )
    if not changed:
        return
    if give_up:
        report.failed += 1
        report.failures.append((message.pk, detail))
        signals.message_failed.send(sender=Message, message=message, detail=detail)
    else:
        report.retried += 1


def run_once(
    *,
    worker_id: str,
    transport: Transport,
    batch_size: int | None = None,
    limiter: RateLimiter | None = None,
) -> BatchReport:
    if not flush_unmarked(worker_id=worker_id):
        return BatchReport()  # the database is still away: claim nothing until it is back
    messages = claim_batch(worker_id=worker_id, size=batch_size or settings.DELIVERY_BATCH_SIZE)
    if not messages:
        return BatchReport()
    return deliver_batch(messages, worker_id=worker_id, transport=transport, limiter=limiter)


def drain(*, transport: Transport | None = None, batch_size: int | None = None) -> BatchReport:
    """Deliver everything due now, then return (tests, the simulator, one-shot CLI runs)."""
    transport = transport or default_transport()
    worker_id = new_worker_id()
    total = BatchReport()
    try:
        while True:
            report = run_once(worker_id=worker_id, transport=transport, batch_size=batch_size)
            total.sent += report.sent
            total.retried += report.retried
            total.failed += report.failed
            total.released += report.released
            total.failures += report.failures
            if report.released or not (report.sent or report.retried or report.failed):
                return total
    finally:
        transport.close()


def run_forever(
    *,
    stop: threading.Event,
    transport_factory: Callable[[], Transport] = default_transport,
    batch_size: int | None = None,
    idle_sleep: float = 1.0,
) -> None:
    """Deliver until `stop` is set: batches back to back while there is work; when idle,
    sleep until new mail arrives (or `idle_sleep` passes). After a database error, look
    again within a second on a fresh connection."""
    worker_id = new_worker_id()
    process = heartbeat.process_name("worker")
    started_at = clock.now()
    beaten = 0.0
    limiter = RateLimiter(settings.DELIVERY_RATE_PER_SECOND)
    transport = transport_factory()
    wakeup = wakeups.for_this_database()
    log.info("delivery worker %s started", worker_id)
    while not stop.is_set():
        close_old_connections()  # a connection the database dropped is replaced here
        try:
            report = run_once(
                worker_id=worker_id, transport=transport, batch_size=batch_size, limiter=limiter
            )
        except Exception:
            log.exception("delivery batch failed; retrying in a moment")
            connection.close()
            wakeup.close()
            stop.wait(min(idle_sleep, 1.0))
            continue
        if time.monotonic() - beaten > HEARTBEAT_EVERY:
            heartbeat.beat(
                process=process,
                role="worker",
                started_at=started_at,
                detail={"sent": report.sent, "retried": report.retried, "failed": report.failed},
            )
            beaten = time.monotonic()
        if report.sent or report.retried or report.failed:
            log.info(
                "delivered %s, retrying %s, failed %s", report.sent, report.retried, report.failed
            )
        else:
            transport.close()  # hold a connection only while there is work
            wakeup.wait(idle_sleep, stop)
    transport.close()
    wakeup.close()
    heartbeat.forget(process=process)
    log.info("delivery worker %s stopped", worker_id)
