"""The numbers behind the dashboard, per org, job or owner.

Definitions (the dashboard shows these words next to the numbers):

- **Finished** applications are declined, hired or withdrawn.
- **Hear-back rate**: the share of finished applications whose final message was sent.
- **Promises met on time**: every time a candidate is given a respond-by date (on applying
  and on every stage change) that is a promise. It is *met* when the candidate's next news
  (a message, a stage change or the decision) came by that date, *missed* when it came later
  or the date passed with nothing. Promises whose date has not come yet are not counted.
  Messages within a minute of the promise are the promise itself, not news. Counted over
  applications from the last 12 months. `promises_met()` is the only implementation: the
  dashboard and the public report card both show its number.
- **Time to first response**: from applying to the first message that is not the automatic
  acknowledgement. **Time to decision**: from applying to being declined or hired.
- **Longest current silence**: the longest any active candidate has waited since we last
  wrote to them. **Overdue now**: active applications past their respond-by date.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, Min, OuterRef, Q, QuerySet

from heardback.clock.business import deadline_after
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Event,
    EventKind,
    Member,
    Org,
    Stage,
)
from heardback.messaging.models import Message, MessageStatus

FINISHED = (ApplicationStatus.DECLINED, ApplicationStatus.HIRED, ApplicationStatus.WITHDRAWN)
DECIDED = (ApplicationStatus.DECLINED, ApplicationStatus.HIRED)
PROMISE_STARTS = (EventKind.APPLIED, EventKind.STAGE_CHANGED)
SAME_MOMENT = timedelta(seconds=60)
# Judging a promise means replaying its history, so only applications from this window
# count: the cost stays bounded on a big org. One window for every page that shows the
# number (the public report card covers the same 12 months), so no two pages disagree.
PROMISE_WINDOW = timedelta(days=365)
# Events that are not news from the employer, so they keep no promise: internal records, and
# what the candidate did themselves.
NOT_NEWS = (
    EventKind.NOTE,
    EventKind.UNREACHABLE,
    EventKind.DECLINE_SCHEDULED,
    EventKind.DECLINE_CANCELLED,
    EventKind.JOB_EDITED,
    EventKind.TEMPLATE_FAILED,
    EventKind.CONTACT_UPDATED,
    EventKind.UPDATES_OPT_OUT,
    EventKind.UPDATES_OPT_IN,
)


@dataclass
class Metrics:
    applications: int = 0
    active: int = 0
    finished: int = 0
    heard_back: int = 0
    promises_due: int = 0
    promises_met: int = 0
    first_response_hours: list[float] = field(default_factory=list)
    decision_hours: list[float] = field(default_factory=list)
    longest_silence: timedelta | None = None
    overdue_now: int = 0

    @property
    def hear_back_rate(self) -> float | None:
        return self.heard_back / self.finished if self.finished else None

    @property
    def promises_met_rate(self) -> float | None:
        return self.promises_met / self.promises_due if self.promises_due else None

    @property
    def median_first_response_hours(self) -> float | None:
        return median(self.first_response_hours)

    @property
    def p95_first_response_hours(self) -> float | None:
        return percentile(self.first_response_hours, 95)

    @property
    def median_decision_hours(self) -> float | None:
        return median(self.decision_hours)

    @property
    def p95_decision_hours(self) -> float | None:
        return percentile(self.decision_hours, 95)


@dataclass(frozen=True)
class PromiseRecord:
    """How many promises have come due since `since`, and how many of them were met."""

    since: datetime
    due: int
    met: int
    # Of `due`, those whose date has passed (the rest were answered before their date came).
    # A promise answered early is kept, but only promises whose date has come tell whether
    # dates are kept: after a mass close-out every promise is "answered", none came due.
    came_due: int = 0
    # Promises not counted in `due`: their date has not come and there was no news yet.
    still_open: int = 0

    @property
    def rate(self) -> float | None:
        return self.met / self.due if self.due else None


@dataclass(frozen=True)
class WeekPoint:
    week_start: datetime
    finished: int
    heard_back: int
    received: int
    median_decision_hours: float | None

    @property
    def hear_back_rate(self) -> float | None:
        return self.heard_back / self.finished if self.finished else None


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: list[float], pct: int) -> float | None:
    """Nearest-rank percentile: a value that really occurred, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def scoped_applications(
    *, org: Org, job_id: int | None = None, owner: Member | None = None
) -> QuerySet[Application]:
    applications = Application.objects.filter(org=org)
    if job_id is not None:
        applications = applications.filter(job_id=job_id)
    if owner is not None:
        applications = applications.filter(job__owner=owner)
    return applications


def _final_sent() -> Exists:
    return Exists(
        Message.objects.filter(
            application_id=OuterRef("pk"),
            org_id=OuterRef("org_id"),
            final=True,
            status=MessageStatus.SENT,
        )
    )


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def hear_back_metrics(
    *, org: Org, now: datetime, job_id: int | None = None, owner: Member | None = None
) -> Metrics:
    applications = scoped_applications(org=org, job_id=job_id, owner=owner)
    metrics = Metrics()
    metrics.applications = applications.count()
    active = applications.filter(status=ApplicationStatus.ACTIVE)
    metrics.active = active.count()
    finished = applications.filter(status__in=FINISHED)
    metrics.finished = finished.count()
    metrics.heard_back = finished.filter(_final_sent()).count()
    metrics.overdue_now = active.filter(respond_by__lt=now).count()
    oldest_contact = active.aggregate(
        contact=Min("last_contacted_at"),
        created=Min("created_at", filter=Q(last_contacted_at=None)),
    )
    moments = [m for m in oldest_contact.values() if m is not None]
    metrics.longest_silence = now - min(moments) if moments else None
    metrics.decision_hours = [
        _hours(decided - created)
        for created, decided in applications.filter(
            status__in=DECIDED, decided_at__isnull=False
        ).values_list("created_at", "decided_at")
        if decided is not None  # always, given the filter: narrows the nullable column
    ]
    first_messages = (
        Message.objects.filter(org_id=org.pk, application_id__in=applications.values("pk"))
        .exclude(kind="acknowledgement")
        .exclude(status=MessageStatus.CANCELLED)
        .values("application_id")
        .annotate(first=Min("created_at"))
    )
    created = dict(applications.values_list("pk", "created_at"))
    metrics.first_response_hours = [
        _hours(row["first"] - created[row["application_id"]])
        for row in first_messages
        if row["application_id"] in created
    ]
    promises = promises_met(org=org, now=now, job_id=job_id, owner=owner)
    metrics.promises_due, metrics.promises_met = promises.due, promises.met
    return metrics


def promises_met(
    *, org: Org, now: datetime, job_id: int | None = None, owner: Member | None = None
) -> PromiseRecord:
    """Promises met on time, as things stood at `now` (see the module docstring): the one
    definition behind the dashboard and the public report card."""
    since = now - PROMISE_WINDOW
    applications = scoped_applications(org=org, job_id=job_id, owner=owner).filter(
        created_at__gte=since
    )
    due, met, came_due, still_open = _judge_promises(org=org, applications=applications, now=now)
    return PromiseRecord(since=since, due=due, met=met, came_due=came_due, still_open=still_open)


def _judge_promises(
    *, org: Org, applications: QuerySet[Application], now: datetime
) -> tuple[int, int, int, int]:
    """(promises judged: answered or past their date; met; past their date; still open),
    replaying each history."""
    rows = list(applications.values("pk", "job__pipeline_id", "decided_at", "candidate__time_zone"))
    if not rows:
        return 0, 0, 0, 0
    ids = applications.values("pk")  # a subquery: no parameter limits, however many
    promise_days: dict[tuple[int, str], int] = {}
    first_stage_days: dict[int, int] = {}
    pipelines = {row["job__pipeline_id"] for row in rows}
    for stage in Stage.objects.filter(org=org, pipeline_id__in=pipelines).order_by("position"):
        promise_days[(stage.pipeline_id, stage.name)] = stage.promise_business_days or 1
        first_stage_days.setdefault(stage.pipeline_id, stage.promise_business_days or 1)
    news: dict[int, list[datetime]] = defaultdict(list)
    starts: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    by_pk = {row["pk"]: row for row in rows}
    for app_id, kind, data, at in (
        Event.objects.filter(org=org, application_id__in=ids)
        .exclude(kind__in=NOT_NEWS)
        .values_list("application_id", "kind", "data", "created_at")
    ):
        if kind in PROMISE_STARTS:
            pipeline = by_pk[app_id]["job__pipeline_id"]
            if kind == EventKind.APPLIED:
                days = first_stage_days.get(pipeline, 5)
            else:
                days = promise_days.get((pipeline, (data or {}).get("to", "")), 5)
            starts[app_id].append((at, days))
        news[app_id].append(at)
    for message_app_id, at in (
        Message.objects.filter(org_id=org.pk, application_id__in=ids)
        .exclude(status=MessageStatus.CANCELLED)
        .values_list("application_id", "created_at")
    ):
        if message_app_id is not None:  # always, given the filter: narrows the nullable column
            news[message_app_id].append(at)
    due = met = came_due = still_open = 0
    for app_id, promises in starts.items():
        row = by_pk[app_id]
        later = news[app_id] + ([row["decided_at"]] if row["decided_at"] else [])
        later = sorted(t for t in later if t <= now)  # as things stood at `now`
        for start, days in promises:
            if start > now:
                continue
            deadline = deadline_after(
                start,
                days,
                time_zone=row["candidate__time_zone"],
                country=org.country,
                subdivision=org.subdivision,
            )
            answered = next((t for t in later if t > start + SAME_MOMENT), None)
            if answered is None and deadline > now:
                still_open += 1
                continue
            due += 1
            if deadline <= now:
                came_due += 1
            if answered is not None and answered <= deadline:
                met += 1
    return due, met, came_due, still_open


def weekly_series(
    *,
    org: Org,
    now: datetime,
    weeks: int = 12,
    job_id: int | None = None,
    owner: Member | None = None,
) -> list[WeekPoint]:
    """Week by week (Monday to Sunday, UTC), oldest first."""
    this_monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    start = this_monday - timedelta(weeks=weeks - 1)
    applications = scoped_applications(org=org, job_id=job_id, owner=owner)
    buckets: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for decided, status, sent, created in (
        applications.filter(status__in=FINISHED, decided_at__gte=start)
        .annotate(sent=_final_sent())
        .values_list("decided_at", "status", "sent", "created_at")
    ):
        if decided is None:  # never, given the filter: narrows the nullable column
            continue
        week = (decided - start).days // 7
        buckets[week]["finished"].append(sent)
        if status in DECIDED:
            buckets[week]["decision"].append(_hours(decided - created))
    for (created,) in applications.filter(created_at__gte=start).values_list("created_at"):
        buckets[(created - start).days // 7]["received"].append(1)
    return [
        WeekPoint(
            week_start=start + timedelta(weeks=n),
            finished=len(buckets[n]["finished"]),
            heard_back=sum(1 for sent in buckets[n]["finished"] if sent),
            received=len(buckets[n]["received"]),
            median_decision_hours=median(buckets[n]["decision"]),
        )
        for n in range(weeks)
    ]


def needs_action_today(
    *, applications: QuerySet[Application], now: datetime, org: Org, limit: int = 50
) -> list[Application]:
    """Active applications whose respond-by is past or falls before the end of today
    (in the org's time zone), most overdue first: who needs to act today."""
    from heardback.clock.business import zone

    local = now.astimezone(zone(org.time_zone))
    end_of_day = local.replace(hour=23, minute=59, second=59)
    return list(
        applications.filter(status=ApplicationStatus.ACTIVE, respond_by__lte=end_of_day)
        .select_related("candidate", "job__owner__user", "stage")
        .order_by("respond_by")[:limit]
    )
