"""A real SMTP server for development: every message it receives lands in a Maildir that the
mailbox page reads. Development only; production sends through a real provider."""

from __future__ import annotations

import mailbox
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class MaildirHandler:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.maildir = mailbox.Maildir(str(path), create=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = mailbox.MaildirMessage(content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.maildir.add(message)
        return "250 Message accepted for delivery"


def start(path: Path, *, host: str = "127.0.0.1", port: int = 1025) -> Controller:
    controller = Controller(MaildirHandler(path), hostname=host, port=port)
    controller.start()
    return controller


def read_mailbox(path: Path) -> list[tuple[str, Any]]:
    """(key, message) pairs, newest first."""
    if not path.exists():
        return []
    box = mailbox.Maildir(str(path), create=False)
    items = [(key, box[key]) for key in box.keys()]  # noqa: SIM118 - Maildir is no dict
    items.sort(key=lambda item: item[1].get_date(), reverse=True)
    return items
