"""Console reads: the board's columns and filters, card marks, survey results and CVs."""

from __future__ import annotations

from collections.abc import Mapping
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
    page: int = 1
    pages: int = 1
    # Where a card's "Move to" points first: the next stage, or from the last stage the one
    # before it (never the first stage by accident of the list's order).
    move_to: int | None = None

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * CARDS_PER_COLUMN + 1 if self.cards else 0

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * CARDS_PER_COLUMN + len(self.cards)


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
        applications = applications.filter(pending_decline_at__isnull=False, pending_hire=False)
    query = query.strip()
    if query:
        applications = applications.filter(
            Q(candidate__name__icontains=query) | Q(candidate__email__icontains=query)
        )
    return applications


def board_columns(
    *, job: Job, applications: QuerySet[Application], pages: Mapping[int, int] | None = None
) -> list[Column]:
    """A column per stage with one page of cards each (`pages`: stage id to page number,
    1 when absent; a page past the end shows the last one)."""
    stages = list(job.pipeline.stages.order_by("position"))
    counts = dict(
        applications.values("stage_id").annotate(n=Count("pk")).values_list("stage_id", "n")
    )
    columns = []
    for index, stage in enumerate(stages):
        count = counts.get(stage.pk, 0)
        last_page = max(1, -(-count // CARDS_PER_COLUMN))
        page = min(max(1, (pages or {}).get(stage.pk, 1)), last_page)
        start = (page - 1) * CARDS_PER_COLUMN
        cards = list(
            applications.filter(stage=stage)
            .select_related("candidate", "stage")
            .order_by("respond_by", "pk")[start : start + CARDS_PER_COLUMN]
        )
        neighbour = stages[index + 1] if index + 1 < len(stages) else None
        if neighbour is None and index > 0:
            neighbour = stages[index - 1]
        columns.append(
            Column(
                stage=stage,
                count=count,
                cards=cards,
                page=page,
                pages=last_page,
                move_to=neighbour.pk if neighbour else None,
            )
        )
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
