"""Rate limits for the public pages, counted across every web process (heardback.web.limits).

Public endpoints (the apply POST, the status-link form, status pages) are the ones a
stranger can hammer. Limits count per client (heardback.web.client: behind TRUSTED_PROXIES
the forwarded address, IPv6 by /64) and scope, some also per email address typed; the
counts live in the shared cache's store, so two web processes count together.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from heardback.web import limits
from heardback.web.client import client_key as _client_key

# scope: (requests, per seconds). Settings may override any scope with PORTAL_RATE_LIMITS.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "status": (120, 60),
}
# Scopes whose limit is a setting written as a rate, e.g. "3/h" (see `parse_rate`).
RATE_SETTINGS: dict[str, str] = {
    # The apply form, per client address (many people can share one).
    "apply": "APPLY_RATE_PER_ADDRESS",
    # "Email me my status link": per client address, and per email address across clients.
    "status-link": "APPLY_LINK_RATE_PER_ADDRESS",
    "status-link-email": "APPLY_LINK_RATE_PER_EMAIL",
}

parse_rate = limits.parse_rate


def limit_for(scope: str) -> tuple[int, int]:
    overrides: dict[str, tuple[int, int]] = getattr(settings, "PORTAL_RATE_LIMITS", {})
    if scope in overrides:
        return overrides[scope]
    if scope in RATE_SETTINGS:
        return parse_rate(getattr(settings, RATE_SETTINGS[scope]))
    return DEFAULT_LIMITS[scope]


def client_key(request: HttpRequest) -> str:
    return _client_key(request)


def email_key(email: str) -> str:
    """The same key for every spelling of one address (case, spaces around it)."""
    return "email:" + email.strip().lower()


def _count(who: str, scope: str) -> tuple[bool, int]:
    limit, window = limit_for(scope)
    verdict = limits.hit(f"portal:{scope}", who, limit=limit, window=window)
    return verdict.allowed, verdict.retry_after


def allow(request: HttpRequest, *, scope: str, email: str | None = None) -> tuple[bool, int]:
    """(allowed, seconds until the window resets) for this client, or for this client and
    email address when one is given. Counts this request."""
    who = client_key(request)
    if email is not None:
        who = f"{who}|{email_key(email)}"
    return _count(who, scope)


def allow_email(email: str, *, scope: str) -> tuple[bool, int]:
    """The same for one email address, whichever client asks. Counts this request."""
    return _count(email_key(email), scope)
