"""A transport that files mail straight into the development mailbox (no SMTP server).

The demo replays eight weeks on a moved clock before any process is running; its mail is
"delivered" as it is sent in that past, into the same Maildir the mailbox page reads, so a
developer finds every email (with its date) and can follow its status link. Addresses at
`UNREACHABLE_DOMAIN` are refused as a real server would refuse a mailbox that is gone, so
the demo's unreachable candidates come about through the real delivery path.
"""

from __future__ import annotations

import mailbox
from collections.abc import Callable
from pathlib import Path

from heardback.messaging.transports.base import Outcome, OutgoingEmail, SendResult

UNREACHABLE_DOMAIN = "mailbox-gone.example"


class MaildirTransport:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.maildir: mailbox.Maildir | None = None

    def open(self) -> None:
        if self.path is not None and self.maildir is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.maildir = mailbox.Maildir(str(self.path), create=True)

    def send(
        self, email: OutgoingEmail, *, while_waiting: Callable[[], None] | None = None
    ) -> SendResult:
        if email.recipient.lower().endswith("@" + UNREACHABLE_DOMAIN):
            return SendResult(Outcome.PERMANENT, 550, "5.1.1 The mailbox does not exist")
        self.open()
        if self.maildir is not None:
            message = mailbox.MaildirMessage(email.data)
            message["X-Envelope-To"] = email.recipient
            self.maildir.add(message)
        if while_waiting is not None:
            while_waiting()
        return SendResult(Outcome.SENT, 250)

    def close(self) -> None:
        self.maildir = None
