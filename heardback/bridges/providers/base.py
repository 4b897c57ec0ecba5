"""What every provider adapter offers, and the normalised event they all produce."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Application states every provider is read into.
ACTIVE, REJECTED, HIRED, WITHDRAWN = "active", "rejected", "hired", "withdrawn"
# Job states. UNKNOWN: the payload names the job but not its state (a job inside an
# application payload, a deleted job): it never changes the job here.
OPEN, CLOSED, FILLED, UNKNOWN = "open", "closed", "filled", ""


class UnreadableEvent(ValueError):
    """The body is signed correctly but we can't read it: recorded, never retried."""


@dataclass(frozen=True)
class AtsJob:
    external_id: str
    title: str
    status: str = OPEN


@dataclass(frozen=True)
class AtsApplication:
    external_id: str
    email: str
    name: str
    stage_name: str = ""
    status: str = ACTIVE
    rejection_reason: str = ""


@dataclass(frozen=True)
class AtsInterview:
    """An interview the ATS recorded; `counts=False` for a preliminary screen."""

    external_id: str
    starts_at: datetime
    kind: str = "other"
    interviewers: str = ""
    counts: bool = True


@dataclass(frozen=True)
class AtsEvent:
    """What happened in the ATS, in Heardback's words. `occurred_at` is the ATS's own time,
    used to put late and reordered deliveries in their place."""

    event_type: str
    occurred_at: datetime
    job: AtsJob | None = None
    application: AtsApplication | None = None
    interview: AtsInterview | None = None
    # Lever sends ids only: the reconcile client fetches the rest (network loop).
    needs_fetch: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderAdapter:
    verify: Callable[[Mapping[str, str], bytes, str], bool]
    dedupe_key: Callable[[Mapping[str, str], bytes], str]
    read: Callable[[Any], list[AtsEvent]]
    signature_header: str


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def same(expected: str, given: str) -> bool:
    """Constant-time comparison of two hex digests (case-insensitive)."""
    return hmac.compare_digest(expected.lower().encode(), given.strip().lower().encode())


def body_hash(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 strings and Unix times (seconds or milliseconds) from any provider."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def dig(data: Any, *path: Any) -> Any:
    """data[path[0]][path[1]]…, or None as soon as a step is missing."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or len(data) <= step:
                return None
            data = data[step]
        else:
            if not isinstance(data, dict):
                return None
            data = data.get(step)
    return data


def text(value: Any, max_length: int = 300) -> str:
    return str(value).strip()[:max_length] if value not in (None, "") else ""
