"""Greenhouse Recruiting web hooks.

Signature: header `Signature: sha256 <hex>`, HMAC-SHA256 of the raw body with the web hook's
secret key. Deliveries carry `Greenhouse-Event-ID`. Body: `{"action": …, "payload": {…}}`;
the application is `payload.application` with `candidate.email_addresses[].value`,
`current_stage.name`, `status` (active / rejected / hired), `rejection_reason.name`,
`last_activity_at`, `prospect`, and `jobs[]` (`id`, `name`). Job events carry `payload.job`
(`status` open / closed / draft, `opened_at`, `closed_at`).

Two payloads are shaped differently: `hire_candidate` has no `status`, `current_stage` or
`last_activity_at` (the action says hired, `offer.resolved_at` says when), and
`delete_application` has none of the candidate's details. Prospects (`prospect: true`) have
not applied: nothing is sent to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from heardback import clock
from heardback.bridges.providers.base import (
    ACTIVE,
    CLOSED,
    HIRED,
    OPEN,
    REJECTED,
    UNKNOWN,
    AtsApplication,
    AtsEvent,
    AtsJob,
    ProviderAdapter,
    UnreadableEvent,
    body_hash,
    dig,
    header,
    hmac_hex,
    parse_time,
    same,
    text,
)


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    algorithm, _, digest = header(headers, "Signature").strip().partition(" ")
    return bool(secret) and algorithm.lower() == "sha256" and same(hmac_hex(secret, body), digest)


def dedupe_key(headers: Mapping[str, str], body: bytes) -> str:
    event_id = header(headers, "Greenhouse-Event-ID").strip()
    return f"gh:{event_id[:150]}" if event_id else body_hash(body)


# Deliveries about something that is not an application's state: nothing to apply.
IGNORED_ACTIONS = {"ping", "delete_application", "job_deleted"}


def _job(raw: Any, *, with_status: bool) -> AtsJob | None:
    """A job; its status only from a job event (inside an application payload it is a
    snapshot that may be older than the job's own events, and is sometimes missing)."""
    if not isinstance(raw, dict) or raw.get("id") is None:
        return None
    status = text(raw.get("status")).lower()
    return AtsJob(
        external_id=text(raw["id"]),
        title=text(raw.get("name") or raw.get("title"), 200) or "Untitled job",
        status=(CLOSED if status == "closed" else OPEN) if with_status and status else UNKNOWN,
    )


def _job_moment(raw: dict[str, Any]) -> Any:
    """A job payload has no `updated_at`: a closed job changed at `closed_at`, an open one
    at `opened_at` (a reopen that keeps its old open date is older than the close, so it
    never reopens the job here by itself: candidates are not told anything twice)."""
    if text(raw.get("status")).lower() == "closed":
        return parse_time(raw.get("closed_at"))
    return parse_time(raw.get("opened_at")) or parse_time(raw.get("created_at"))


def read(data: Any) -> list[AtsEvent]:
    action = text(dig(data, "action"), 100)
    payload = dig(data, "payload")
    if not action or not isinstance(payload, dict):
        raise UnreadableEvent("A Greenhouse web hook has an action and a payload.")
    if action in IGNORED_ACTIONS:
        return []
    application = payload.get("application")
    if isinstance(payload.get("job"), dict) and not isinstance(application, dict):
        job = _job(payload["job"], with_status=True)
        moment = _job_moment(payload["job"]) or clock.now()
        return [AtsEvent(event_type=action, occurred_at=moment, job=job)] if job else []
    if not isinstance(application, dict):
        return []  # an event about something we don't track (a candidate, an offer …)
    if application.get("prospect") is True:
        return []  # a prospect has not applied: there is nothing to acknowledge
    emails = dig(application, "candidate", "email_addresses") or []
    email = next(
        (text(e.get("value"), 254) for e in emails if isinstance(e, dict) and e.get("value")),
        "",
    )
    candidate = dig(application, "candidate") or {}
    name = " ".join(
        part
        for part in (text(candidate.get("first_name")), text(candidate.get("last_name")))
        if part
    )
    raw_status = text(application.get("status")).lower()
    if action == "hire_candidate":
        raw_status = "hired"  # the hire payload carries no status of its own
    status = {"rejected": REJECTED, "hired": HIRED}.get(raw_status, ACTIVE)
    jobs = application.get("jobs") or []
    job_raw = jobs[0] if jobs else application.get("job")
    moment = (
        parse_time(application.get("last_activity_at"))
        or parse_time(application.get("rejected_at") if status == REJECTED else None)
        or parse_time(dig(application, "offer", "resolved_at") if status == HIRED else None)
        or parse_time(application.get("applied_at"))
        or clock.now()
    )
    return [
        AtsEvent(
            event_type=action,
            occurred_at=moment,
            job=_job(job_raw, with_status=False),
            application=AtsApplication(
                external_id=text(application.get("id")),
                email=email,
                name=name or email,
                stage_name=text(dig(application, "current_stage", "name"), 100),
                status=status,
                rejection_reason=text(dig(application, "rejection_reason", "name"), 100),
            ),
        )
    ]


ADAPTER = ProviderAdapter(
    verify=verify, dedupe_key=dedupe_key, read=read, signature_header="Signature"
)
