"""Ashby webhooks.

Signature: header `Ashby-Signature: sha256=<hex>`, HMAC-SHA256 of the raw body with the
webhook's secret token. Body: `{"action": …, "data": {…}, "webhookActionId": …}` (the id is
the same across retries of one event). The application is `data.application` with
`candidate.primaryEmailAddress.value`, `candidate.name`, `currentInterviewStage.title`,
`status` (Active, Archived = rejected, Hired, Lead = sourced, not applied), `archiveReason.text`,
`updatedAt`, `job` (`id`, `title`); `jobCreate` / `jobUpdate` carry `data.job` (`status`
Open, Closed, Archived, Draft; `updatedAt`).
"""

from __future__ import annotations

import json
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
    algorithm, _, digest = header(headers, "Ashby-Signature").strip().partition("=")
    return bool(secret) and algorithm.lower() == "sha256" and same(hmac_hex(secret, body), digest)


def dedupe_key(headers: Mapping[str, str], body: bytes) -> str:
    try:
        action_id = json.loads(body).get("webhookActionId")
    except (ValueError, AttributeError):
        action_id = None
    return f"ashby:{text(action_id, 150)}" if action_id else body_hash(body)


def _job(raw: Any, *, with_status: bool) -> AtsJob | None:
    """A job; its status only from a job event (see greenhouse._job)."""
    if not isinstance(raw, dict) or not raw.get("id"):
        return None
    status = text(raw.get("status")).lower()
    return AtsJob(
        external_id=text(raw["id"]),
        title=text(raw.get("title") or raw.get("name"), 200) or "Untitled job",
        status=(CLOSED if status in ("closed", "archived") else OPEN)
        if with_status and status
        else UNKNOWN,
    )


def read(data: Any) -> list[AtsEvent]:
    action = text(dig(data, "action"), 100)
    body = dig(data, "data")
    if not action or not isinstance(body, dict):
        raise UnreadableEvent("An Ashby webhook has an action and data.")
    if action == "ping":
        return []
    application = body.get("application")
    if isinstance(body.get("job"), dict) and not isinstance(application, dict):
        job = _job(body["job"], with_status=True)
        moment = (
            parse_time(dig(body, "job", "updatedAt"))
            or parse_time(dig(body, "job", "closedAt"))
            or clock.now()
        )
        return [AtsEvent(event_type=action, occurred_at=moment, job=job)] if job else []
    if not isinstance(application, dict):
        return []
    raw_status = text(application.get("status")).lower()
    if raw_status == "lead":
        return []  # sourced, has not applied: there is nothing to acknowledge
    status = {"archived": REJECTED, "hired": HIRED}.get(raw_status, ACTIVE)
    moment = (
        parse_time(application.get("updatedAt"))
        or parse_time(application.get("archivedAt") if status == REJECTED else None)
        or parse_time(application.get("createdAt"))
        or clock.now()
    )
    return [
        AtsEvent(
            event_type=action,
            occurred_at=moment,
            job=_job(application.get("job"), with_status=False),
            application=AtsApplication(
                external_id=text(application.get("id")),
                email=text(dig(application, "candidate", "primaryEmailAddress", "value"), 254),
                name=text(dig(application, "candidate", "name"), 200),
                stage_name=text(dig(application, "currentInterviewStage", "title"), 100),
                status=status,
                rejection_reason=text(dig(application, "archiveReason", "text"), 100),
            ),
        )
    ]


ADAPTER = ProviderAdapter(
    verify=verify, dedupe_key=dedupe_key, read=read, signature_header="Ashby-Signature"
)
