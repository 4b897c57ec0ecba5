"""Writing to the outbox. Call inside the transaction of the decision that causes the message."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from heardback import clock
from heardback.messaging.headers import clean_email_address, single_line
from heardback.messaging.models import Message, MessageStatus
from heardback.messaging.rendering import Rendered


def enqueue(
    *,
    idempotency_key: str,
    to_email: str,
    to_name: str,
    rendered: Rendered,
    kind: str,
    org_id: int | None = None,
    application_id: int | None = None,
    language: str = "en",
    automated: bool = False,
    final: bool = False,
    reply_to: str = "",
    send_at: datetime | None = None,
) -> tuple[Message, bool]:
    """Queue one message; returns (message, created).

    The same idempotency key twice returns the first message untouched: one event, one message.
    """
    now = clock.now()
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    message = Message(
        org_id=org_id,
        application_id=application_id,
        to_email=clean_email_address(to_email),
        to_name=single_line(to_name, max_length=200),
        from_email=settings.DEFAULT_FROM_EMAIL,
        reply_to=single_line(reply_to),
        subject=single_line(rendered.subject),
        body_text=rendered.text,
        body_html=rendered.html,
        language=language,
        kind=kind,
        automated=automated,
        final=final,
        idempotency_key=idempotency_key,
        status=MessageStatus.QUEUED,
        next_attempt_at=send_at or now,
        created_at=now,
    )
    try:
        # A savepoint, so a concurrent duplicate doesn't poison the caller's transaction.
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        return Message.objects.get(idempotency_key=idempotency_key), False
    return message, True


def cancel_queued(*, message_ids: list[int]) -> int:
    """Cancel messages that have not been handed to a worker yet; returns how many."""
    return Message.objects.filter(id__in=message_ids, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED, last_error="cancelled before sending"
    )
