"""Console reads: the board's columns and filters, and card marks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from heardback.clock.business import zone
from heardback.hiring.models import Application, ApplicationStatus, Job, Stage

FILTERS = {
    "overdue": "Overdue",
    "due_week": "Due this week",
    "unreachable": "Unreachable",
    "pending_decline": "Decline on hold",
}
CARDS_PER_COLUMN = 50
DUE_SOON = timedelta(hours=48)


@dataclass
class Column:
    stage: Stage
    count: int
    cards: list[Application]

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


def end_of_week(now: datetime, *, time_zone: str) -> datetime:
    local = now.astimezone(zone(time_zone))
    sunday = local + timedelta(days=6 - local.weekday())
    return sunday.replace(hour=23, minute=59, second=59, microsecond=0)


def board_applications(
    *, job: Job, now: datetime, filter_key: str = "", query: str = ""
) -> QuerySet[Application]:
    """The job's active applications matching a board filter (the same set bulk acts on)."""
    applications = Application.objects.filter(
        org_id=job.org_id, job=job, status=ApplicationStatus.ACTIVE
    )
    if filter_key == "overdue":
        applications = applications.filter(respond_by__lt=now)
    elif filter_key == "due_week":
        applications = applications.filter(
            respond_by__gte=now, respond_by__lte=end_of_week(now, time_zone=job.org.time_zone)
        )
    elif filter_key == "unreachable":
        applications = applications.filter(candidate__unreachable_since__isnull=False)
    elif filter_key == "pending_decline":
        applications = applications.filter(pending_decline_at__isnull=False)
    query = query.strip()
    if query:
        applications = applications.filter(
            Q(candidate__name__icontains=query) | Q(candidate__email__icontains=query)
        )
    return applications


def board_columns(*, job: Job, applications: QuerySet[Application]) -> list[Column]:
    stages = list(job.pipeline.stages.order_by("position"))
    counts = dict(
        applications.values("stage_id").annotate(n=Count("pk")).values_list("stage_id", "n")
    )
    columns = []
    for stage in stages:
        cards = list(
            applications.filter(stage=stage)
            .select_related("candidate", "stage")
            .order_by("respond_by", "pk")[:CARDS_PER_COLUMN]
        )
        columns.append(Column(stage=stage, count=counts.get(stage.pk, 0), cards=cards))
    return columns


def due_mark(application: Application, *, now: datetime) -> str:
    """ "overdue", "due-soon" or "" for a card or a row."""
    if application.respond_by is None:
        return ""
    if application.respond_by < now:
        return "overdue"
    if application.respond_by - now <= DUE_SOON:
        return "due-soon"
    return ""
