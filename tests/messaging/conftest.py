"""Helpers for the outbox and delivery tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from heardback.messaging.models import Message
from heardback.messaging.rendering import Rendered
from heardback.messaging.services import enqueue
from tests.smtp import RecordingHandler, SmtpServer

START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def queue_messages(count: int, *, prefix: str = "t", **extra: Any) -> list[Message]:
    """Queue `count` plain messages straight into the outbox (messaging knows no hiring)."""
    rows = []
    for i in range(count):
        message, created = enqueue(
            idempotency_key=f"{prefix}:{i}",
            to_email=f"{prefix}{i}@example.net",
            to_name=f"Recipient {i}",
            rendered=Rendered(
                subject=f"Message {i}", text=f"Hello {i}\n", html=f"<p>Hello {i}</p>"
            ),
            kind="test",
            **extra,
        )
        assert created
        rows.append(message)
    return rows


class Clock:
    """Moves the one clock (through time-machine) in explicit steps."""

    def __init__(self, traveller: Any) -> None:
        self.traveller = traveller
        self.current = START
        traveller.move_to(START, tick=False)

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        self.traveller.move_to(self.current, tick=False)
        return self.current


@pytest.fixture
def frozen(time_machine: Any) -> Clock:
    return Clock(time_machine)


@pytest.fixture
def queue() -> Callable[..., list[Message]]:
    return queue_messages


class DroppingHandler(RecordingHandler):
    """Drops the connection after DATA (`Behaviour.drop_after_data`) by closing the server's
    own transport: the shared handler reaches for `session.transport`, which aiosmtpd's
    Session does not have, so it answers 500 instead of dropping."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.behaviour.drop_after_data > 0:
                self.behaviour.drop_after_data -= 1
                self.data_commands += 1
                assert server.transport is not None
                server.transport.close()
                return "421 closing"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def dropping_smtp_server(settings: Any) -> Any:
    server = SmtpServer()
    server.handler = DroppingHandler()
    server.controller = Controller(server.handler, hostname="127.0.0.1", port=server.port)
    server.start()
    settings.EMAIL_URL = server.url
    try:
        yield server
    finally:
        server.stop()
