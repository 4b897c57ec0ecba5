"""What the connection pages show: each one scoped to the org, bounded in size."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection as database
from django.db.models import Count, Max, Q, QuerySet

from heardback.bridges.models import Connection, InboundEvent, InboundStatus
from heardback.bridges.processing import STAGE_WORDS, coarse_stage_for, read_event
from heardback.bridges.providers.base import UnreadableEvent
from heardback.hiring.models import CoarseStage

LOG_LENGTH = 50
# How many recent events are read for the stage names the ATS uses (bodies are parsed).
STAGES_FROM_LAST = 200


def connections_of(*, org_id: int) -> QuerySet[Connection]:
    return (
        Connection.objects.filter(org_id=org_id)
        .select_related("created_by__user")
        .annotate(
            last_received_at=Max(
                "events__received_at", filter=~Q(events__status=InboundStatus.BAD_SIGNATURE)
            ),
            failed_count=Count("events", filter=Q(events__status=InboundStatus.FAILED)),
        )
        .order_by("-created_at", "-id")
    )


def connection_for(*, org_id: int, connection_id: int) -> Connection | None:
    return (
        Connection.objects.filter(org_id=org_id, pk=connection_id)
        .select_related("created_by__user", "org")
        .first()
    )


def event_for(*, connection: Connection, event_id: int) -> InboundEvent | None:
    return (
        InboundEvent.objects.filter(connection=connection, org_id=connection.org_id, pk=event_id)
        .select_related("connection")
        .first()
    )


def recent_events(*, connection: Connection, length: int = LOG_LENGTH) -> list[InboundEvent]:
    """The latest deliveries that passed the signature check, newest first (refused ones
    are only counted: a flood of them must not push the real log off the page)."""
    return list(
        InboundEvent.objects.filter(connection=connection, org_id=connection.org_id)
        .exclude(status=InboundStatus.BAD_SIGNATURE)
        .defer("body")
        .order_by("-received_at", "-id")[:length]
    )


@dataclass(frozen=True)
class SignatureFailures:
    count: int
    last_at: datetime | None


def signature_failures(*, connection: Connection) -> SignatureFailures:
    found = InboundEvent.objects.filter(
        connection=connection, org_id=connection.org_id, status=InboundStatus.BAD_SIGNATURE
    ).aggregate(count=Count("id"), last_at=Max("received_at"))
    return SignatureFailures(count=found["count"], last_at=found["last_at"])


def failures(*, connection: Connection, length: int = LOG_LENGTH) -> list[InboundEvent]:
    """Events that failed for good, and events still retried after an error: each can be
    replayed once the cause is fixed."""
    return list(
        InboundEvent.objects.filter(connection=connection, org_id=connection.org_id)
        .filter(
            Q(status=InboundStatus.FAILED) | (Q(status=InboundStatus.RECEIVED) & ~Q(last_error=""))
        )
        .defer("body")
        .order_by("-received_at", "-id")[:length]
    )


@dataclass(frozen=True)
class StageSeen:
    name: str
    coarse: str
    how: str  # "your mapping", "keyword “…”" or "default"

    @property
    def coarse_label(self) -> str:
        return str(CoarseStage(self.coarse).label)


def explain_stage(connection: Connection, name: str) -> StageSeen:
    key = name.strip().lower()
    coarse = coarse_stage_for(connection, name)
    if key in (connection.stage_map or {}):
        return StageSeen(name=name, coarse=coarse, how="your mapping")
    for words, _coarse in STAGE_WORDS:
        word = next((w for w in words if w in key), None)
        if word is not None:
            return StageSeen(name=name, coarse=coarse, how=f"keyword “{word}”")
    return StageSeen(name=name, coarse=coarse, how="default")


def stages_seen(*, connection: Connection) -> list[StageSeen]:
    """The stage names the ATS has sent lately, and what each becomes for the candidate."""
    events = (
        InboundEvent.objects.filter(connection=connection, org_id=connection.org_id)
        .exclude(status=InboundStatus.BAD_SIGNATURE)
        .filter(body_removed_at__isnull=True)
        .select_related("connection")
        .order_by("-received_at", "-id")[:STAGES_FROM_LAST]
    )
    names: dict[str, str] = {}
    for event in events:
        try:
            read = read_event(event)
        except (UnreadableEvent, KeyError):
            continue
        for ats_event in read:
            name = ats_event.application.stage_name if ats_event.application else ""
            if name:
                names.setdefault(name.lower(), name)
    return [explain_stage(connection, name) for _key, name in sorted(names.items())]


def keyword_defaults() -> list[tuple[str, str]]:
    """The keyword rules, as the page explains them: (words, candidate-visible stage)."""
    return [
        (", ".join(f"“{w}”" for w in words), str(CoarseStage(coarse).label))
        for words, coarse in STAGE_WORDS
    ]


def events_mentioning(*, org_id: int, needles: Iterable[str]) -> QuerySet[InboundEvent]:
    """The org's deliveries whose kept body contains any of `needles` byte for byte (an
    address, an ATS id): the ones an erasure must scrub. Matched in the database, so an
    erasure reads only the bodies that name the person."""
    wanted = sorted({n.encode() for n in needles if n})
    events = InboundEvent.objects.filter(org_id=org_id, body_removed_at__isnull=True)
    if not wanted:
        return events.none()
    # bytea/BLOB substring search: position() on PostgreSQL, instr() on SQLite.
    one = "position(%s in body) > 0" if database.vendor == "postgresql" else "instr(body, %s) > 0"
    return events.extra(where=[" OR ".join([one] * len(wanted))], params=wanted)  # noqa: S610
