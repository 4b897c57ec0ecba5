"""Selectors for the console's lists: applications (every status, filtered, sorted, paged by
keyset) and candidates (everyone who ever applied, finished or not).

Paging is by keyset, not by offset: each page asks for the rows after the last one shown
(`sort key, id`), so page 2,000 costs what page 1 costs. The default order (newest first)
reads straight from the `application_org_created` index.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, DateTimeField, Exists, F, Max, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Lower
from django.http import Http404

from heardback.clock.business import zone
from heardback.console.access import visible_applications, visible_jobs
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Candidate,
    Job,
    Member,
    Stage,
)

PAGE_SIZE = 50
EXPORT_CHUNK = 1000
# A respond-by date later than any real one: finished applications (no date) sort last.
NO_DATE = datetime(9999, 12, 31, tzinfo=zone("UTC"))

STATUSES = {
    "": "Any status",
    "active": "In process",
    "finished": "Finished (any outcome)",
    "hired": "Hired",
    "declined": "Declined",
    "withdrawn": "Withdrew",
    "closed": "Closed with the job",
}
SORTS = {
    "newest": "Newest application first",
    "oldest": "Oldest application first",
    "respond_by": "Respond-by date, soonest first",
    "changed": "Last change, most recent first",
    "name": "Name, A to Z",
}
DEFAULT_SORT = "newest"


class BadCursor(ValueError):
    """The `after` parameter is not one this page wrote (edited by hand, or truncated)."""


@dataclass(frozen=True)
class ApplicationFilters:
    """What the list shows. Every field has already been checked against the member's org."""

    job: Job | None = None
    stage: Stage | None = None
    status: str = ""
    owner: Member | None = None
    overdue: bool = False
    unreachable: bool = False
    applied_from: date | None = None
    applied_to: date | None = None
    changed_from: date | None = None
    changed_to: date | None = None
    query: str = ""
    sort: str = DEFAULT_SORT


@dataclass(frozen=True)
class Row:
    """One line of the list, read with `.values()`: a page builds no model instances (the
    seven per row that select_related would make were most of a page's time)."""

    pk: int
    candidate_id: int
    name: str
    email: str
    phone: str
    unreachable_since: datetime | None
    job_id: int
    job_title: str
    stage_name: str
    status: str
    closed_out_by: int | None
    created_at: datetime
    decided_at: datetime | None
    stage_entered_at: datetime
    respond_by: datetime | None
    owner_first_name: str
    owner_last_name: str
    owner_email: str
    sort_key: Any

    @property
    def outcome(self) -> str:
        return outcome_of(self.status, self.closed_out_by)

    @property
    def last_change(self) -> datetime:
        return self.decided_at or self.stage_entered_at

    @property
    def owner(self) -> str:
        full = f"{self.owner_first_name} {self.owner_last_name}".strip()
        return full or self.owner_email

    @property
    def is_active(self) -> bool:
        return self.status == ApplicationStatus.ACTIVE


# `.values()` names for Row's fields, in order.
ROW_VALUES = {
    "pk": "pk",
    "candidate_id": "candidate_id",
    "name": "candidate__name",
    "email": "candidate__email",
    "phone": "candidate__phone",
    "unreachable_since": "candidate__unreachable_since",
    "job_id": "job_id",
    "job_title": "job__title",
    "stage_name": "stage__name",
    "status": "status",
    "closed_out_by": "closed_out_by",
    "created_at": "created_at",
    "decided_at": "decided_at",
    "stage_entered_at": "stage_entered_at",
    "respond_by": "respond_by",
    "owner_first_name": "job__owner__user__first_name",
    "owner_last_name": "job__owner__user__last_name",
    "owner_email": "job__owner__user__email",
    "sort_key": "sort_key",
}


def _rows(applications: QuerySet[Application]) -> list[Row]:
    names = list(ROW_VALUES)
    return [
        Row(*(values[ROW_VALUES[name]] for name in names))
        for values in applications.values(*ROW_VALUES.values())
    ]


@dataclass
class Page:
    rows: list[Any]
    total: int
    next_cursor: str | None
    first: bool
    extra: dict[str, Any] = field(default_factory=dict)


def _last_change() -> Coalesce:
    # A decision is always after the stage was entered, so the decision time (when there
    # is one) is the application's last change, else the time it entered its stage.
    return Coalesce("decided_at", "stage_entered_at", output_field=DateTimeField())


def _day_start(day: date, time_zone: str) -> datetime:
    """Midnight at the start of `day` in the org's time zone: dates are read as the org
    reads its calendar, not as UTC."""
    return datetime.combine(day, time.min, tzinfo=zone(time_zone))


def filtered_applications(
    *, member: Member, filters: ApplicationFilters, now: datetime
) -> QuerySet[Application]:
    """The member's visible applications matching `filters` (any status unless filtered)."""
    applications = visible_applications(member)
    time_zone = member.org.time_zone
    if filters.job is not None:
        applications = applications.filter(job_id=filters.job.pk)
    if filters.stage is not None:
        applications = applications.filter(stage_id=filters.stage.pk)
    status = filters.status
    if status == "active":
        applications = applications.filter(status=ApplicationStatus.ACTIVE)
    elif status == "finished":
        applications = applications.exclude(status=ApplicationStatus.ACTIVE)
    elif status == "declined":
        # Declined by a person; "closed" are those the job's close-out declined.
        applications = applications.filter(
            status=ApplicationStatus.DECLINED, closed_out_by__isnull=True
        )
    elif status == "closed":
        applications = applications.filter(
            status=ApplicationStatus.DECLINED, closed_out_by__isnull=False
        )
    elif status in (ApplicationStatus.HIRED, ApplicationStatus.WITHDRAWN):
        applications = applications.filter(status=status)
    if filters.owner is not None:
        applications = applications.filter(job__owner_id=filters.owner.pk)
    if filters.overdue:
        applications = applications.filter(status=ApplicationStatus.ACTIVE, respond_by__lt=now)
    if filters.unreachable:
        applications = applications.filter(candidate__unreachable_since__isnull=False)
    if filters.applied_from is not None:
        applications = applications.filter(
            created_at__gte=_day_start(filters.applied_from, time_zone)
        )
    if filters.applied_to is not None:
        applications = applications.filter(
            created_at__lt=_day_start(filters.applied_to + timedelta(days=1), time_zone)
        )
    if filters.changed_from is not None or filters.changed_to is not None:
        applications = applications.annotate(changed=_last_change())
        if filters.changed_from is not None:
            applications = applications.filter(
                changed__gte=_day_start(filters.changed_from, time_zone)
            )
        if filters.changed_to is not None:
            applications = applications.filter(
                changed__lt=_day_start(filters.changed_to + timedelta(days=1), time_zone)
            )
    query = filters.query.strip()
    if query:
        applications = applications.filter(
            Q(candidate__name__icontains=query) | Q(candidate__email__icontains=query)
        )
    return applications


# Each sort: the key expression (never NULL, so a keyset comparison is always defined) and
# whether it runs descending. `id` breaks ties in the same direction.
def _sort_key(sort: str) -> tuple[Any, bool]:
    if sort == "oldest":
        return F("created_at"), False
    if sort == "respond_by":
        return Coalesce("respond_by", Value(NO_DATE), output_field=DateTimeField()), False
    if sort == "changed":
        return _last_change(), True
    if sort == "name":
        return Lower("candidate__name"), False
    return F("created_at"), True


def _encode(value: Any, pk: int) -> str:
    raw = value.isoformat() if isinstance(value, datetime) else value
    data = json.dumps([raw, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(cursor: str, *, sort: str) -> tuple[Any, int]:
    """(sort key, id) from an `after` parameter; BadCursor for anything this page didn't write."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        raw, pk = data
        if not isinstance(pk, int) or isinstance(pk, bool) or pk <= 0:
            raise ValueError("id")
        if sort == "name":
            if not isinstance(raw, str):
                raise ValueError("name")
            return raw, pk
        if not isinstance(raw, str):
            raise ValueError("date")
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("naive")
        return value, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as error:
        raise BadCursor(
            "That page link is not valid any more. Start again from the first page."
        ) from error


def _ordered(
    applications: QuerySet[Application], sort: str, after: tuple[Any, int] | None
) -> QuerySet[Application]:
    key, descending = _sort_key(sort)
    applications = applications.annotate(sort_key=key)
    if after is not None:
        value, pk = after
        if descending:
            applications = applications.filter(Q(sort_key__lt=value) | Q(sort_key=value, pk__lt=pk))
        else:
            applications = applications.filter(Q(sort_key__gt=value) | Q(sort_key=value, pk__gt=pk))
    if descending:
        return applications.order_by(F("sort_key").desc(), "-pk")
    return applications.order_by(F("sort_key").asc(), "pk")


def application_page(
    *,
    member: Member,
    filters: ApplicationFilters,
    now: datetime,
    after: str = "",
    size: int = PAGE_SIZE,
) -> Page:
    """One page of the list: `size` rows after the cursor, the total matching, and the next
    page's cursor. Two queries whatever the number of rows (the count and the page)."""
    position = decode_cursor(after, sort=filters.sort) if after else None
    applications = filtered_applications(member=member, filters=filters, now=now)
    total = applications.count()
    # A deferred join: the page's ids are chosen from the applications alone (the filter's
    # joins only), and only those 51 rows are then joined to their candidate, job, stage
    # and owner. Joined first, SQLite joined every row of a 5,000-application job before
    # sorting it.
    keys = list(
        _ordered(applications, filters.sort, position).values_list("pk", flat=True)[: size + 1]
    )
    key, _descending = _sort_key(filters.sort)
    by_pk = {row.pk: row for row in _rows(applications.filter(pk__in=keys).annotate(sort_key=key))}
    rows = [by_pk[pk] for pk in keys]
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode(last.sort_key, last.pk)
    return Page(rows=rows, total=total, next_cursor=next_cursor, first=position is None)


def iter_applications(
    *, member: Member, filters: ApplicationFilters, now: datetime, chunk: int = EXPORT_CHUNK
) -> Iterator[Row]:
    """Every matching application in the list's order, read a chunk at a time by keyset (no
    cursor is held open between chunks, so a slow download holds no transaction)."""
    applications = filtered_applications(member=member, filters=filters, now=now)
    position: tuple[Any, int] | None = None
    while True:
        rows = _rows(_ordered(applications, filters.sort, position)[:chunk])
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1]
        position = (last.sort_key, last.pk)


def outcome_of(status: str, closed_out_by: int | None) -> str:
    """A person's word for where an application stands."""
    if status == ApplicationStatus.DECLINED and closed_out_by:
        return "Closed with the job"
    if status == ApplicationStatus.ACTIVE:
        return "In process"
    return str(ApplicationStatus(status).label)


def outcome(application: Application) -> str:
    return outcome_of(application.status, application.closed_out_by)


def last_change(application: Application) -> datetime:
    return application.decided_at or application.stage_entered_at


def filter_choices(member: Member) -> dict[str, Any]:
    """The filter bar's choices: visible jobs, their stages and the jobs' owners. Three
    queries however many applications there are."""
    jobs = list(visible_jobs(member).order_by("title", "pk"))
    pipelines = {j.pipeline_id: j for j in jobs}
    stages = [
        stage
        for stage in Stage.objects.filter(
            org_id=member.org_id, pipeline__is_template=False
        ).order_by("pipeline_id", "position")
        if stage.pipeline_id in pipelines
    ]
    owners = list(
        Member.objects.filter(org_id=member.org_id, pk__in={j.owner_id for j in jobs})
        .select_related("user")
        .order_by("user__first_name", "user__email", "pk")
    )
    return {"jobs": jobs, "stages": stages, "owners": owners}


def stage_groups(
    jobs: list[Job], stages: list[Stage], job: Job | None
) -> list[tuple[Job, list[Stage]]]:
    """Stages grouped by job for the filter's select (only the chosen job's, if one is)."""
    by_pipeline: dict[int, list[Stage]] = {}
    for stage in stages:
        by_pipeline.setdefault(stage.pipeline_id, []).append(stage)
    return [(j, by_pipeline.get(j.pipeline_id, [])) for j in jobs if job is None or j.pk == job.pk]


# --- candidates ---------------------------------------------------------------------------


def visible_candidates(member: Member) -> QuerySet[Candidate]:
    """Everyone who applied to a job this member can see, whatever became of it."""
    candidates = Candidate.objects.filter(org_id=member.org_id)
    mine = visible_applications(member).filter(candidate_id=OuterRef("pk"))
    return candidates.filter(Exists(mine.values("pk")))


def candidate_page(*, member: Member, query: str = "", after: str = "") -> Page:
    """Candidates newest first (by id, straight from the primary key), with how many
    applications each has and when they last applied."""
    position: int | None = None
    if after:
        if not (after.isascii() and after.isdigit()) or not 0 < int(after) < 2**63:
            raise BadCursor(
                "That page link is not valid any more. Start again from the first page."
            )
        position = int(after)
    candidates = visible_candidates(member)
    query = query.strip()
    if query:
        candidates = candidates.filter(Q(name__icontains=query) | Q(email__icontains=query))
    total = candidates.count()
    if position is not None:
        candidates = candidates.filter(pk__lt=position)
    mine = Q(applications__in=visible_applications(member).values("pk"))
    rows = list(
        candidates.annotate(
            application_count=Count("applications", filter=mine),
            last_applied=Max("applications__created_at", filter=mine),
            active_count=Count(
                "applications", filter=mine & Q(applications__status=ApplicationStatus.ACTIVE)
            ),
        ).order_by("-pk")[: PAGE_SIZE + 1]
    )
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        next_cursor = str(rows[-1].pk)
    return Page(rows=rows, total=total, next_cursor=next_cursor, first=position is None)


def candidate_for(member: Member, candidate_id: int) -> Candidate:
    """A candidate this member may see (one with an application in a job they can see)."""
    candidate = visible_candidates(member).filter(pk=candidate_id).first()
    if candidate is None:
        raise Http404("No such candidate.")
    return candidate


def applications_of(member: Member, candidate: Candidate) -> list[Application]:
    """All of a candidate's applications at the org that this member can see, newest first."""
    return list(
        visible_applications(member)
        .filter(candidate_id=candidate.pk)
        .select_related("job__owner__user")
        .order_by("-created_at", "-pk")
    )
