"""A real SMTP server for tests (aiosmtpd on loopback), with scriptable misbehaviour."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as MimeMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> MimeMessage:
        return message_from_bytes(self.data, policy=default_policy)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
        return body.get_content() if body is not None else ""


@dataclass
class Behaviour:
    """How the server answers DATA. `replies` are used in order, then `default` forever."""

    replies: list[str] = field(default_factory=list)
    default: str = "250 OK"
    drop_after_data: int = 0  # drop the connection instead of replying, this many times


class RecordingHandler:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.behaviour = Behaviour()
        self.lock = threading.Lock()
        self.data_commands = 0
        self.rcpt_replies: list[str] = []  # answers to RCPT TO, in order, then accept
        self.seconds_per_message = 0.0  # a slow server: wait this long before answering DATA

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self.lock:
            reply = self.rcpt_replies.pop(0) if self.rcpt_replies else ""
        if reply:
            if reply.startswith("421"):
                await server.push(reply)
                assert server.transport is not None
                server.transport.close()
                return "421 closing"
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.seconds_per_message:
            await asyncio.sleep(self.seconds_per_message)
        with self.lock:
            self.data_commands += 1
            if self.behaviour.drop_after_data > 0:
                self.behaviour.drop_after_data -= 1
                assert server.transport is not None
                server.transport.close()
                return "421 closing"
            reply = (
                self.behaviour.replies.pop(0) if self.behaviour.replies else self.behaviour.default
            )
            if reply.startswith("250"):
                self.received.append(
                    Received(
                        mail_from=envelope.mail_from or "",
                        rcpt_tos=list(envelope.rcpt_tos),
                        data=envelope.original_content or b"",
                    )
                )
            return reply


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
