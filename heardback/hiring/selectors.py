"""Reads of hiring state, always scoped to one org."""

from __future__ import annotations

from django.db.models import QuerySet

from heardback.hiring.models import Application, Event, Job, Member, Org, Role
from heardback.messaging.models import Message


def memberships_of(user: object) -> QuerySet[Member]:
    if not getattr(user, "is_authenticated", False):
        return Member.objects.none()
    return Member.objects.filter(user=user).select_related("org", "user")


def admin_org_ids(user: object) -> set[int]:
    return set(memberships_of(user).filter(role=Role.ADMIN).values_list("org_id", flat=True))


def jobs_for(*, org: Org) -> QuerySet[Job]:
    return Job.objects.filter(org=org).select_related("owner__user")


def applications_for(*, org: Org) -> QuerySet[Application]:
    return Application.objects.filter(org=org).select_related("candidate", "job", "stage")


def timeline(*, application: Application) -> list[tuple[str, object]]:
    """Events and messages of one application, oldest first, as ("event"|"message", row)."""
    events = Event.objects.filter(org_id=application.org_id, application=application)
    messages = Message.objects.filter(org_id=application.org_id, application_id=application.pk)
    rows: list[tuple[str, object]] = [("event", e) for e in events] + [
        ("message", m) for m in messages
    ]
    rows.sort(key=lambda row: (row[1].created_at, row[0] == "message"))  # type: ignore[attr-defined]
    return rows
