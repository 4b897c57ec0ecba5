"""What a transport promises the delivery worker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class Outcome(Enum):
    SENT = "sent"
    TRANSIENT = "transient"  # try again later: 4xx, connection lost, timeout
    PERMANENT = "permanent"  # never retry: 5xx, invalid recipient


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    code: int | None = None
    detail: str = ""
    connection_lost: bool = False


@dataclass(frozen=True)
class OutgoingEmail:
    envelope_from: str
    recipient: str
    data: bytes
    message_id: str


class Transport(Protocol):
    def open(self) -> None: ...

    def send(
        self, email: OutgoingEmail, *, while_waiting: Callable[[], None] | None = None
    ) -> SendResult:
        """Send one email. `while_waiting`, if given, is called once while the server is
        busy with the message (or after it, if the transport can't tell), so the worker can
        prepare the next one instead of sitting idle."""
        ...

    def close(self) -> None: ...
