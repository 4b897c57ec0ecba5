"""Sending webhooks: `deliver_webhooks`, a step of the network loop (never the engine's).

Each round:

1. takes the enabled endpoints in turn (starting with a different one each round), and for
   each claims a batch of its due deliveries by compare-and-set (`claimed_by`, and
   `next_attempt_at` pushed past the batch's longest possible run as a lease: a loop that
   dies mid-batch leaves them to be retried when it runs out);
2. sends each batch from a small thread pool (`WEBHOOK_CONCURRENCY` endpoints at once, one
   kept-alive connection each), every POST signed per Standard Webhooks and bounded by its
   own overall deadline (`WEBHOOK_TIMEOUT_SECONDS`). The threads only talk HTTP; every
   database read and write happens here, in the step's own thread, between POSTs, so no
   transaction is ever open while we wait on someone else's server;
3. records the outcomes: 2xx is delivered; anything else is retried on the schedule
   (`WEBHOOK_RETRY_SCHEDULE_SECONDS`, about a day) and then given up;
4. an endpoint that did not answer at all (deadline, refused, not public) gets nothing more
   this round: the rest of its batch goes back unattempted, so one endpoint that hangs costs
   one deadline per round, never one per delivery;
5. an endpoint that has failed without a single success for `WEBHOOK_DISABLE_AFTER_DAYS` is
   disabled, and its org's admins are told (services.disable_for_failures).
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import queue
import time
import uuid
from collections import deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection
from django.db.models import F

from heardback import clock
from heardback.messaging.headers import single_line
from heardback.runtime import http, network
from heardback.runtime.isolation import ItemGuard, record_failure, resolve
from heardback.webhooks import services, signing
from heardback.webhooks.models import (
    OUTSTANDING,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

SOURCE = "deliver_webhooks"
USER_AGENT = "Heardback-Webhooks/1 (+https://www.standardwebhooks.com/)"
SNIPPET_BYTES = 512  # of an answer's body, read for a short snippet in the log
SNIPPET_CHARS = 80
# A batch starts no new POST after this long, so its lease can be bounded.
BATCH_SECONDS = 30
# The reasons that mean the endpoint didn't answer at all: nothing more to it this round.
NO_ANSWER = frozenset({"address", "unresolvable", "private", "deadline", "unreachable"})

NOT_SIGNED = "Not sent: the signing secret can't be read (SECRET_KEY changed without a fallback)."

log = logging.getLogger(__name__)

_rounds = itertools.count()


@dataclass(frozen=True)
class _Endpoint:
    id: int
    org_id: int
    url: str
    secret_encrypted: str


@dataclass(frozen=True)
class _Item:
    delivery_id: int
    webhook_id: str
    body: bytes
    attempts: int  # before this one


@dataclass(frozen=True)
class _Batch:
    endpoint: _Endpoint
    token: str
    items: list[_Item]
    secret: str | None  # None: it could not be decrypted (see signing.SecretUnavailable)
    size: int  # what was asked for: a full batch means there may be more


@dataclass(frozen=True)
class _Outcome:
    delivery_id: int
    at: datetime
    status: int | None  # the HTTP status, or None if there was no answer
    error: str  # "" when delivered
    answered: bool

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def lease() -> timedelta:
    # A claimed batch may wait behind one other on its lane, then runs for at most
    # BATCH_SECONDS plus one deadline; a margin on top.
    return timedelta(seconds=2 * (BATCH_SECONDS + settings.WEBHOOK_TIMEOUT_SECONDS) + 30)


def retry_after(attempts: int) -> timedelta | None:
    """How long after the `attempts`-th failed attempt to try again; None: give up."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE_SECONDS
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1])


def deliver_webhooks(*, now: datetime, limit: int) -> int:
    """Network step: send what is due, endpoint by endpoint; returns how many were attempted."""
    guard = ItemGuard(SOURCE, now=now)
    workers = max(1, int(settings.WEBHOOK_CONCURRENCY))
    size = max(1, int(settings.WEBHOOK_BATCH_SIZE))
    turn = deque(_enabled_endpoints())
    finished: queue.SimpleQueue[tuple[_Lane, _Batch, list[_Outcome]]] = queue.SimpleQueue()
    lanes: dict[int, _Lane] = {}
    claimed = attempted = 0

    def feed(lane: _Lane) -> None:
        """Queue the endpoint's next batch on its lane, if it has one due."""
        nonlocal claimed
        if claimed >= limit or lane.stalled or network.stopping():
            return
        batch = _claim(lane.endpoint, now=now, size=min(size, limit - claimed))
        if batch is not None:
            claimed += len(batch.items)
            lane.give(batch)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhooks") as pool:
        try:
            while True:
                while len(lanes) < workers and turn and claimed < limit:
                    if network.stopping():
                        break
                    endpoint = turn.popleft()
                    if guard.waiting(_item(endpoint.id)):
                        continue
                    lane = _Lane(endpoint)
                    feed(lane)
                    if not lane.pending:
                        continue  # nothing due for it: off the list for this round
                    lanes[endpoint.id] = lane
                    # The thread sees this step's budget and stop signal (network.stopping).
                    pool.submit(contextvars.copy_context().run, lane.run, finished)
                    feed(lane)  # one more queued behind it, so the lane never waits on us
                if not lanes:
                    break
                lane, batch, outcomes = finished.get()
                lane.pending -= 1
                attempted += len(outcomes)
                guard.run(
                    _item(batch.endpoint.id),
                    partial(_record, batch, outcomes),
                    org_id=batch.endpoint.org_id,
                    label="recording webhook deliveries",
                )
                answered = bool(outcomes) and all(o.answered for o in outcomes)
                if len(batch.items) < batch.size or not answered:
                    lane.stalled = True  # no more due, or it stopped answering: done for now
                feed(lane)
                if not lane.pending:
                    lane.close()
                    del lanes[lane.endpoint.id]
        finally:
            for lane in lanes.values():
                lane.close()  # a failure above: let the threads end (their rows' leases run out)
    return attempted


class _Lane:
    """One endpoint's batches, sent one after another over one kept-alive connection by
    one worker thread, while this step's own thread records the last batch and claims the
    next: the database work and the sending overlap, one connection per endpoint."""

    def __init__(self, endpoint: _Endpoint) -> None:
        self.endpoint = endpoint
        self.batches: queue.SimpleQueue[_Batch | None] = queue.SimpleQueue()
        self.pending = 0  # batches given and not yet recorded
        self.stalled = False  # give it nothing more this round

    def give(self, batch: _Batch) -> None:
        self.pending += 1
        self.batches.put(batch)

    def close(self) -> None:
        self.batches.put(None)

    def run(self, finished: queue.SimpleQueue[tuple[_Lane, _Batch, list[_Outcome]]]) -> None:
        """In a worker thread: no database here. Every batch given gets its answer back,
        whatever happens (the step's thread waits for them)."""
        silent = False  # the endpoint stopped answering: what is still queued goes back
        with http.Session() as session:
            while (batch := self.batches.get()) is not None:
                outcomes: list[_Outcome] = []
                if not silent:
                    try:
                        outcomes = _send(batch, session)
                    except Exception:
                        log.exception("webhooks: sending a batch to %s failed", batch.endpoint.url)
                silent = silent or not outcomes or not all(o.answered for o in outcomes)
                finished.put((self, batch, outcomes))


def _item(endpoint_id: int) -> str:
    return f"webhook_endpoint:{endpoint_id}"


def _enabled_endpoints() -> list[_Endpoint]:
    endpoints = [
        _Endpoint(*row)
        for row in WebhookEndpoint.objects.filter(enabled=True)
        .order_by("id")
        .values_list("id", "org_id", "url", "secret_encrypted")
    ]
    if not endpoints:
        return []
    # Each round starts with a different endpoint, so a round cut short by its budget is
    # never cut short for the same endpoints.
    start = next(_rounds) % len(endpoints)
    return endpoints[start:] + endpoints[:start]


def _claim(endpoint: _Endpoint, *, now: datetime, size: int) -> _Batch | None:
    """Claim up to `size` of the endpoint's due deliveries, oldest first, in one statement.

    A compare-and-set: only rows still due are taken, and `next_attempt_at` moves past the
    lease, so another network loop passes them by. On PostgreSQL the rows are locked with
    SKIP LOCKED, so loops claiming at once take disjoint batches without waiting; on SQLite
    writers take turns anyway. One statement instead of three ORM queries: the claim is
    most of this step's own work per delivery (see docs/benchmarks.md).
    """
    table = connection.ops.quote_name(WebhookDelivery._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    token = uuid.uuid4().hex
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        # The table name comes from model metadata; every value is a bound parameter.
        cursor.execute(
            f"""
            UPDATE {table} SET claimed_by = %s, next_attempt_at = %s
            WHERE id IN (
                SELECT id FROM {table}
                WHERE endpoint_id = %s AND status IN (%s, %s) AND next_attempt_at <= %s
                ORDER BY next_attempt_at, id LIMIT %s{lock}
            )
            RETURNING id, webhook_id, body, attempts
            """,  # noqa: S608
            [token, adapt(now + lease()), endpoint.id, *OUTSTANDING, adapt(now), size],
        )
        rows = sorted(cursor.fetchall())
    if not rows:
        return None
    items = [
        _Item(delivery_id, webhook_id, body.encode(), attempts)
        for delivery_id, webhook_id, body, attempts in rows
    ]
    try:
        secret: str | None = signing.decrypt(endpoint.secret_encrypted)
    except signing.SecretUnavailable:
        secret = None
    return _Batch(endpoint=endpoint, token=token, items=items, secret=secret, size=size)


def _send(batch: _Batch, session: http.Session) -> list[_Outcome]:
    """POST a batch to its endpoint over the lane's connection (in a worker thread).

    Stops early, leaving the rest unattempted, when the endpoint doesn't answer, when the
    batch has run for BATCH_SECONDS, or when the step must stop.
    """
    deadline = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    if batch.secret is None:
        at = clock.now()
        return [_Outcome(i.delivery_id, at, None, NOT_SIGNED, answered=False) for i in batch.items]
    signer = signing.Signer(batch.secret)
    outcomes: list[_Outcome] = []
    started = time.monotonic()
    for item in batch.items:
        if outcomes and (network.stopping() or time.monotonic() - started > BATCH_SECONDS):
            break
        at = clock.now()
        headers = signer.headers(webhook_id=item.webhook_id, body=item.body, at=at)
        try:
            answer = session.post(
                batch.endpoint.url,
                body=item.body,
                deadline=deadline,
                max_bytes=SNIPPET_BYTES,
                headers={**headers, "User-Agent": USER_AGENT},
            )
        except http.FetchError as error:
            outcomes.append(_Outcome(item.delivery_id, at, None, str(error), answered=False))
            if error.reason in NO_ANSWER:
                break
            continue
        except Exception as error:  # never lose a batch's outcomes to a surprise
            text = f"Sending failed: {type(error).__name__}"
            outcomes.append(_Outcome(item.delivery_id, at, None, text, answered=False))
            break
        outcomes.append(
            _Outcome(item.delivery_id, at, answer.status, _answer_error(answer), answered=True)
        )
    return outcomes


def _answer_error(answer: http.Answer) -> str:
    if 200 <= answer.status < 300:
        return ""
    if 300 <= answer.status < 400:
        return f"The server answered {answer.status}, a redirect: webhooks don't follow redirects."
    said = single_line(answer.body.decode("utf-8", "replace"), max_length=SNIPPET_CHARS)
    return f"The server answered {answer.status}." + (f" It said: “{said}”" if said else "")


def _record(batch: _Batch, outcomes: list[_Outcome]) -> None:
    """Write a batch's outcomes (one transaction, ItemGuard's): delivered in one statement
    per status code, each failure with its next try, the rest released unattempted."""
    now = clock.now()
    claimed = WebhookDelivery.objects.filter(claimed_by=batch.token)
    attempts = {item.delivery_id: item.attempts for item in batch.items}
    delivered = [o for o in outcomes if o.delivered]
    failed = [o for o in outcomes if not o.delivered]
    for code, ids in _by_status(delivered).items():
        claimed.filter(id__in=ids).update(
            status=DeliveryStatus.DELIVERED,
            delivered_at=now,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            last_status_code=code,
            last_error="",
            claimed_by="",
        )
    for outcome in failed:
        tries = attempts[outcome.delivery_id] + 1
        wait_for = retry_after(tries)
        claimed.filter(id=outcome.delivery_id).update(
            status=DeliveryStatus.FAILED if wait_for is not None else DeliveryStatus.GAVE_UP,
            next_attempt_at=outcome.at + (wait_for or timedelta(0)),
            attempts=tries,
            last_attempt_at=outcome.at,
            last_status_code=outcome.status,
            last_error=outcome.error[:300],
            claimed_by="",
        )
    done = {o.delivery_id for o in outcomes}
    if len(done) < len(batch.items):
        claimed.exclude(id__in=done).update(claimed_by="", next_attempt_at=now)  # unattempted
    _endpoint_health(batch.endpoint, delivered=bool(delivered), failed=failed, now=now)


def _by_status(outcomes: Iterable[_Outcome]) -> dict[int | None, list[int]]:
    grouped: dict[int | None, list[int]] = {}
    for outcome in outcomes:
        grouped.setdefault(outcome.status, []).append(outcome.delivery_id)
    return grouped


def _endpoint_health(
    endpoint: _Endpoint, *, delivered: bool, failed: list[_Outcome], now: datetime
) -> None:
    """One success clears the endpoint's record; failures alone start or extend it, show it
    to the org (a Fault the console banner and `heardback doctor` read) and, after
    WEBHOOK_DISABLE_AFTER_DAYS of them, disable the endpoint."""
    item = services.fault_item(endpoint.id)
    if delivered:
        if WebhookEndpoint.objects.filter(pk=endpoint.id, failing_since__isnull=False).update(
            failing_since=None
        ):
            resolve(source=services.FAULT_SOURCE, item=item)
        return
    if not failed:
        return
    last_error = failed[-1].error
    since = (
        WebhookEndpoint.objects.filter(pk=endpoint.id)
        .values_list("failing_since", flat=True)
        .first()
    )
    if since is None:
        since = failed[0].at
        WebhookEndpoint.objects.filter(pk=endpoint.id, failing_since__isnull=True).update(
            failing_since=since
        )
    if since <= now - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS):
        services.disable_for_failures(endpoint_id=endpoint.id, last_error=last_error, now=now)
        return
    record_failure(
        source=services.FAULT_SOURCE,
        item=item,
        org_id=endpoint.org_id,
        error=f"Webhook deliveries to {endpoint.url} fail: {last_error}",
        label=services.fault_label(endpoint.url),
        now=now,
    )
