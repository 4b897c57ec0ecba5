"""Workable webhook subscriptions (candidate_created, candidate_moved).

Signature: header `X-Workable-Signature`, HMAC-SHA256 (hex) of the raw body, keyed with the
account token or the OAuth application's secret. Body: a Candidate object (as the candidate
details endpoint returns it), optionally wrapped as `{"event_type": …, "data": {…}}`:
`id`, `name`, `email`, `stage` (a stage name), `disqualified`, `hired_at`, `job`
(`shortcode`, `title`), `updated_at`. Workable's payload reflects the state when it was
sent, so its `updated_at` orders deliveries. `candidate_deleted` changes nothing here, and a
candidate a recruiter sourced (`sourced: true`, still in the Sourced stage) has not applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from heardback import clock
from heardback.bridges.providers.base import (
    ACTIVE,
    HIRED,
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
    given = header(headers, "X-Workable-Signature")
    return bool(secret) and bool(given) and same(hmac_hex(secret, body), given)


def dedupe_key(headers: Mapping[str, str], body: bytes) -> str:
    return body_hash(body)


def read(data: Any) -> list[AtsEvent]:
    event_type = text(dig(data, "event_type") or dig(data, "type"), 100) or "candidate"
    candidate = dig(data, "data") if isinstance(dig(data, "data"), dict) else data
    if not isinstance(candidate, dict) or not candidate.get("id"):
        raise UnreadableEvent("A Workable webhook carries a candidate with an id.")
    if event_type == "candidate_deleted":
        return []  # gone from Workable; what they were told here stays true
    stage = text(candidate.get("stage"), 100)
    if candidate.get("sourced") is True and stage.lower() in ("", "sourced"):
        return []  # sourced by a recruiter, has not applied: nothing to acknowledge
    job_raw = candidate.get("job") or {}
    job = (
        AtsJob(
            external_id=text(job_raw.get("shortcode") or job_raw.get("id")),
            title=text(job_raw.get("title"), 200) or "Untitled job",
            status=UNKNOWN,  # Workable sends candidate events only
        )
        if isinstance(job_raw, dict) and (job_raw.get("shortcode") or job_raw.get("id"))
        else None
    )
    if candidate.get("hired_at") or stage.lower() == "hired":
        status = HIRED
    elif candidate.get("disqualified"):
        status = REJECTED
    else:
        status = ACTIVE
    moment = (
        parse_time(candidate.get("updated_at"))
        or parse_time(candidate.get("created_at"))
        or clock.now()
    )
    return [
        AtsEvent(
            event_type=event_type,
            occurred_at=moment,
            job=job,
            application=AtsApplication(
                external_id=text(candidate["id"]),
                email=text(candidate.get("email"), 254),
                name=text(candidate.get("name"), 200),
                stage_name=stage,
                status=status,
                rejection_reason=text(candidate.get("disqualification_reason"), 100),
            ),
        )
    ]


ADAPTER = ProviderAdapter(
    verify=verify, dedupe_key=dedupe_key, read=read, signature_header="X-Workable-Signature"
)
