"""Reads of hiring state, always scoped to one org."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from heardback.hiring.models import Application, Event, EventKind, Job, Member, Org, Role
from heardback.messaging.links import redacted
from heardback.messaging.models import Message


def memberships_of(user: User | AnonymousUser) -> QuerySet[Member]:
    if not user.is_authenticated:
        return Member.objects.none()
    return Member.objects.filter(user=user).select_related("org", "user")


def admin_org_ids(user: User | AnonymousUser) -> set[int]:
    return set(memberships_of(user).filter(role=Role.ADMIN).values_list("org_id", flat=True))


def jobs_for(*, org: Org) -> QuerySet[Job]:
    return Job.objects.filter(org=org).select_related("owner__user")


def applications_for(*, org: Org) -> QuerySet[Application]:
    return Application.objects.filter(org=org).select_related("candidate", "job", "stage")


# A close-out's final message is keyed `app:<id>:final:closeout:<close-out id>`
# (heardback.promises.closeout), which is how a timeline finds the close-out it came from.
CLOSE_OUT_KEY = ":final:closeout:"


def timeline(*, application: Application) -> list[tuple[str, Event | Message]]:
    """Events and messages of one application, oldest first, as ("event"|"message", row).

    A close-out logs one `closed_out` event per chunk (for the job, with the chunk's id
    range), not one per candidate: it is shown on the timeline of every application in
    that range that got the close-out's message, also after an undo restored it.
    """
    events = list(Event.objects.filter(org_id=application.org_id, application=application))
    messages = list(
        Message.objects.filter(org_id=application.org_id, application_id=application.pk)
    )
    close_outs = {
        int(m.idempotency_key.rsplit(CLOSE_OUT_KEY, 1)[1])
        for m in messages
        if CLOSE_OUT_KEY in m.idempotency_key
    }
    if close_outs:
        chunks = Event.objects.filter(
            org_id=application.org_id,
            job_id=application.job_id,
            kind=EventKind.CLOSED_OUT,
            application__isnull=True,
        )
        events += [
            e
            for e in chunks
            if e.data.get("close_out") in close_outs
            and e.data.get("first_application", 0)
            <= application.pk
            <= e.data.get("last_application", 0)
        ]
    for message in messages:  # staff read what was sent, never the candidate's live link
        message.body_text = redacted(message.body_text)
        message.body_html = redacted(message.body_html)
    rows: list[tuple[str, Event | Message]] = [("event", e) for e in events]
    rows += [("message", m) for m in messages]
    rows.sort(key=lambda row: (row[1].created_at, row[0] == "message"))
    return rows
