"""The no-ghost invariants, checked over the whole database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from heardback.hiring.models import Application, ApplicationStatus
from heardback.promises.policy import get_policy

# The scheduler runs every few seconds; a promise counts as broken once its grace period
# and this much slack have passed without an update.
SLACK = timedelta(hours=1)


@dataclass(frozen=True)
class Violation:
    application_id: int
    org_id: int
    candidate: str
    job: str
    problem: str


def find_violations(*, now: datetime) -> list[Violation]:
    violations: list[Violation] = []
    orgs = (
        Application.objects.filter(status=ApplicationStatus.ACTIVE)
        .values_list("org_id", flat=True)
        .distinct()
    )
    from heardback.hiring.models import Org

    for org in Org.objects.filter(pk__in=list(orgs)):
        policy = get_policy(org=org)
        window = timedelta(days=policy.max_silence_days)
        active = Application.objects.filter(org=org, status=ApplicationStatus.ACTIVE)
        silent = active.filter(
            last_contacted_at__lt=now - window, candidate__progress_updates_opt_out=False
        ).select_related("candidate", "job")
        for application in silent.iterator(chunk_size=2000):
            last = application.last_contacted_at or application.created_at
            days = (now - last).total_seconds() / 86400
            violations.append(
                Violation(
                    application.pk,
                    org.pk,
                    application.candidate.email,
                    application.job.title,
                    f"silent for {days:.1f} days (window {policy.max_silence_days})",
                )
            )
        overdue = active.filter(
            respond_by__lt=now - timedelta(hours=policy.grace_hours) - SLACK,
            pending_decline_at__isnull=True,
        ).select_related("candidate", "job")
        for application in overdue.iterator(chunk_size=2000):
            violations.append(
                Violation(
                    application.pk,
                    org.pk,
                    application.candidate.email,
                    application.job.title,
                    f"past its promise ({application.respond_by:%Y-%m-%d %H:%M} UTC) "
                    "without an update",
                )
            )
    return violations
