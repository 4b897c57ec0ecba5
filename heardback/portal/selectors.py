"""Reads for the candidate's side, each scoped to one org or one application.

`report_card()` is written so the console dashboard can reuse it: same definitions as the
dashboard's metrics (see below), restricted to the last 12 months, and with numbers withheld
when there are too few finished applications to publish without pointing at a person.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import router
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from heardback.clock.business import deadline_after, zone
from heardback.hiring.messages import LONG_DATE, format_respond_by
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    CoarseStage,
    Event,
    Job,
    JobStatus,
    Org,
    Stage,
)
from heardback.messaging.models import Message, MessageStatus
from heardback.portal.models import ReportCardSetting, SurveyInvitation, SurveyResponse
from heardback.portal.prepared import Prepared

# --- job board ----------------------------------------------------------------------------


def open_jobs(*, org: Org) -> QuerySet[Job]:
    return Job.objects.filter(org=org, status=JobStatus.OPEN).order_by("title", "id")


def open_job(*, org: Org, slug: str) -> Job | None:
    return open_jobs(org=org).filter(slug=slug).select_related("org").first()


# --- the status page ----------------------------------------------------------------------

STAGE_ORDER = [
    CoarseStage.RECEIVED,
    CoarseStage.IN_REVIEW,
    CoarseStage.INTERVIEW,
    CoarseStage.OFFER,
    CoarseStage.CLOSED,
]
# Translatable labels for the progress line (the model's labels are for the console).
STAGE_LABELS = {
    CoarseStage.RECEIVED: _("Received"),
    CoarseStage.IN_REVIEW: _("In review"),
    CoarseStage.INTERVIEW: _("Interview"),
    CoarseStage.OFFER: _("Offer"),
    CoarseStage.CLOSED: _("Closed"),
}
NEXT_STEPS = {
    CoarseStage.RECEIVED: _(
        "Your application has arrived. A person on the hiring team will read it and decide "
        "on the next step."
    ),
    CoarseStage.IN_REVIEW: _(
        "The team is reviewing your application and deciding whether to invite you to an interview."
    ),
    CoarseStage.INTERVIEW: _(
        "You are in the interview stage. The team will contact you to arrange the next "
        "conversation or to tell you how it went."
    ),
    CoarseStage.OFFER: _("We are preparing an offer and will send you the details."),
}
OUTCOMES = {
    ApplicationStatus.DECLINED: _(
        "This application is closed. Our decision and the reason are in the messages below."
    ),
    ApplicationStatus.WITHDRAWN: _(
        "You withdrew this application. Nothing more will happen with it, and we will not "
        "contact you about it again."
    ),
    ApplicationStatus.HIRED: _(
        "Welcome aboard! Your recruiter will be in touch about your first days."
    ),
}
VISIBLE_MESSAGES = (MessageStatus.SENT, MessageStatus.QUEUED, MessageStatus.SENDING)


@dataclass(frozen=True)
class Step:
    code: str
    label: str
    state: str  # "done", "current", "upcoming" or "skipped"


@dataclass
class StatusView:
    application: Application
    org_name: str
    job_title: str
    status: str
    stage: str
    stage_label: str
    steps: list[Step]
    next_step: str
    respond_by: datetime | None
    respond_by_short: str
    respond_by_long: str
    messages: list[Message]
    is_active: bool
    opted_out: bool
    unreachable: bool
    survey_open: bool
    survey_answered: bool
    extra: dict[str, Any] = field(default_factory=dict)


# How each language writes a full date ("Monday, 7 December 2026").


def long_date(moment: datetime | None, *, time_zone: str, language: str) -> str:
    if moment is None:
        return ""
    with translation.override(language):
        return formats.date_format(
            moment.astimezone(zone(time_zone)), LONG_DATE.get(language, LONG_DATE["en"])
        )


def reached_stages(*, application: Application) -> set[str]:
    """The coarse stages an application has been through.

    Pipelines run forward, so these are the stages up to the one it is (or ended) in. Cheap
    on purpose: the status page is the most requested page there is.
    """
    order = STAGE_ORDER.index(CoarseStage(application.stage.coarse_stage))
    return set(STAGE_ORDER[: order + 1])


# What the page, its JSON and the calendar feed read of each message. Compiled once per
# connection (see prepared.py): the page is the most requested page there is.
_SHOWN = {"id", "subject", "body_text", "created_at", "sent_at", "kind", "status"}
# In the model's field order: `Model.from_db` fills the fields it is given in that order.
MESSAGE_FIELDS = tuple(f.attname for f in Message._meta.concrete_fields if f.attname in _SHOWN)
_MESSAGES = Prepared(
    Message,
    lambda org_id, application_id: (
        Message.objects.filter(
            org_id=org_id, application_id=application_id, status__in=VISIBLE_MESSAGES
        )
        .order_by("created_at", "id")
        .values_list(*MESSAGE_FIELDS)
    ),
    # Q sorts keyword lookups by name: application_id, org_id, status__in.
    lambda org_id, application_id: [application_id, org_id, *VISIBLE_MESSAGES],
    probe=[1, 2],
)


def _visible_messages(application: Application) -> list[Message]:
    """The candidate's visible messages, oldest first, as (deferred) Message instances."""
    alias = router.db_for_read(Message)
    return [
        Message.from_db(alias, MESSAGE_FIELDS, row)
        for row in _MESSAGES.rows(application.org_id, application.pk)
    ]


def status_view(*, application: Application) -> StatusView:
    """Everything the status page, its JSON and its calendar feed show."""
    candidate = application.candidate
    active = application.is_active
    current = application.stage.coarse_stage if active else CoarseStage.CLOSED
    reached = reached_stages(application=application)
    steps: list[Step] = []
    seen_current = False
    for code in STAGE_ORDER:
        if code == current:
            state, seen_current = "current", True
        elif seen_current:
            state = "upcoming"
        elif code in reached:
            state = "done"
        else:
            state = "skipped" if not active else "done"
        steps.append(Step(code=code, label=str(STAGE_LABELS[code]), state=state))
    short, _hiring_long = format_respond_by(
        application.respond_by if active else None,
        time_zone=candidate.time_zone,
        language=candidate.language,
    )
    long = long_date(
        application.respond_by if active else None,
        time_zone=candidate.time_zone,
        language=candidate.language,
    )
    messages = _visible_messages(application)
    # Invitations only exist once an application has ended: no query while it is active.
    invitation = (
        None
        if active
        else SurveyInvitation.objects.filter(
            org_id=application.org_id, application=application
        ).first()
    )
    answered = (
        invitation is not None
        and SurveyResponse.objects.filter(org_id=application.org_id, invitation=invitation).exists()
    )
    return StatusView(
        application=application,
        org_name=application.org.name,
        job_title=application.job.title,
        status=application.status,
        stage=current,
        stage_label=str(STAGE_LABELS[current]),
        steps=steps,
        next_step=str(NEXT_STEPS[current] if active else OUTCOMES[application.status]),
        respond_by=application.respond_by if active else None,
        respond_by_short=short,
        respond_by_long=long,
        messages=messages,
        is_active=active,
        opted_out=candidate.progress_updates_opt_out,
        unreachable=candidate.unreachable_since is not None,
        survey_open=invitation is not None and not answered,
        survey_answered=answered,
    )


# --- the public report card ---------------------------------------------------------------
#
# Definitions (identical to the console dashboard's):
# - Finished applications: declined, hired or withdrawn.
# - Hear-back rate: the share of finished applications whose final message was sent.
# - Promises met on time: each respond-by date given (on applying and on every stage change)
#   is a promise; it is met when the candidate's next news (a message, a stage change or the
#   decision) came by that date, missed when it came later or the date passed with nothing.
#   Promises still open are not counted; news within a minute of the promise is the promise.
# - Time to decision: from applying to being declined or hired (median, in days).
# The window is applications received in the last 12 months.

MIN_FINISHED = 10
WINDOW = timedelta(days=365)
FINISHED = (ApplicationStatus.DECLINED, ApplicationStatus.HIRED, ApplicationStatus.WITHDRAWN)
DECIDED = (ApplicationStatus.DECLINED, ApplicationStatus.HIRED)
SAME_MOMENT = timedelta(seconds=60)


@dataclass(frozen=True)
class ReportCard:
    org: Org
    since: datetime
    finished: int
    enough_data: bool
    hear_back_rate: float | None
    promises_due: int
    promises_met_rate: float | None
    median_decision_days: float | None


def is_public(*, org: Org) -> bool:
    return ReportCardSetting.objects.filter(org=org, public=True).exists()


def _final_sent() -> Exists:
    return Exists(
        Message.objects.filter(
            org_id=OuterRef("org_id"),
            application_id=OuterRef("pk"),
            final=True,
            status=MessageStatus.SENT,
        )
    )


def promises_kept(
    *, org: Org, applications: QuerySet[Application], now: datetime
) -> tuple[int, int]:
    """(promises whose date has come, how many of them were met by then)."""
    rows = {
        row["pk"]: row
        for row in applications.values(
            "pk", "job__pipeline_id", "decided_at", "candidate__time_zone"
        )
    }
    if not rows:
        return 0, 0
    days_by_stage: dict[tuple[int, str], int] = {}
    first_days: dict[int, int] = {}
    pipelines = {row["job__pipeline_id"] for row in rows.values()}
    for stage in Stage.objects.filter(org=org, pipeline_id__in=pipelines).order_by("position"):
        days = stage.promise_business_days or 1
        days_by_stage[(stage.pipeline_id, stage.name)] = days
        first_days.setdefault(stage.pipeline_id, days)
    promises: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    news: dict[int, list[datetime]] = defaultdict(list)
    for app_id, kind, data, at in (
        Event.objects.filter(org=org, application_id__in=rows.keys())
        .exclude(kind="note")
        .values_list("application_id", "kind", "data", "created_at")
    ):
        pipeline = rows[app_id]["job__pipeline_id"]
        if kind == "applied":
            promises[app_id].append((at, first_days.get(pipeline, 5)))
        elif kind == "stage_changed":
            promises[app_id].append((at, days_by_stage.get((pipeline, (data or {}).get("to")), 5)))
        news[app_id].append(at)
    for app_id, at in (
        Message.objects.filter(org_id=org.pk, application_id__in=rows.keys())
        .exclude(status=MessageStatus.CANCELLED)
        .values_list("application_id", "created_at")
    ):
        news[app_id].append(at)
    due = met = 0
    for app_id, given in promises.items():
        row = rows[app_id]
        later = sorted(news[app_id] + ([row["decided_at"]] if row["decided_at"] else []))
        for start, days in given:
            deadline = deadline_after(
                start,
                days,
                time_zone=row["candidate__time_zone"],
                country=org.country,
                subdivision=org.subdivision,
            )
            answer = next((t for t in later if t > start + SAME_MOMENT), None)
            if answer is None and deadline > now:
                continue
            due += 1
            if answer is not None and answer <= deadline:
                met += 1
    return due, met


def report_card(*, org: Org, now: datetime) -> ReportCard:
    """The last 12 months of an org's record with candidates (see the definitions above)."""
    since = now - WINDOW
    applications = Application.objects.filter(org=org, created_at__gte=since)
    finished = applications.filter(status__in=FINISHED)
    counts = finished.aggregate(total=Count("pk"), heard=Count("pk", filter=Q(_final_sent())))
    total = counts["total"]
    enough = total >= MIN_FINISHED
    if not enough:
        return ReportCard(
            org=org,
            since=since,
            finished=total,
            enough_data=False,
            hear_back_rate=None,
            promises_due=0,
            promises_met_rate=None,
            median_decision_days=None,
        )
    due, met = promises_kept(org=org, applications=applications, now=now)
    decision_days = [
        (decided - created).total_seconds() / 86400
        for created, decided in applications.filter(
            status__in=DECIDED, decided_at__isnull=False
        ).values_list("created_at", "decided_at")
    ]
    return ReportCard(
        org=org,
        since=since,
        finished=total,
        enough_data=True,
        hear_back_rate=counts["heard"] / total,
        promises_due=due,
        promises_met_rate=met / due if due else None,
        median_decision_days=statistics.median(decision_days) if decision_days else None,
    )


# --- survey results (for the console dashboard) -------------------------------------------


@dataclass(frozen=True)
class SurveySummary:
    invited: int
    answered: int
    kept_promises: dict[str, int]
    average_clarity: float | None
    average_respect: float | None
    nps: int | None  # promoters% - detractors%, or None below MIN_FINISHED answers


def survey_summary(*, org: Org, since: datetime) -> SurveySummary:
    """Survey results for the dashboard, withheld (None) below MIN_FINISHED answers."""
    invited = SurveyInvitation.objects.filter(org=org, created_at__gte=since).count()
    responses = SurveyResponse.objects.filter(org=org, invitation__created_at__gte=since)
    answered = responses.count()
    kept = {value: 0 for value in ("yes", "mostly", "no")}
    for value, n in responses.values_list("kept_promises").annotate(n=Count("pk")):
        kept[value] = n
    if answered < MIN_FINISHED:
        return SurveySummary(
            invited=invited,
            answered=answered,
            kept_promises=kept,
            average_clarity=None,
            average_respect=None,
            nps=None,
        )
    averages = responses.aggregate(clarity=Avg("clarity"), respect=Avg("treated_with_respect"))
    promoters = responses.filter(nps__gte=9).count()
    detractors = responses.filter(nps__lte=6).count()
    return SurveySummary(
        invited=invited,
        answered=answered,
        kept_promises=kept,
        average_clarity=averages["clarity"],
        average_respect=averages["respect"],
        nps=round(100 * (promoters - detractors) / answered),
    )
