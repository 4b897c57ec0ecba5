"""Writing to the outbox. Call inside the transaction of the decision that causes the message."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection

from heardback import clock
from heardback.messaging.headers import clean_email_address, single_line
from heardback.messaging.models import Message, MessageStatus
from heardback.messaging.rendering import Rendered
from heardback.messaging.wakeup import notify_sql


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
    from_email: str = "",
    send_at: datetime | None = None,
    list_unsubscribe: str = "",
) -> tuple[Message, bool]:
    """Queue one message; returns (message, created).

    The same idempotency key twice returns the first message untouched: one event, one message.
    `from_email` defaults to DEFAULT_FROM_EMAIL (the seeker side passes its own address);
    `list_unsubscribe` is a one-click unsubscribe URL for mail people opted into (RFC 8058).
    """
    now = clock.now()
    message = Message(
        org_id=org_id,
        application_id=application_id,
        to_email=clean_email_address(to_email),
        to_name=single_line(to_name, max_length=200),
        # An org's candidate mail comes from the org (hiring.branding.from_address).
        from_email=single_line(from_email) or settings.DEFAULT_FROM_EMAIL,
        reply_to=single_line(reply_to),
        list_unsubscribe=single_line(list_unsubscribe, max_length=500),
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
    message.pk = _insert_unless_known(message)
    if message.pk is None:
        return Message.objects.get(idempotency_key=idempotency_key), False
    return message, True


def _insert_unless_known(message: Message) -> int | None:
    """One statement: insert, or do nothing if the idempotency key exists (no savepoint, so
    a concurrent duplicate can't poison the caller's transaction). Returns the new id."""
    fields = [f for f in Message._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    values = [f.get_db_prep_save(getattr(message, f.attname), connection) for f in fields]
    placeholders = ", ".join(["%s"] * len(fields))
    insert = (
        f"INSERT INTO {quote(Message._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({placeholders}) ON CONFLICT (idempotency_key) DO NOTHING "
        f"RETURNING {quote(str(Message._meta.pk.column))}"
    )
    if connection.vendor == "postgresql":
        # The same statement wakes idle workers (the notification goes out on commit).
        insert = f"WITH created AS ({insert}) SELECT created.* FROM created, {notify_sql()}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(insert, values)
        row = cursor.fetchone()
    return int(row[0]) if row else None


def cancel_queued(*, message_ids: list[int]) -> int:
    """Cancel messages that have not been handed to a worker yet; returns how many."""
    return Message.objects.filter(id__in=message_ids, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED, last_error="cancelled before sending"
    )
