"""Background processes say they are alive; `heardback doctor` reads it."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from datetime import datetime
from typing import Any

from django.db import DatabaseError

from heardback import clock
from heardback.runtime.models import Heartbeat

log = logging.getLogger(__name__)


def process_name(role: str) -> str:
    return f"{role}@{socket.gethostname()[:60]}:{os.getpid()}"


def beat(*, process: str, role: str, started_at: datetime, detail: dict[str, Any]) -> None:
    """Record that `process` finished a round. Never fails its caller."""
    try:
        Heartbeat.objects.update_or_create(
            process=process,
            defaults={
                "role": role,
                "started_at": started_at,
                "beat_at": clock.now(),
                "detail": detail,
            },
        )
    except DatabaseError:
        log.warning("could not record the heartbeat of %s", process)


def forget(*, process: str) -> None:
    """A process that stops cleanly takes its heartbeat with it."""
    with contextlib.suppress(DatabaseError):
        Heartbeat.objects.filter(process=process).delete()
