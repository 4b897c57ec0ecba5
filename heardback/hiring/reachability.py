"""A candidate we can't email is a candidate who will feel ghosted: flag them to the recruiter."""

from __future__ import annotations

from typing import Any

from heardback import clock
from heardback.hiring.models import Application, Candidate, Event, EventKind
from heardback.hiring.services import SYSTEM_LABEL


def on_message_failed(*, message: Any, detail: str, **_: Any) -> None:
    if message.application_id is None or message.org_id is None:
        return
    application = (
        Application.objects.filter(pk=message.application_id, org_id=message.org_id)
        .select_related("candidate")
        .first()
    )
    if application is None:
        return
    now = clock.now()
    Candidate.objects.filter(pk=application.candidate_id, unreachable_since__isnull=True).update(
        unreachable_since=now
    )
    Event.objects.create(
        org_id=message.org_id,
        application=application,
        job_id=application.job_id,
        actor_label=SYSTEM_LABEL,
        kind=EventKind.UNREACHABLE,
        data={"message_id": message.pk, "detail": detail[:500]},
        created_at=now,
    )
