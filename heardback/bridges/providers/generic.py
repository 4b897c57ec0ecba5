"""The generic bridge: any ATS (or your own code) that can post signed JSON.

Signature: header `X-Heardback-Signature: sha256=<hex>`, HMAC-SHA256 of the raw body with
the connection's secret. A delivery may carry `X-Heardback-Event-Id` (deduplication).

Without a field map the body is Heardback's own shape (docs/integrations.md):

    {"event_id": "…", "occurred_at": "2026-12-01T09:00:00Z",
     "job": {"id": "J1", "title": "Robot Whisperer", "status": "open|closed|filled"},
     "application": {"id": "A1", "status": "active|rejected|hired|withdrawn",
                     "stage": "Phone screen", "rejection_reason": "…",
                     "candidate": {"email": "…", "name": "…"}},
     "interview": {"id": "I1", "starts_at": "2026-12-01T15:00:00-05:00",
                   "kind": "video", "interviewers": "…", "counts": true}}

An `interview` (with the application it belongs to) is logged as a compliance record; its
`id` makes a re-sent event harmless; `counts: false` marks a preliminary screen.

With a field map, each of those fields is read from a path into the ATS's own JSON:
dotted keys, `[n]` for the n-th item, `[]` for the first item that has the rest of the path,
e.g. `{"application.candidate.email": "payload.person.emails[].address"}`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from heardback import clock
from heardback.bridges.providers.base import (
    ACTIVE,
    CLOSED,
    FILLED,
    HIRED,
    OPEN,
    REJECTED,
    WITHDRAWN,
    AtsApplication,
    AtsEvent,
    AtsInterview,
    AtsJob,
    ProviderAdapter,
    UnreadableEvent,
    body_hash,
    header,
    hmac_hex,
    parse_time,
    same,
    text,
)

FIELDS = (
    "event_id",
    "occurred_at",
    "job.id",
    "job.title",
    "job.status",
    "application.id",
    "application.status",
    "application.stage",
    "application.rejection_reason",
    "application.candidate.email",
    "application.candidate.name",
    "interview.id",
    "interview.starts_at",
    "interview.kind",
    "interview.interviewers",
    "interview.counts",
)
INTERVIEW_KINDS = ("screen", "phone", "video", "onsite", "panel", "technical", "other")
_STEP = re.compile(r"([^.\[\]]+)|\[(\d*)\]")


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    algorithm, _, digest = header(headers, "X-Heardback-Signature").strip().partition("=")
    return bool(secret) and algorithm.lower() == "sha256" and same(hmac_hex(secret, body), digest)


def dedupe_key(headers: Mapping[str, str], body: bytes) -> str:
    event_id = header(headers, "X-Heardback-Event-Id").strip()
    return f"id:{event_id[:150]}" if event_id else body_hash(body)


def resolve(data: Any, path: str) -> Any:
    """A value at `path` (see the module docstring), or None."""
    steps = [(key, index) for key, index in _STEP.findall(path)]
    return _walk(data, steps)


def _walk(data: Any, steps: list[tuple[str, str]]) -> Any:
    if not steps:
        return data
    (key, index), rest = steps[0], steps[1:]
    if key:
        return _walk(data.get(key), rest) if isinstance(data, dict) else None
    if not isinstance(data, list):
        return None
    if index:
        return _walk(data[int(index)], rest) if int(index) < len(data) else None
    for item in data:  # `[]`: the first item that has the rest of the path
        found = _walk(item, rest)
        if found not in (None, ""):
            return found
    return None


def read_mapped(data: Any, field_map: Mapping[str, str]) -> list[AtsEvent]:
    def value(name: str) -> Any:
        return resolve(data, field_map.get(name) or name)

    if not isinstance(data, dict):
        raise UnreadableEvent("The body must be a JSON object.")
    job_id = text(value("job.id"))
    job_status = text(value("job.status")).lower()
    job = (
        AtsJob(
            external_id=job_id,
            title=text(value("job.title"), 200) or "Untitled job",
            status={"closed": CLOSED, "filled": FILLED}.get(job_status, OPEN),
        )
        if job_id
        else None
    )
    application_id = text(value("application.id"))
    application = None
    if application_id:
        raw_status = text(value("application.status")).lower()
        application = AtsApplication(
            external_id=application_id,
            email=text(value("application.candidate.email"), 254),
            name=text(value("application.candidate.name"), 200),
            stage_name=text(value("application.stage"), 100),
            status={"rejected": REJECTED, "hired": HIRED, "withdrawn": WITHDRAWN}.get(
                raw_status, ACTIVE
            ),
            rejection_reason=text(value("application.rejection_reason"), 100),
        )
    if job is None and application is None:
        raise UnreadableEvent("The event names neither a job nor an application.")
    return [
        AtsEvent(
            event_type="generic",
            occurred_at=parse_time(value("occurred_at")) or clock.now(),
            job=job,
            application=application,
            interview=_interview(value) if application is not None else None,
        )
    ]


def _interview(value: Any) -> AtsInterview | None:
    interview_id = text(value("interview.id"), 200)
    raw_start = value("interview.starts_at")
    if not interview_id and raw_start in (None, ""):
        return None
    starts_at = parse_time(raw_start)
    if not interview_id or starts_at is None:
        raise UnreadableEvent(
            "An interview needs an id and a starts_at date-time (ISO 8601 with an offset)."
        )
    kind = text(value("interview.kind"), 20).lower() or "other"
    if kind not in INTERVIEW_KINDS:
        raise UnreadableEvent(
            f"Unknown interview kind “{kind}”; use one of: {', '.join(INTERVIEW_KINDS)}."
        )
    counts = value("interview.counts")
    return AtsInterview(
        external_id=interview_id,
        starts_at=starts_at,
        kind=kind,
        interviewers=text(value("interview.interviewers"), 500),
        counts=counts is not False and str(counts).lower() != "false",
    )


def read(data: Any) -> list[AtsEvent]:
    return read_mapped(data, {})


ADAPTER = ProviderAdapter(
    verify=verify, dedupe_key=dedupe_key, read=read, signature_header="X-Heardback-Signature"
)
