"""Lever webhooks.

Signature: inside the body: `signature` is HMAC-SHA256 (hex) of `token + triggeredAt` keyed
with the webhook's signature token. Body: `{"event", "triggeredAt", "token", "signature",
"data": {"opportunityId", …}}` — ids only, so the opportunity is fetched through Lever's API
by the network loop before the event is applied (`needs_fetch`).

The fetch (heardback/bridges/reconcile.py) stores what it read with the delivery, as
`fetched: {"opportunity", "archiveReason", "posting"}` (the shapes of Lever's API, see
clients/lever.py); the reconcile stores opportunities it reads the same way. Then the
opportunity is read like any ATS's application: `emails[0]`, `name`, the expanded
`stage.text`, `archived` (with the reason's `status`: `hired`, else a rejection with the
reason's `text`), the first application's posting as the job, and `updatedAt` as the time
of that state. An opportunity still in a lead stage (`lead-…`) has not applied.
"""

from __future__ import annotations

import json
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
    hmac_hex,
    parse_time,
    same,
    text,
)


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    if not isinstance(data, dict) or not secret:
        return False
    token, triggered_at, given = data.get("token"), data.get("triggeredAt"), data.get("signature")
    if token is None or triggered_at is None or not isinstance(given, str):
        return False
    return same(hmac_hex(secret, f"{token}{triggered_at}".encode()), given)


def dedupe_key(headers: Mapping[str, str], body: bytes) -> str:
    """Exactly what the signature covers. Lever signs `token + triggeredAt`, not the body, so
    a signed delivery replayed with other data (another opportunity) is the same delivery
    and is refused as a duplicate, not stored as a new event."""
    try:
        data = json.loads(body)
        return f"lever:{text(data.get('token'), 100)}:{text(data.get('triggeredAt'), 40)}"
    except (ValueError, AttributeError):
        return body_hash(body)


def read(data: Any) -> list[AtsEvent]:
    event = text(dig(data, "event"), 100)
    opportunity = text(dig(data, "data", "opportunityId"), 100)
    if not event:
        raise UnreadableEvent("A Lever webhook names its event.")
    if not opportunity:
        return []
    fetched = dig(data, "fetched")
    if isinstance(fetched, dict):
        return _read_fetched(event, data, fetched)
    return [
        AtsEvent(
            event_type=event,
            occurred_at=parse_time(dig(data, "triggeredAt")) or clock.now(),
            needs_fetch={"opportunity": opportunity},
        )
    ]


def _read_fetched(event: str, data: dict[str, Any], fetched: dict[str, Any]) -> list[AtsEvent]:
    opportunity = fetched.get("opportunity")
    if not isinstance(opportunity, dict) or not opportunity.get("id"):
        raise UnreadableEvent("The opportunity fetched from Lever has no id.")
    stage = opportunity.get("stage")
    stage_id = text(stage.get("id") if isinstance(stage, dict) else stage, 100)
    if stage_id.startswith("lead-"):
        return []  # a lead a recruiter is reaching out to has not applied: nothing owed yet
    found_reason = fetched.get("archiveReason")
    reason: dict[str, Any] = found_reason if isinstance(found_reason, dict) else {}
    if isinstance(opportunity.get("archived"), dict):
        status = HIRED if text(reason.get("status")).lower() == "hired" else REJECTED
    else:
        status = ACTIVE
    posting = fetched.get("posting")
    job = (
        AtsJob(
            external_id=text(posting["id"], 100),
            title=text(posting.get("text"), 200) or "Untitled job",
            status=UNKNOWN,  # a job's state changes through its own events only
        )
        if isinstance(posting, dict) and posting.get("id")
        else None
    )
    emails = [e for e in opportunity.get("emails") or [] if isinstance(e, str) and e.strip()]
    return [
        AtsEvent(
            event_type=event,
            # The time of the state we hold: every Lever event is dated the same way,
            # whether a webhook's fetch or the reconcile read it.
            occurred_at=parse_time(opportunity.get("updatedAt"))
            or parse_time(data.get("triggeredAt"))
            or clock.now(),
            job=job,
            application=AtsApplication(
                external_id=text(opportunity["id"], 100),
                email=text(emails[0], 254) if emails else "",
                name=text(opportunity.get("name"), 200),
                stage_name=text(stage.get("text"), 100) if isinstance(stage, dict) else "",
                status=status,
                rejection_reason=text(reason.get("text"), 100) if status == REJECTED else "",
            ),
        )
    ]


ADAPTER = ProviderAdapter(verify=verify, dedupe_key=dedupe_key, read=read, signature_header="")
