"""Reads for the candidate's side, each scoped to one org or one application.

`report_card()` uses the dashboard's definitions (see below) over the last 12 months, with
numbers withheld when there are too few finished applications to publish without pointing at
a person. Promises met on time is not computed here at all: it is
`reporting.selectors.promises_met()`, the number the dashboard shows.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import router
from django.db.models import Avg, Count, Exists, Min, OuterRef, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from heardback.clock import dates
from heardback.hiring.messages import format_respond_by
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    CoarseStage,
    Job,
    JobStatus,
    Org,
)
from heardback.messaging.models import Message, MessageStatus
from heardback.portal.models import ReportCardSetting, SurveyInvitation, SurveyResponse
from heardback.portal.prepared import Prepared
from heardback.postings import selectors as postings
from heardback.reporting import selectors as reporting

# --- job board ----------------------------------------------------------------------------


def open_jobs(*, org: Org) -> QuerySet[Job]:
    return Job.objects.filter(org=org, status=JobStatus.OPEN).order_by("title", "id")


def listed_jobs(*, org: Org) -> list[Job]:
    """The job board: open jobs, less those whose posting rules want a published version
    first (postings.selectors.may_be_shown)."""
    return postings.shown_of(list(open_jobs(org=org).select_related("org")), org_id=org.pk)


def open_job(*, org: Org, slug: str) -> Job | None:
    job = open_jobs(org=org).filter(slug=slug).select_related("org").first()
    return job if job is not None and postings.may_be_shown(job) else None


def job_by_slug(*, org: Org, slug: str) -> Job | None:
    """Any job of the org with this slug, open or not (to say a closed one is closed)."""
    return Job.objects.filter(org=org, slug=slug).order_by("-id").first()


# --- the status page ----------------------------------------------------------------------

STAGE_ORDER = [
    CoarseStage.RECEIVED,
    CoarseStage.IN_REVIEW,
    CoarseStage.INTERVIEW,
    CoarseStage.OFFER,
    CoarseStage.CLOSED,
]
# Translatable labels for the progress line (the model's labels are for the console).
STAGE_LABELS: dict[str, Promise] = {
    CoarseStage.RECEIVED: _("Received"),
    CoarseStage.IN_REVIEW: _("In review"),
    CoarseStage.INTERVIEW: _("Interview"),
    CoarseStage.OFFER: _("Offer"),
    CoarseStage.CLOSED: _("Closed"),
}
NEXT_STEPS: dict[str, Promise] = {
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
OUTCOMES: dict[str, Promise] = {
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
    show_details: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


# How each language writes a full date ("Monday, 7 December 2026").


def long_date(moment: datetime | None, *, time_zone: str, language: str) -> str:
    return dates.format(moment, "long", language=language, time_zone=time_zone)


@lru_cache(maxsize=4096)
def _respond_by_texts(moment: datetime | None, time_zone: str, language: str) -> tuple[str, str]:
    """The short and long forms of a promised date (the long one is `long_date`'s).

    Remembered: every view of a page shows the same date, and formatting one costs more
    than all of the page's queries' Python work together.
    """
    return format_respond_by(moment, time_zone=time_zone, language=language)


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
    short, long = _respond_by_texts(
        application.respond_by if active else None, candidate.time_zone, candidate.language
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
        # Contact details matter while we may still write: not after a withdrawal, and after
        # any other end only if our last email bounced (the final one may need resending).
        show_details=active
        or (
            application.status != ApplicationStatus.WITHDRAWN
            and candidate.unreachable_since is not None
        ),
    )


# --- the public report card ---------------------------------------------------------------
#
# Definitions (the console dashboard's):
# - Finished applications: declined, hired or withdrawn.
# - Hear-back rate: the share of finished applications whose final message was sent.
# - Promises met on time: `reporting.selectors.promises_met()`, the dashboard's own number.
# - Time to decision: from applying to being declined or hired (median, in days).
# The window is applications received in the last 12 months.
#
# A figure can't mislead (docs/portal.md, "The report card can't mislead"): each is shown
# only when enough of what it measures exists, over a long enough period, each with its
# period and counts under it, and whatever is not counted is said, with why. Right after a
# mass close-out the card showed "100% heard back, 100% promises kept, median decision 0.0
# days" though no promise had come due: now the promises figure needs promises whose date
# has come (`REPORT_CARD_MIN_PROMISES_DUE`), decisions made by closing a job are not counted
# as decisions about people (and the card says how many), and nothing is shown before the
# record spans `REPORT_CARD_MIN_DAYS`. The thresholds are settings.

MIN_FINISHED = settings.REPORT_CARD_MIN_FINISHED
# The promises number's window, so the whole card covers the same applications.
WINDOW = reporting.PROMISE_WINDOW
FINISHED = (ApplicationStatus.DECLINED, ApplicationStatus.HIRED, ApplicationStatus.WITHDRAWN)
DECIDED = (ApplicationStatus.DECLINED, ApplicationStatus.HIRED)


@dataclass(frozen=True)
class ReportCard:
    org: Org
    since: datetime  # the window's start
    now: datetime
    first_received: datetime | None  # the record starts here: the oldest application counted
    finished: int
    enough_data: bool  # the hear-back figure is shown (the badge's number)
    hear_back_rate: float | None
    promises_due: int
    promises_met_rate: float | None
    median_decision_days: float | None
    heard_back: int = 0
    promises_met: int = 0
    promises_came_due: int = 0
    promises_still_open: int = 0
    decisions: int = 0
    closed_out: int = 0  # ended by closing the job: not counted as decisions
    withdrawn: int = 0
    show_hear_back: bool = False
    show_promises: bool = False
    show_decision: bool = False
    thresholds: dict[str, int] = field(default_factory=dict)

    @property
    def record_days(self) -> int:
        return (self.now - self.first_received).days if self.first_received else 0

    @property
    def long_enough(self) -> bool:
        return self.record_days >= self.thresholds.get("days", 0)


def thresholds() -> dict[str, int]:
    return {
        "finished": settings.REPORT_CARD_MIN_FINISHED,
        "promises": settings.REPORT_CARD_MIN_PROMISES_DUE,
        "decisions": settings.REPORT_CARD_MIN_DECISIONS,
        "days": settings.REPORT_CARD_MIN_DAYS,
    }


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


def report_card(*, org: Org, now: datetime) -> ReportCard:
    """The last 12 months of an org's record with candidates (see the definitions above),
    each figure withheld until it can't mislead."""
    since = now - WINDOW
    limits = thresholds()
    applications = Application.objects.filter(org=org, created_at__gte=since)
    finished = applications.filter(status__in=FINISHED)
    counts = finished.aggregate(
        total=Count("pk"),
        heard=Count("pk", filter=Q(_final_sent())),
        withdrawn=Count("pk", filter=Q(status=ApplicationStatus.WITHDRAWN)),
        closed_out=Count("pk", filter=Q(closed_out_by__isnull=False)),
    )
    first_received = applications.aggregate(first=Min("created_at"))["first"]
    total = counts["total"]
    long_enough = first_received is not None and (now - first_received).days >= limits["days"]
    show_hear_back = long_enough and total >= limits["finished"]
    if total < limits["finished"]:
        # Too few to show anything: nothing more is computed, and no figure can point at a
        # person.
        return ReportCard(
            org=org,
            since=since,
            now=now,
            first_received=first_received,
            finished=total,
            enough_data=False,
            hear_back_rate=None,
            promises_due=0,
            promises_met_rate=None,
            median_decision_days=None,
            thresholds=limits,
        )
    promises = reporting.promises_met(org=org, now=now)
    # Decisions about people: closing a job decides about nobody in particular, so the
    # applications it ended are not counted here (the card says how many).
    decision_days = [
        (decided - created).total_seconds() / 86400
        for created, decided in applications.filter(
            status__in=DECIDED, decided_at__isnull=False, closed_out_by__isnull=True
        ).values_list("created_at", "decided_at")
        if decided is not None  # always, given the filter: narrows the nullable column
    ]
    show_promises = long_enough and promises.came_due >= limits["promises"]
    show_decision = long_enough and len(decision_days) >= limits["decisions"]
    return ReportCard(
        org=org,
        since=since,
        now=now,
        first_received=first_received,
        finished=total,
        enough_data=show_hear_back,
        hear_back_rate=counts["heard"] / total if show_hear_back else None,
        promises_due=promises.due,
        promises_met_rate=promises.rate if show_promises else None,
        median_decision_days=statistics.median(decision_days) if show_decision else None,
        heard_back=counts["heard"],
        promises_met=promises.met,
        promises_came_due=promises.came_due,
        promises_still_open=promises.still_open,
        decisions=len(decision_days),
        closed_out=counts["closed_out"],
        withdrawn=counts["withdrawn"],
        show_hear_back=show_hear_back,
        show_promises=show_promises,
        show_decision=show_decision,
        thresholds=limits,
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
