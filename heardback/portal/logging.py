"""Keep status-link tokens out of every log line.

Django logs the path of 4xx responses ("Not Found: /s/<token>/") and of CSRF failures, and
an operator may switch on an access log. A status token in a log file is a working key to
someone's application, so these loggers get a filter that blanks the token out.
"""

from __future__ import annotations

import logging
import re

_TOKEN_IN_PATH = re.compile(r"/s/[^/\s\"'?#]+")
REDACTED = "/s/[redacted]"
LOGGERS = (
    "django.request",
    "django.security",
    "django.security.csrf",
    "django.server",
    "gunicorn.access",
    "gunicorn.error",
)


def redact(text: str) -> str:
    return _TOKEN_IN_PATH.sub(REDACTED, text)


class RedactStatusTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix; let it through untouched
            return True
        if "/s/" in message:
            record.msg = redact(message)
            record.args = ()
        return True


def install() -> None:
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactStatusTokens) for f in logger.filters):
            logger.addFilter(RedactStatusTokens())
