"""Reads for compliance: missed deadlines, open duties for the console, evidence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, QuerySet

from heardback.compliance.models import AnswerDuty, Interview
from heardback.hiring.models import Application, Org


@dataclass(frozen=True)
class Missed:
    application_id: int
    org_id: int
    candidate: str
    job: str
    due_at: datetime
    last_interview_at: datetime


def missed_deadlines(*, now: datetime) -> Iterator[Missed]:
    """Every interviewed applicant past the legal deadline without an answer.

    Reads only open duties (`answered_at IS NULL`, the `duty_open_all` partial index) that
    are past due, so its cost follows the open rows, not the applications that exist. A
    decision made since the engine's last round (decided on time, not yet recorded on the
    duty) is not a miss.
    """
    rows = (
        AnswerDuty.objects.filter(answered_at__isnull=True, due_at__lt=now)
        .exclude(application__decided_at__lte=F("due_at"))
        .order_by("due_at", "id")
        .values_list(
            "application_id",
            "org_id",
            "application__candidate__email",
            "application__job__title",
            "due_at",
            "last_interview_at",
        )
    )
    for row in rows.iterator(chunk_size=2000):
        yield Missed(*row)


def duties(org: Org) -> QuerySet[AnswerDuty]:
    return AnswerDuty.objects.filter(org=org).select_related(
        "application__candidate", "application__job__owner__user"
    )


def open_duties(org: Org) -> QuerySet[AnswerDuty]:
    return duties(org).filter(answered_at__isnull=True).order_by("due_at", "id")


def interviews_for(application: Application) -> QuerySet[Interview]:
    return Interview.objects.filter(org_id=application.org_id, application=application)


def duties_in_period(
    org: Org, *, job_id: int | None, start: datetime | None, end: datetime | None
) -> QuerySet[AnswerDuty]:
    """Duties of `org` (one job, or all) whose last interview falls in [start, end)."""
    query = Q()
    if job_id is not None:
        query &= Q(application__job_id=job_id)
    if start is not None:
        query &= Q(last_interview_at__gte=start)
    if end is not None:
        query &= Q(last_interview_at__lt=end)
    return duties(org).filter(query).order_by("last_interview_at", "id")
