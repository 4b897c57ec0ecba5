"""Delivery through an email service (Postmark, SES, Mailgun, …) with django-anymail."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes
from email.message import Message as MimeMessage
from typing import Any

from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

from heardback.messaging.transports.base import Outcome, OutgoingEmail, SendResult


class AnymailTransport:
    """One anymail backend connection per batch; the service's message id is kept."""

    def __init__(self, esp: str) -> None:
        self.backend_path = f"anymail.backends.{esp}.EmailBackend"
        self._backend: Any = None

    def open(self) -> None:
        if self._backend is None:
            backend_class = import_string(self.backend_path)
            self._backend = backend_class(fail_silently=False)
            self._backend.open()

    def send(
        self, email: OutgoingEmail, *, while_waiting: Callable[[], None] | None = None
    ) -> SendResult:
        try:
            return self._send(email)
        finally:
            if while_waiting is not None:
                while_waiting()

    def _send(self, email: OutgoingEmail) -> SendResult:
        from anymail.exceptions import AnymailAPIError, AnymailError

        self.open()
        parsed: MimeMessage = message_from_bytes(email.data)
        text, html = "", ""
        for part in parsed.walk():
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            decoded = payload.decode(part.get_content_charset() or "utf-8", "replace")
            if part.get_content_type() == "text/plain":
                text = decoded
            elif part.get_content_type() == "text/html":
                html = decoded
        outgoing = EmailMessage(
            subject=str(parsed["Subject"] or ""),
            body=text,
            from_email=str(parsed["From"]),
            to=[str(parsed["To"])],
            headers={"Message-ID": email.message_id},
        )
        if html:
            outgoing.attach_alternative(html, "text/html")  # type: ignore[attr-defined]
        try:
            self._backend.send_messages([outgoing])
        except AnymailAPIError as error:
            status = getattr(error, "status_code", None) or 0
            outcome = Outcome.TRANSIENT if status >= 500 or status == 429 else Outcome.PERMANENT
            return SendResult(outcome, code=status or None, detail=str(error)[:2000])
        except AnymailError as error:
            return SendResult(Outcome.TRANSIENT, detail=str(error)[:2000])
        statuses = getattr(outgoing, "anymail_status", None)
        if statuses is not None and statuses.status and statuses.status <= {"rejected", "invalid"}:
            return SendResult(
                Outcome.PERMANENT, detail=f"rejected by the service: {statuses.status}"
            )
        return SendResult(Outcome.SENT, detail=str(getattr(statuses, "message_id", "") or ""))

    def close(self) -> None:
        backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()
