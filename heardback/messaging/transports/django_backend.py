"""A Django email backend that writes to the outbox, so Django's own mail (password resets,
invitations) gets the same retries, audit trail and delivery tracking as candidate mail."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from heardback.messaging.rendering import Rendered, text_to_html
from heardback.messaging.services import enqueue


class OutboxTransportBackend(BaseEmailBackend):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        count = 0
        for email in email_messages:
            html = ""
            for content, mimetype in getattr(email, "alternatives", []) or []:
                if mimetype == "text/html":
                    html = str(content)
            for recipient in email.recipients():
                enqueue(
                    idempotency_key=f"system:{uuid.uuid4().hex}",
                    to_email=recipient,
                    to_name="",
                    rendered=Rendered(
                        subject=str(email.subject),
                        text=str(email.body),
                        html=html or text_to_html(str(email.body)),
                    ),
                    kind="system",
                )
                count += 1
        return count
