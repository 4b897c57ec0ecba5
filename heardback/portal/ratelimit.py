"""A small fixed-window rate limiter on Django's cache (LocMem by default).

Public endpoints (the apply POST, status pages) are the ones a stranger can hammer. The
limit is per client address and scope; counts live in the cache, so with LocMem each
process counts for itself (a shared cache such as Redis or the database cache makes the
limit exact across processes). Behind a proxy, set it to pass the client address as
REMOTE_ADDR, or every visitor shares one budget.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from heardback import clock

# scope: (requests, per seconds). Settings may override with PORTAL_RATE_LIMITS.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "status": (120, 60),
    "apply": (10, 600),
}


def limit_for(scope: str) -> tuple[int, int]:
    limits = {**DEFAULT_LIMITS, **getattr(settings, "PORTAL_RATE_LIMITS", {})}
    return limits[scope]


def client_key(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    # Hashed so the cache never holds raw addresses.
    return hashlib.sha256(address.encode()).hexdigest()[:24]


def allow(request: HttpRequest, *, scope: str) -> tuple[bool, int]:
    """(allowed, seconds until the window resets). Counts this request."""
    limit, window = limit_for(scope)
    now = int(clock.now().timestamp())
    bucket = now // window
    key = f"portal-rl:{scope}:{client_key(request)}:{bucket}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: start again
        cache.set(key, 1, timeout=window + 1)
        count = 1
    retry_after = window - (now % window)
    return count <= limit, retry_after
