"""What an ATS sent is kept only as long as it is useful: the bodies of deliveries that have
been dealt with are emptied after BRIDGE_EVENT_BODY_DAYS (the row stays: the connection
page's log, the dedupe key that makes a re-delivery harmless)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from heardback.bridges.models import InboundEvent, InboundStatus


def body_kept_until(received_at: datetime) -> datetime:
    return received_at + timedelta(days=settings.BRIDGE_EVENT_BODY_DAYS)


def forget_old_event_bodies(*, now: datetime, limit: int) -> int:
    """Scheduler step: empty up to `limit` old bodies, oldest first; returns how many.

    Events still waiting in the inbox keep theirs whatever their age: they are not read yet.
    """
    cutoff = now - timedelta(days=settings.BRIDGE_EVENT_BODY_DAYS)
    due = (
        InboundEvent.objects.filter(body_removed_at__isnull=True, received_at__lt=cutoff)
        .exclude(status=InboundStatus.RECEIVED)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    return InboundEvent.objects.filter(pk__in=list(due), body_removed_at__isnull=True).update(
        body=b"", body_removed_at=now
    )
