"""Waking an idle delivery worker as soon as there is new mail.

PostgreSQL: the outbox insert notifies a channel in the same statement (delivered when the
transaction commits), and an idle worker LISTENs on its own connection. SQLite: an idle
worker reads `PRAGMA data_version` every few milliseconds — it changes when any other
connection commits, and reading it touches no table — and looks for work when it moves.
Either way a worker also looks every `idle_seconds`, so a missed wake-up costs at most that.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)

CHANNEL = "heardback_outbox"
SQLITE_POLL_SECONDS = 0.02


def notify_sql() -> str:
    """A FROM-clause fragment that notifies idle workers (PostgreSQL only)."""
    return f"(SELECT pg_notify('{CHANNEL}', '')) AS wake"


class Wakeup:
    def wait(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(seconds)

    def close(self) -> None:
        pass


class PostgresWakeup(Wakeup):
    def __init__(self) -> None:
        self._listener: Any = None

    def _connect(self) -> Any:
        import psycopg

        listener = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        listener.execute(f"LISTEN {CHANNEL}")
        return listener

    def wait(self, seconds: float, stop: threading.Event) -> None:
        deadline = time.monotonic() + seconds
        try:
            if self._listener is None:
                self._listener = self._connect()
            # Short slices, so a stop request is honoured quickly.
            while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                for _note in self._listener.notifies(timeout=min(left, 0.5), stop_after=1):
                    return
        except Exception:  # the listener is a nicety: fall back to sleeping
            log.warning("outbox listener failed; polling instead", exc_info=True)
            self.close()
            stop.wait(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):  # closing a socket that may be broken
                listener.close()


class SqliteWakeup(Wakeup):
    def _version(self) -> int | None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA data_version")
                row = cursor.fetchone()
        except DatabaseError:
            return None
        return int(row[0]) if row else None

    def wait(self, seconds: float, stop: threading.Event) -> None:
        deadline = time.monotonic() + seconds
        start = self._version()
        while not stop.is_set() and time.monotonic() < deadline:
            if stop.wait(SQLITE_POLL_SECONDS):
                return
            if self._version() != start:
                return


def for_this_database() -> Wakeup:
    if connection.vendor == "postgresql":
        return PostgresWakeup()
    if connection.vendor == "sqlite":
        return SqliteWakeup()
    return Wakeup()
