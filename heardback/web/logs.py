"""Keep the secrets in URLs out of every log line.

Status links, nudge (one-click decision) links, invitations, password resets, calendar
feeds and address confirmations carry their secret in the path. Django writes paths into
its request warnings ("Not Found: …", "Forbidden (CSRF …): …"), runserver and gunicorn
write access-log lines with the path, the `next=` of a sign-in redirect and the Referer,
and a secret in a log file is a working key.

What is secret is read from the URL configuration itself: every pattern with a parameter
named in SECRET_PARAMETERS (a new URL with a `<token>` is covered the day it is added).
Each such pattern becomes a regex for "its path up to the secret", and the segment after
it is replaced by [redacted] wherever it appears in a message: in the request line, in a
query string, in a Referer. `RedactSecrets` does that for one record; `install()` puts it
on the loggers that write paths (a logger's filter applies to records logged on it,
whatever handlers gunicorn or runserver attach), and settings put it on the project's
handler for everything that reaches the root logger.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

SECRET_PARAMETERS = frozenset({"token"})
REDACTED = "[redacted]"
LOGGERS = (
    "django.request",
    "django.security",
    "django.security.csrf",
    "django.server",
    "gunicorn.access",
    "gunicorn.error",
)
# What a secret segment may contain: up to the next separator of a path, query or log line.
_SEGMENT = r"[^/\s?#&\"'<>]+"
# If the URLs can't be read (a broken URLconf is logging its own error), any long run of
# token characters after a slash is treated as secret: too much redacted beats a leak.
_FALLBACK = (re.compile(r"/(?P<secret>[A-Za-z0-9_-]{20,})"),)

_compiled: tuple[re.Pattern[str], ...] | None = None
_building = threading.local()


def _part(regex: str) -> str:
    """A pattern's regex without its anchors, ready to be joined to its parent's."""
    regex = regex.removeprefix("^")
    for end in ("\\Z", "$"):
        regex = regex.removesuffix(end)
    return regex


def _walk(patterns: list[Any], prefix: str) -> Iterator[str]:
    from django.urls import URLResolver

    for entry in patterns:
        regex = prefix + _part(entry.pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(list(entry.url_patterns), regex)
        else:
            yield regex


def secret_patterns() -> tuple[re.Pattern[str], ...]:
    """One regex per URL pattern with a secret: "/<path up to it>(?P<secret>…)"."""
    from django.urls import get_resolver

    found: dict[str, re.Pattern[str]] = {}
    for regex in _walk(list(get_resolver().url_patterns), ""):
        for name in SECRET_PARAMETERS:
            start = regex.find(f"(?P<{name}>")
            if start == -1:
                continue
            source = "/" + regex[:start] + f"(?P<secret>{_SEGMENT})"
            found.setdefault(source, re.compile(source))
    return tuple(found.values())


def _patterns() -> tuple[re.Pattern[str], ...]:
    global _compiled
    if _compiled is not None:
        return _compiled
    if getattr(_building, "active", False):
        return _FALLBACK  # something logged while the URLconf was being imported
    _building.active = True
    try:
        _compiled = secret_patterns()
    except Exception:  # the URLconf is broken; its own error must still be logged safely
        return _FALLBACK
    finally:
        _building.active = False
    return _compiled


def reset() -> None:
    """Forget the compiled patterns (tests that swap the URLconf call this)."""
    global _compiled
    _compiled = None


def _blank(match: re.Match[str]) -> str:
    return match.group(0)[: match.start("secret") - match.start()] + REDACTED


def redact(text: str) -> str:
    if "/" not in text:
        return text
    for pattern in _patterns():
        text = pattern.sub(_blank, text)
    return text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix; let it through untouched
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
