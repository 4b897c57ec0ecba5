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

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat

from heardback import clock
from heardback.messaging import signals
from heardback.messaging.mime import build_mime, envelope_sender, message_id_for
from heardback.messaging.models import DeliveryEvent, Message, MessageStatus
from heardback.messaging.transports import default_transport
from heardback.messaging.transports.base import Outcome, OutgoingEmail, Transport

log = logging.getLogger(__name__)


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


def deliver_batch(
    messages: list[Message],
    *,
    worker_id: str,
    transport: Transport,
    limiter: RateLimiter | None = None,
) -> BatchReport:
    """Send a claimed batch in order over one connection, then mark what was sent.

    Each message's bytes are built while the server is still busy with the previous one
    (`while_waiting`), so building costs the worker almost no wall-clock time.
    """
    report = BatchReport()
    sent_ids: list[int] = []
    sender = envelope_sender()
    prepared = _prepare(messages[0] if messages else None)
    for index, message in enumerate(messages):
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
            while_waiting=(lambda nxt=upcoming, out=ahead: out.append(_prepare(nxt)))
            if upcoming is not None
            else None,
        )
        prepared = ahead[0] if ahead else _prepare(upcoming)
        if result.outcome is Outcome.SENT:
            sent_ids.append(message.pk)
            report.sent += 1
            continue
        _record_failure(message, result.outcome, result.code, result.detail, worker_id, report)
        if result.connection_lost and result.outcome is Outcome.TRANSIENT:
            # The server went away: hand the rest of the batch back untried rather than
            # hammering a server that just dropped us.
            rest = [m.pk for m in messages[index + 1 :]]
            report.released += _release(rest, worker_id=worker_id)
            break
    _mark_sent(sent_ids, worker_id=worker_id)
    return report


def _mark_sent(ids: list[int], *, worker_id: str) -> None:
    if not ids:
        return
    now = clock.now()
    domain = message_id_for(0).split("@", 1)[1].rstrip(">")
    Message.objects.filter(id__in=ids, leased_by=worker_id, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT,
        sent_at=now,
        lease_until=None,
        last_error="",
        provider_message_id=Concat(
            Value("<hb."), Cast("id", CharField()), Value(f"@{domain}>"), output_field=CharField()
        ),
    )


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
    worker_id = new_worker_id()
    limiter = RateLimiter(settings.DELIVERY_RATE_PER_SECOND)
    transport = transport_factory()
    log.info("delivery worker %s started", worker_id)
    while not stop.is_set():
        try:
            report = run_once(
                worker_id=worker_id, transport=transport, batch_size=batch_size, limiter=limiter
            )
        except Exception:
            log.exception("delivery batch failed; retrying after a pause")
            connection.close()
            stop.wait(idle_sleep * 5)
            continue
        if report.sent or report.retried or report.failed:
            log.info(
                "delivered %s, retrying %s, failed %s", report.sent, report.retried, report.failed
            )
        else:
            transport.close()  # hold a connection only while there is work
            stop.wait(idle_sleep)
    transport.close()
    log.info("delivery worker %s stopped", worker_id)
