"""The fan-out: facts already written in each change's own transaction become webhook
deliveries, one per enabled endpoint that subscribes (`fan_out_webhooks`, a network step).

Why read rows instead of being called by the services: every change in Heardback already
writes a durable row in its own transaction (an `Event`, a `Message`, a `DeliveryEvent`, a
`CloseOut`). A committed change therefore always leaves a row to read, and a rolled-back one
leaves none, so the webhooks are exactly as durable as the change itself, with no edit to
the hiring or engine services and nothing lost if the process dies between the change and
the webhook. The unique (endpoint, event_key) makes reading a row twice harmless.

Sources, and what each turns into:

- `events` (hiring `Event`, read by id): application.created, .moved, .declined, .hired,
  .withdrawn; promise.missed; job.closed.
- `messages` (outbox `Message`, read by id, plus a watch list): message.delivered,
  application.acknowledged; promise.due (from the owner's nudge digest).
- `action_links` (the nudge's one-click links, read by id): promise.due, per application.
- `delivery_events` (`DeliveryEvent`, read by id): message.failed (and message.delivered
  where an email service reports delivery).
- `close_outs` (engine `CloseOut`, read by `finished_at`): closeout.finished.

Reading by id, and transactions that commit late. Ids are handed out when a row is
inserted, not when its transaction commits, so a row with a lower id can become visible
after a higher one was read. A cursor that only remembered "the highest id read" would skip
it for good. So each id source keeps, besides its position, the ids it found missing below
it (the gaps, as ranges, each with when it was first seen) and reads those ranges again every
round for `WEBHOOK_LATE_COMMIT_MINUTES`: a late commit is found; an id that belonged to a
rolled-back transaction simply expires. Only the missing ids are read again, not the last
minutes of every row, so a burst of rows (a close-out of 100,000) costs one read.

Messages are inserted queued and sent later: message.delivered needs the status after
sending. A candidate message read before it was sent goes on a watch list (`MessageWatch`),
looked at again from its send time until it is sent, fails or is cancelled.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, Model, Q, QuerySet

from heardback.hiring.models import (
    PROMISE_EVENT_KINDS,
    Application,
    ApplicationStatus,
    Event,
    EventKind,
    Job,
    PromiseWatch,
    Stage,
)
from heardback.messaging.kinds import MessageKind
from heardback.messaging.models import DeliveryEvent, Message, MessageStatus
from heardback.promises.models import ActionKind, ActionLink, CloseOut
from heardback.runtime import network
from heardback.runtime.isolation import ItemGuard
from heardback.webhooks.events import EventType
from heardback.webhooks.models import (
    DeliveryStatus,
    FanOutCursor,
    MessageWatch,
    WebhookDelivery,
    WebhookEndpoint,
)
from heardback.webhooks.signing import body_of, new_webhook_id

SOURCE = "fan_out_webhooks"
CLOSE_OUTS = "close_outs"
MAX_GAPS = 500  # ranges kept per source; beyond, the closest ones are merged
WATCH_AGAIN = timedelta(seconds=10)  # a message still queued or sending is looked at again
KEYS_PER_QUERY = 500
MESSAGE_FIELDS = (
    "id", "org_id", "application_id", "kind", "status", "created_at", "sent_at", "next_attempt_at",
)  # fmt: skip

# The hiring events that are webhooks.
APPLICATION_EVENTS: dict[str, str] = {
    EventKind.APPLIED: EventType.APPLICATION_CREATED,
    EventKind.STAGE_CHANGED: EventType.APPLICATION_MOVED,
    EventKind.DECLINE: EventType.APPLICATION_DECLINED,
    EventKind.HIRED: EventType.APPLICATION_HIRED,
    EventKind.WITHDRAWN: EventType.APPLICATION_WITHDRAWN,
}
JOB_CLOSED_KINDS = (EventKind.JOB_CLOSED, EventKind.JOB_FILLED)
EVENT_KINDS = [*APPLICATION_EVENTS, EventKind.PROMISE_EXTENDED, *JOB_CLOSED_KINDS]
FAILED_DELIVERY = (
    DeliveryEvent.Kind.BOUNCED,
    DeliveryEvent.Kind.FAILED,
    DeliveryEvent.Kind.REJECTED,
)


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Fact:
    """Something that happened, worded as a webhook, before we know who subscribes."""

    org_id: int
    event_type: str
    key: str
    occurred_at: datetime
    data: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return {"type": self.event_type, "timestamp": iso(self.occurred_at), "data": self.data}


@dataclass(frozen=True)
class _Subscriber:
    endpoint_id: int
    events: frozenset[str]
    since: datetime


@dataclass
class Subscriptions:
    """The enabled endpoints, by org, read once per round."""

    by_org: dict[int, list[_Subscriber]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Subscriptions:
        found = cls()
        rows = WebhookEndpoint.objects.filter(enabled=True).values_list(
            "id", "org_id", "events", "created_at"
        )
        for endpoint_id, org_id, events, created_at in rows:
            found.by_org.setdefault(org_id, []).append(
                _Subscriber(endpoint_id, frozenset(events or ()), created_at)
            )
        return found

    def __bool__(self) -> bool:
        return bool(self.by_org)

    def orgs(self, *types: str) -> set[int]:
        """The orgs with an endpoint for any of `types` (all orgs with one if none given)."""
        return {
            org_id
            for org_id, subscribers in self.by_org.items()
            if any(not types or s.events.intersection(types) for s in subscribers)
        }

    def wants(self, org_id: int, event_type: str) -> bool:
        return any(event_type in s.events for s in self.by_org.get(org_id, ()))

    def endpoints(self, fact: Fact) -> list[int]:
        # An endpoint hears what happened after it was created, never the history before.
        return [
            s.endpoint_id
            for s in self.by_org.get(fact.org_id, ())
            if fact.event_type in s.events and fact.occurred_at >= s.since
        ]


def fan_out_webhooks(*, now: datetime, limit: int) -> int:
    """Network step: read each source once; returns how many source rows it read.

    Each source is an item of its own: one that fails (a malformed row, say) is retried
    with backoff while the others go on.
    """
    subscriptions = Subscriptions.load()
    guard = ItemGuard(SOURCE, now=now)
    batch = max(1, int(settings.WEBHOOK_FANOUT_BATCH))
    readers: list[tuple[str, Callable[[], int]]] = [
        ("events", lambda: _read_events(subscriptions, now=now, batch=batch)),
        # The watch list before new messages: one put on it now is looked at next round.
        ("message_watch", lambda: _read_watch(subscriptions, now=now, batch=batch)),
        ("messages", lambda: _read_messages(subscriptions, now=now, batch=batch)),
        ("action_links", lambda: _read_action_links(subscriptions, now=now, batch=batch)),
        ("delivery_events", lambda: _read_delivery_events(subscriptions, now=now, batch=batch)),
        (CLOSE_OUTS, lambda: _read_close_outs(subscriptions, now=now, batch=batch)),
    ]
    read = 0
    for name, reader in readers:
        if network.stopping():
            break
        read += guard.run(f"source:{name}", reader, org_id=None, label=f"webhooks ({name})") or 0
    return read


# --- cursors ---------------------------------------------------------------------------------


def _models() -> dict[str, type[Model]]:
    return {
        "events": Event,
        "messages": Message,
        "delivery_events": DeliveryEvent,
        "action_links": ActionLink,
    }


def start_cursors(*, now: datetime) -> None:
    """Start every source at what exists now (called when an org adds an endpoint): an
    endpoint hears what happens from then on, and nobody reads the whole history."""
    for source, model in _models().items():
        if not FanOutCursor.objects.filter(source=source).exists():
            top = model._default_manager.aggregate(top=Max("id"))["top"] or 0
            FanOutCursor.objects.get_or_create(
                source=source, defaults={"position": top, "updated_at": now}
            )
    FanOutCursor.objects.get_or_create(
        source=CLOSE_OUTS, defaults={"position_at": now, "updated_at": now}
    )


def _lock_cursor(source: str, *, now: datetime) -> FanOutCursor | None:
    """The source's cursor, locked for this transaction; None if another network loop is
    reading the same source right now (it will have read what we would)."""
    cursor = FanOutCursor.objects.select_for_update(skip_locked=True).filter(source=source).first()
    if cursor is None and not FanOutCursor.objects.filter(source=source).exists():
        start_cursors(now=now)
        cursor = FanOutCursor.objects.select_for_update(skip_locked=True).filter(source=source)[0]
    return cursor


def _gap_ranges(gaps: list[list[Any]]) -> Q:
    return functools.reduce(operator.or_, (Q(id__range=(lo, hi)) for lo, hi, _ in gaps))


def _read_ids(
    source: str,
    rows: QuerySet[Any],
    *,
    subscriptions: Subscriptions,
    now: datetime,
    batch: int,
) -> tuple[list[int], FanOutCursor | None]:
    """The ids of `rows` newly visible since the last round (late commits first), and the
    cursor moved past them (the caller saves it in the same transaction as its deliveries).

    `rows` is the source's whole table: the gaps must be told from rows we don't care
    about, so ids are read for every row, and the caller reads the fields it needs only
    for the ids it cares about.
    """
    cursor = _lock_cursor(source, now=now)
    if cursor is None:
        return [], None  # another network loop has it
    if not subscriptions:
        # Nobody listens: skip ahead without reading (and without keeping gaps).
        cursor.position = max(cursor.position, rows.aggregate(top=Max("id"))["top"] or 0)
        cursor.gaps = []
        return [], cursor
    window = now - timedelta(minutes=settings.WEBHOOK_LATE_COMMIT_MINUTES)
    gaps = [g for g in cursor.gaps if datetime.fromisoformat(g[2]) >= window]
    late: list[int] = []
    if gaps:
        late = list(
            rows.filter(_gap_ranges(gaps)).order_by("id").values_list("id", flat=True)[:batch]
        )
        gaps = _without(gaps, late)
    head = list(
        rows.filter(id__gt=cursor.position).order_by("id").values_list("id", flat=True)[:batch]
    )
    previous = cursor.position
    for row_id in head:
        if row_id > previous + 1:
            gaps.append([previous + 1, row_id - 1, now.isoformat()])
        previous = row_id
    cursor.position = previous
    cursor.gaps = _capped(gaps)
    return late + head, cursor


def _without(gaps: list[list[Any]], found: Iterable[int]) -> list[list[Any]]:
    """`gaps` less the ids now found, splitting the ranges they fall in."""
    remaining = sorted(gaps, key=operator.itemgetter(0))
    for row_id in sorted(found):
        split: list[list[Any]] = []
        for lo, hi, seen in remaining:
            if lo <= row_id <= hi:
                if lo < row_id:
                    split.append([lo, row_id - 1, seen])
                if row_id < hi:
                    split.append([row_id + 1, hi, seen])
            else:
                split.append([lo, hi, seen])
        remaining = split
    return remaining


def _capped(gaps: list[list[Any]]) -> list[list[Any]]:
    """At most MAX_GAPS ranges: merge the two closest until it fits (a merged range is read
    again whole, which costs a little reading and is never wrong)."""
    gaps = sorted(gaps, key=operator.itemgetter(0))
    while len(gaps) > MAX_GAPS:
        closest = min(range(len(gaps) - 1), key=lambda i: gaps[i + 1][0] - gaps[i][1])
        lo, _, seen = gaps[closest]
        _, hi, later_seen = gaps[closest + 1]
        gaps[closest : closest + 2] = [[lo, hi, min(seen, later_seen)]]
    return gaps


def _save(cursor: FanOutCursor | None, *, now: datetime) -> None:
    if cursor is not None:
        cursor.updated_at = now
        cursor.save(update_fields=["position", "position_at", "gaps", "updated_at"])


# --- the payloads ----------------------------------------------------------------------------


def _stage(stage_id: int | None, name: str, coarse: str) -> dict[str, Any] | None:
    if stage_id is None:
        return None
    return {"id": stage_id, "name": name, "coarse_stage": coarse}


def application_snapshots(ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each application as it stands now: ids and coarse state, never the candidate's name,
    address or status-page token."""
    snapshots: dict[int, dict[str, Any]] = {}
    rows = Application.objects.filter(id__in=set(ids)).values_list(
        "id",
        "job_id",
        "candidate_id",
        "status",
        "stage_id",
        "stage__name",
        "stage__coarse_stage",
        "respond_by",
    )
    for app_id, job_id, candidate_id, status, stage_id, name, coarse, respond_by in rows:
        snapshots[app_id] = {
            "id": app_id,
            "job_id": job_id,
            "candidate_id": candidate_id,
            "status": status,
            "stage": _stage(stage_id, name, coarse),
            "respond_by": iso(respond_by),
        }
    return snapshots


def _emit(facts: list[Fact], subscriptions: Subscriptions, *, now: datetime) -> int:
    """A delivery per fact and subscribed endpoint, unless it exists; returns how many."""
    wanted = [
        (endpoint_id, fact) for fact in facts for endpoint_id in subscriptions.endpoints(fact)
    ]
    if not wanted:
        return 0
    existing: set[tuple[int, str]] = set()
    keys = sorted({fact.key for _, fact in wanted})
    endpoints = {endpoint_id for endpoint_id, _ in wanted}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        existing.update(
            WebhookDelivery.objects.filter(
                endpoint_id__in=endpoints, event_key__in=keys[start : start + KEYS_PER_QUERY]
            ).values_list("endpoint_id", "event_key")
        )
    new = [
        WebhookDelivery(
            endpoint_id=endpoint_id,
            event_type=fact.event_type,
            event_key=fact.key,
            webhook_id=new_webhook_id(),
            body=body_of(fact.payload()).decode(),
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint_id, fact in wanted
        if (endpoint_id, fact.key) not in existing
    ]
    # A concurrent fan-out may have made some since: the unique key keeps one of each.
    WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    return len(new)


# --- events ----------------------------------------------------------------------------------


def _read_events(subscriptions: Subscriptions, *, now: datetime, batch: int) -> int:
    ids, cursor = _read_ids(
        "events", Event.objects.all(), subscriptions=subscriptions, now=now, batch=batch
    )
    if ids:
        rows = list(
            Event.objects.filter(
                id__in=ids, kind__in=EVENT_KINDS, org_id__in=subscriptions.orgs()
            ).values("id", "org_id", "application_id", "job_id", "kind", "data", "created_at")
        )
        _emit(_event_facts(rows), subscriptions, now=now)
    _save(cursor, now=now)
    return len(ids)


def _event_facts(rows: Sequence[Mapping[str, Any]]) -> list[Fact]:
    snapshots = application_snapshots(r["application_id"] for r in rows if r["application_id"])
    stages = _stages_by_name({r["job_id"] for r in rows if r["kind"] == EventKind.STAGE_CHANGED})
    jobs = {
        job_id: (status, closed_at)
        for job_id, status, closed_at in Job.objects.filter(
            id__in={r["job_id"] for r in rows if r["kind"] in JOB_CLOSED_KINDS}
        ).values_list("id", "status", "closed_at")
    }
    facts = []
    for row in rows:
        kind: str = row["kind"]
        data: dict[str, Any] = row["data"] or {}
        event_type: str | None = APPLICATION_EVENTS.get(kind)
        body: dict[str, Any] = {}
        if kind == EventKind.STAGE_CHANGED:
            body = {
                "from_stage": stages.get((row["job_id"], data.get("from"))),
                "to_stage": stages.get((row["job_id"], data.get("to"))),
            }
        elif kind == EventKind.DECLINE:
            body = {"reason": data.get("reason", "")}
        elif kind == EventKind.WITHDRAWN:
            body = {"by": data.get("by", "")}
        elif kind == EventKind.APPLIED:
            body = {"source": data.get("source", "")}
        elif kind == EventKind.PROMISE_EXTENDED:
            if not data.get("automatic"):
                continue  # a person asked for more time: that is a decision, not a miss
            event_type = EventType.PROMISE_MISSED
            body = {"extended_by_business_days": data.get("business_days")}
        elif kind in JOB_CLOSED_KINDS:
            status, closed_at = jobs.get(row["job_id"], (None, None))
            facts.append(
                Fact(
                    org_id=row["org_id"],
                    event_type=EventType.JOB_CLOSED,
                    key=f"event:{row['id']}",
                    occurred_at=row["created_at"],
                    data={
                        "job": {"id": row["job_id"], "status": status, "closed_at": iso(closed_at)},
                        "outcome": "filled" if kind == EventKind.JOB_FILLED else "closed",
                        "close_out_id": data.get("close_out"),
                        "active_candidates": data.get("active_candidates"),
                    },
                )
            )
            continue
        if event_type is None or row["application_id"] not in snapshots:
            continue  # deleted since (erasure): nothing left to tell
        facts.append(
            Fact(
                org_id=row["org_id"],
                event_type=event_type,
                key=f"event:{row['id']}",
                occurred_at=row["created_at"],
                data={"application": snapshots[row["application_id"]], **body},
            )
        )
    return facts


def _stages_by_name(job_ids: set[int]) -> dict[tuple[int, Any], dict[str, Any] | None]:
    """The stages of these jobs' pipelines by (job, name): a move's event names its stages."""
    found: dict[tuple[int, Any], dict[str, Any] | None] = {}
    rows = Stage.objects.filter(pipeline__job__id__in=job_ids).values_list(
        "pipeline__job__id", "id", "name", "coarse_stage"
    )
    for job_id, stage_id, name, coarse in rows:
        found.setdefault((job_id, name), _stage(stage_id, name, coarse))
    return found


# --- messages --------------------------------------------------------------------------------


def _read_messages(subscriptions: Subscriptions, *, now: datetime, batch: int) -> int:
    ids, cursor = _read_ids(
        "messages", Message.objects.all(), subscriptions=subscriptions, now=now, batch=batch
    )
    if ids:
        relevant = Q(application_id__isnull=False) | Q(kind=MessageKind.TEAM_NUDGE)
        rows = list(
            Message.objects.filter(relevant, id__in=ids, org_id__in=subscriptions.orgs()).values(
                *MESSAGE_FIELDS
            )
        )
        nudges = [r for r in rows if r["kind"] == MessageKind.TEAM_NUDGE]
        sent, watch = [], []
        for row in rows:
            if row["application_id"] is None or not _watched(row, subscriptions):
                continue
            if row["status"] == MessageStatus.SENT:
                sent.append(row)
            elif row["status"] in (MessageStatus.QUEUED, MessageStatus.SENDING):
                watch.append(row)
        facts = _sent_facts(sent, subscriptions) + _nudge_facts(nudges, subscriptions)
        _emit(facts, subscriptions, now=now)
        MessageWatch.objects.bulk_create(
            [
                MessageWatch(
                    message_id=row["id"],
                    org_id=row["org_id"],
                    check_at=max(now, row["next_attempt_at"]),
                )
                for row in watch
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
    _save(cursor, now=now)
    return len(ids)


def _watched(row: dict[str, Any], subscriptions: Subscriptions) -> bool:
    """Does anyone want to hear when this candidate message is sent?"""
    return subscriptions.wants(row["org_id"], EventType.MESSAGE_DELIVERED) or (
        row["kind"] == MessageKind.ACKNOWLEDGEMENT
        and subscriptions.wants(row["org_id"], EventType.APPLICATION_ACKNOWLEDGED)
    )


def _read_watch(subscriptions: Subscriptions, *, now: datetime, batch: int) -> int:
    """Look again at watched messages that are due; returns how many were settled."""
    watches = list(
        MessageWatch.objects.filter(check_at__lte=now)
        .order_by("check_at")
        .values_list("id", "message_id")[:batch]
    )
    if not watches:
        return 0
    rows = {
        row["id"]: row
        for row in Message.objects.filter(id__in=[m for _, m in watches]).values(*MESSAGE_FIELDS)
    }
    settled, sent = [], []
    later: dict[datetime, list[int]] = defaultdict(list)
    for watch_id, message_id in watches:
        row = rows.get(message_id)
        if row is None or row["status"] in (MessageStatus.FAILED, MessageStatus.CANCELLED):
            settled.append(watch_id)  # gone, or failed (delivery_events tells that)
        elif row["status"] == MessageStatus.SENT:
            settled.append(watch_id)
            if _watched(row, subscriptions):
                sent.append(row)
        else:
            later[max(now, row["next_attempt_at"]) + WATCH_AGAIN].append(watch_id)
    _emit(_sent_facts(sent, subscriptions), subscriptions, now=now)
    MessageWatch.objects.filter(id__in=settled).delete()
    for check_at, watch_ids in later.items():
        MessageWatch.objects.filter(id__in=watch_ids).update(check_at=check_at)
    return len(settled)


def _message_data(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "application_id": row["application_id"],
        "kind": row["kind"],
        "sent_at": iso(row.get("sent_at")),
    }


def _sent_facts(rows: list[dict[str, Any]], subscriptions: Subscriptions) -> list[Fact]:
    acks = [r for r in rows if r["kind"] == MessageKind.ACKNOWLEDGEMENT]
    snapshots = application_snapshots(r["application_id"] for r in acks)
    facts = [
        Fact(
            org_id=row["org_id"],
            event_type=EventType.MESSAGE_DELIVERED,
            key=f"message:{row['id']}:delivered",
            occurred_at=row["sent_at"] or row["created_at"],
            data={"message": _message_data(row)},
        )
        for row in rows
    ]
    for row in acks:
        if row["application_id"] in snapshots:
            facts.append(
                Fact(
                    org_id=row["org_id"],
                    event_type=EventType.APPLICATION_ACKNOWLEDGED,
                    key=f"application:{row['application_id']}:acknowledged",
                    occurred_at=row["sent_at"] or row["created_at"],
                    data={
                        "application": snapshots[row["application_id"]],
                        "message_id": row["id"],
                    },
                )
            )
    return facts


def _nudge_facts(nudges: list[dict[str, Any]], subscriptions: Subscriptions) -> list[Fact]:
    """promise.due for the applications still nudged when a nudge digest is read.

    This covers a digest's applications beyond the ones with one-click links (see
    `_read_action_links`, which is exact for those): the engine marks each nudged
    application `promise_watch = nudged` in the nudge's transaction and logs no event per
    application, so the digest stands for "promises fell due" and we read which are still
    nudged. One that got a new promise before we read it is told by that change's webhook.
    """
    newest: dict[int, datetime] = {}
    for row in nudges:
        if subscriptions.wants(row["org_id"], EventType.PROMISE_DUE):
            org_id, at = row["org_id"], row["created_at"]
            newest[org_id] = max(at, newest.get(org_id, at))
    found: list[_Nudged] = []
    for org_id, at in newest.items():
        found += [
            _Nudged(org_id, app_id, owner_id, at)
            for app_id, owner_id in Application.objects.filter(
                org_id=org_id,
                status=ApplicationStatus.ACTIVE,
                pending_decline_at__isnull=True,
                promise_watch=PromiseWatch.NUDGED,
                respond_by__lte=at,
            ).values_list("id", "job__owner_id")
        ]
    return _promise_due_facts(found)


@dataclass(frozen=True)
class _Nudged:
    org_id: int
    application_id: int
    owner_id: int | None
    at: datetime


def _promise_due_facts(nudged: list[_Nudged]) -> list[Fact]:
    """One promise.due per promise, however many ways we learn of its nudge.

    A promise is named by the event that made it (applied, moved, extended, restored): the
    latest such event of the application at the time of the nudge. Its date is known while
    it is still the application's promise (it nearly always is, moments later).
    """
    snapshots = application_snapshots(n.application_id for n in nudged)
    made: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for app_id, event_id, created_at in (
        Event.objects.filter(
            application_id__in=snapshots, kind__in=[str(k) for k in PROMISE_EVENT_KINDS]
        )
        .order_by("id")
        .values_list("application_id", "id", "created_at")
    ):
        if app_id is not None:
            made[app_id].append((event_id, created_at))
    facts = []
    for nudge in nudged:
        snapshot = snapshots.get(nudge.application_id)
        promises = [event_id for event_id, at in made[nudge.application_id] if at <= nudge.at]
        if snapshot is None or not promises:
            continue
        promise = promises[-1]
        current = made[nudge.application_id][-1][0] == promise
        facts.append(
            Fact(
                org_id=nudge.org_id,
                event_type=EventType.PROMISE_DUE,
                key=f"application:{nudge.application_id}:promise_due:{promise}",
                occurred_at=nudge.at,
                data={
                    "application": snapshot,
                    "respond_by": snapshot["respond_by"] if current else None,
                    "owner_id": nudge.owner_id,
                },
            )
        )
    return facts


# --- one-click links (the nudges' own record, per application) -----------------------------


def _read_action_links(subscriptions: Subscriptions, *, now: datetime, batch: int) -> int:
    """promise.due from the nudge's one-click links: written in the nudge's transaction, one
    "advance" link per application the digest lists with links (the first 25 per owner)."""
    ids, cursor = _read_ids(
        "action_links", ActionLink.objects.all(), subscriptions=subscriptions, now=now, batch=batch
    )
    if ids:
        rows = ActionLink.objects.filter(
            id__in=ids,
            kind=ActionKind.ADVANCE,
            org_id__in=subscriptions.orgs(EventType.PROMISE_DUE),
        ).values_list("org_id", "application_id", "member_id", "created_at")
        nudged = [_Nudged(*row) for row in rows]
        _emit(_promise_due_facts(nudged), subscriptions, now=now)
    _save(cursor, now=now)
    return len(ids)


# --- delivery events -------------------------------------------------------------------------


def _read_delivery_events(subscriptions: Subscriptions, *, now: datetime, batch: int) -> int:
    ids, cursor = _read_ids(
        "delivery_events",
        DeliveryEvent.objects.all(),
        subscriptions=subscriptions,
        now=now,
        batch=batch,
    )
    if ids:
        rows = DeliveryEvent.objects.filter(
            id__in=ids,
            kind__in=[*FAILED_DELIVERY, DeliveryEvent.Kind.DELIVERED],
            message__application_id__isnull=False,
            message__org_id__in=subscriptions.orgs(),
        ).values_list(
            "kind",
            "smtp_code",
            "created_at",
            "message_id",
            "message__org_id",
            "message__application_id",
            "message__kind",
            "message__sent_at",
        )
        facts = []
        for kind, code, created_at, message_id, org_id, app_id, message_kind, sent_at in rows:
            if org_id is None:
                continue  # (the filter rules it out; this tells the type checker)
            message = {
                "id": message_id,
                "application_id": app_id,
                "kind": message_kind,
                "sent_at": iso(sent_at),
            }
            if kind == DeliveryEvent.Kind.DELIVERED:
                facts.append(
                    Fact(
                        org_id,
                        EventType.MESSAGE_DELIVERED,
                        f"message:{message_id}:delivered",
                        created_at,
                        {"message": message},
                    )
                )
            else:
                facts.append(
                    Fact(
                        org_id,
                        EventType.MESSAGE_FAILED,
                        f"message:{message_id}:failed",
                        created_at,
                        {"message": message, "reason": kind, "smtp_code": code},
                    )
                )
        _emit(facts, subscriptions, now=now)
    _save(cursor, now=now)
    return len(ids)


# --- close-outs ------------------------------------------------------------------------------


def _read_close_outs(subscriptions: Subscriptions, *, now: datetime, batch: int) -> int:
    """Close-outs that finished since the last round, read by `finished_at`.

    A close-out is updated, not inserted, when it finishes, so there is no new id to follow;
    but there are few of them (one per closed job), so the last minutes are simply read
    again every round, which finds one whose transaction committed late. Returns how many
    webhooks it made (not rows read: the same rows are read again on purpose).
    """
    cursor = _lock_cursor(CLOSE_OUTS, now=now)
    if cursor is None:
        return 0
    since = cursor.position_at or now
    if not subscriptions:
        cursor.position_at = max(since, now)
        _save(cursor, now=now)
        return 0
    window = timedelta(minutes=settings.WEBHOOK_LATE_COMMIT_MINUTES)
    rows = list(
        CloseOut.objects.filter(
            finished_at__gt=since - window,
            finished_at__lte=now,
            org_id__in=subscriptions.orgs(EventType.CLOSEOUT_FINISHED),
        )
        .order_by("finished_at")
        .values_list("id", "org_id", "job_id", "outcome", "total", "done", "finished_at")[
            : batch * 10
        ]
    )
    facts = []
    newest = since
    for close_out_id, org_id, job_id, outcome, total, done, finished_at in rows:
        if finished_at is None:
            continue  # (the filter rules it out; this tells the type checker)
        newest = max(newest, finished_at)
        facts.append(
            Fact(
                org_id=org_id,
                event_type=EventType.CLOSEOUT_FINISHED,
                key=f"close_out:{close_out_id}:finished",
                occurred_at=finished_at,
                data={
                    "close_out": {
                        "id": close_out_id,
                        "job_id": job_id,
                        "outcome": outcome,
                        "total": total,
                        "done": done,
                        "finished_at": iso(finished_at),
                    }
                },
            )
        )
    made = _emit(facts, subscriptions, now=now)
    cursor.position_at = newest
    _save(cursor, now=now)
    return made
