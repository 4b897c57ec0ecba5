"""Console reads: the board's columns and filters, card marks, survey results and CVs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from heardback.clock.business import zone
from heardback.hiring.models import Application, ApplicationStatus, Job, Org, Stage
from heardback.portal import selectors as portal
from heardback.portal.models import Attachment

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


# Survey answers trickle in (one per finished candidate, each person at most every 6 months):
# a year gives enough of them to say something, and it is the public report card's window too.
SURVEY_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class SurveyResults:
    """The dashboard's view of `portal.selectors.survey_summary`, with the shares worked out."""

    since: datetime
    invited: int
    answered: int
    needed: int
    enough: bool
    kept_yes: float | None
    kept_mostly: float | None
    kept_no: float | None
    nps: int | None
    average_clarity: float | None
    average_respect: float | None


def survey_results(*, org: Org, now: datetime) -> SurveyResults:
    """Post-decision survey results for the whole org over the last year.

    Below `portal.MIN_FINISHED` answers the portal withholds the averages and the score; the
    shares are withheld here too, so a handful of answers can't be traced to the people who
    gave them.
    """
    since = now - SURVEY_WINDOW
    summary = portal.survey_summary(org=org, since=since)
    enough = summary.answered >= portal.MIN_FINISHED and summary.nps is not None

    def share(answer: str) -> float | None:
        return summary.kept_promises.get(answer, 0) / summary.answered if enough else None

    return SurveyResults(
        since=since,
        invited=summary.invited,
        answered=summary.answered,
        needed=portal.MIN_FINISHED,
        enough=enough,
        kept_yes=share("yes"),
        kept_mostly=share("mostly"),
        kept_no=share("no"),
        nps=summary.nps if enough else None,
        average_clarity=summary.average_clarity if enough else None,
        average_respect=summary.average_respect if enough else None,
    )


def attachments_of(application: Application) -> QuerySet[Attachment]:
    """The CVs uploaded with an application, oldest first (scoped to its org)."""
    return Attachment.objects.filter(
        org_id=application.org_id, application_id=application.pk
    ).order_by("created_at", "pk")
