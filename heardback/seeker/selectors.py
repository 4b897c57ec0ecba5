"""Reads for the job-seeker companion, always scoped to one seeker."""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from heardback.clock.business import zone

from . import cadence, warnings
from .models import (
    FollowUp,
    Interview,
    JobApplication,
    MailAccount,
    MailProposal,
    Note,
    ProposalState,
    SavedJob,
    SeekerProfile,
    Status,
)
from .services import CSV_COLUMNS, hash_token, local_today

__all__ = ["local_today"]

# Published context for the ghost rate: 43% (the seed's survey) to 61% (Greenhouse, 2024).
PUBLISHED_GHOST_RATE = (43, 61)


def profile_for(user: Any) -> SeekerProfile | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return SeekerProfile.objects.filter(user=user).first()


def profile_by_calendar_token(token: str) -> SeekerProfile | None:
    if not token or len(token) > 100:
        return None
    return (
        SeekerProfile.objects.select_related("user")
        .filter(calendar_token_hash=hash_token(token))
        .first()
    )


def applications(*, owner: Any, status: str = "") -> QuerySet[JobApplication]:
    qs = JobApplication.objects.filter(owner=owner)
    if status:
        qs = qs.filter(status=status)
    return qs


def application(*, owner: Any, application_id: int) -> JobApplication:
    return get_object_or_404(JobApplication.objects.filter(owner=owner), pk=application_id)


def interview(*, owner: Any, interview_id: int) -> Interview:
    return get_object_or_404(
        Interview.objects.select_related("application").filter(application__owner=owner),
        pk=interview_id,
    )


def follow_up(*, owner: Any, follow_up_id: int) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.select_related("application").filter(application__owner=owner),
        pk=follow_up_id,
    )


def board(*, owner: Any) -> list[tuple[str, str, list[JobApplication]]]:
    by_status: dict[str, list[JobApplication]] = defaultdict(list)
    for app in applications(owner=owner):
        by_status[app.status].append(app)
    return [(value, label, by_status.get(value, [])) for value, label in Status.choices]


def _with_children(qs: QuerySet[JobApplication]) -> QuerySet[JobApplication]:
    return qs.prefetch_related(
        Prefetch("interviews", queryset=Interview.objects.order_by("-held_on", "-id")),
        Prefetch("follow_ups", queryset=FollowUp.objects.order_by("number", "id")),
    )


def plan_for(*, profile: SeekerProfile, app: JobApplication, today: date) -> cadence.Plan:
    interviews = list(app.interviews.all())
    interviews.sort(key=lambda i: (i.held_on, i.pk), reverse=True)
    round_follow_ups = [f for f in app.follow_ups.all() if f.round == app.news_round]
    round_follow_ups.sort(key=lambda f: f.number)
    return cadence.plan(
        application=app, interviews=interviews, follow_ups=round_follow_ups, today=today,
        time_zone=zone(profile.time_zone), country=profile.country,
        subdivision=profile.subdivision,
    )  # fmt: skip


def all_reminders(*, profile: SeekerProfile, today: date) -> list[cadence.Reminder]:
    found: list[cadence.Reminder] = []
    open_apps = _with_children(
        applications(owner=profile.user).filter(status__in=[Status.APPLIED, Status.INTERVIEWING])
    )
    for app in open_apps:
        found.extend(plan_for(profile=profile, app=app, today=today).reminders)
    found.sort(key=lambda r: (r.due_on, r.application_id))
    return found


@dataclass
class Today:
    today: date
    thank_yous: list[cadence.Reminder] = field(default_factory=list)
    follow_ups: list[cadence.Reminder] = field(default_factory=list)
    promises: list[cadence.Reminder] = field(default_factory=list)
    to_close: list[cadence.Reminder] = field(default_factory=list)
    coming_up: list[cadence.Reminder] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.thank_yous) + len(self.follow_ups) + len(self.promises) + len(self.to_close)


def needs_today(*, profile: SeekerProfile, today: date | None = None) -> Today:
    today = today or local_today(profile)
    result = Today(today=today)
    sections = {"thank_you": result.thank_yous, "follow_up": result.follow_ups,
                "promise": result.promises, "close": result.to_close}  # fmt: skip
    for reminder in all_reminders(profile=profile, today=today):
        if reminder.is_due(today):
            sections[reminder.kind].append(reminder)
        elif today < reminder.due_on <= today + timedelta(days=7):
            result.coming_up.append(reminder)
    return result


def warnings_for(*, app: JobApplication, plan: cadence.Plan | None = None) -> list[Any]:
    found: list[Any] = []
    for item in app.interviews.all():
        found += warnings.scan(item.notes, source=f"interview notes, {item.held_on:%d %b}")
        found += warnings.scan(item.next_steps, source=f"next steps, {item.held_on:%d %b}")
    for note in Note.objects.filter(application=app):
        found += warnings.scan(note.text, source=f"pasted {note.created_at:%d %b}")
    if plan is not None and plan.promise_missed and plan.promise_on is not None:
        found.append(
            warnings.Warning(
                id="missed_promise",
                quote=f"promised by {plan.promise_on:%a} {plan.promise_on.day}"
                f" {plan.promise_on:%b}",
                why="A missed promised date is a common sign too; sometimes it's only a busy week.",
                source="the promised date",
            )
        )
    return found


# --- Stats --------------------------------------------------------------------------------


@dataclass
class SourceStats:
    source: str
    applications: int
    responses: int
    ghosted: int

    @property
    def response_rate(self) -> int | None:
        return round(100 * self.responses / self.applications) if self.applications else None


@dataclass
class Stats:
    applications: int
    responses: int
    interviewed: int
    finished_after_interview: int
    ghosted_after_interview: int
    median_days_to_first_response: float | None
    by_source: list[SourceStats]
    published_ghost_rate: tuple[int, int] = PUBLISHED_GHOST_RATE

    @property
    def response_rate(self) -> int | None:
        return round(100 * self.responses / self.applications) if self.applications else None

    @property
    def ghost_rate(self) -> int | None:
        """Of the interview processes that have ended (an answer, or silence), the share that
        ended in silence: the surveys' question. Open ones and withdrawals don't count."""
        if not self.finished_after_interview:
            return None
        return round(100 * self.ghosted_after_interview / self.finished_after_interview)


def stats(*, owner: Any) -> Stats:
    apps = list(applications(owner=owner).prefetch_related("interviews"))
    responded = [a for a in apps if a.first_response_on is not None]
    interviewed = [a for a in apps if a.interviews.all()]
    ghosted = [a for a in interviewed if a.status == Status.GHOSTED]
    ended = {Status.OFFER, Status.REJECTED, Status.ACCEPTED, Status.GHOSTED}
    finished = [a for a in interviewed if a.status in ended]
    waits = [(a.first_response_on - a.applied_on).days for a in responded]  # type: ignore[operator]
    per_source: dict[str, SourceStats] = {}
    for app in apps:
        key = app.source or "(not recorded)"
        entry = per_source.setdefault(key, SourceStats(key, 0, 0, 0))
        entry.applications += 1
        entry.responses += app.first_response_on is not None
        entry.ghosted += app.status == Status.GHOSTED
    return Stats(
        applications=len(apps),
        responses=len(responded),
        interviewed=len(interviewed),
        finished_after_interview=len(finished),
        ghosted_after_interview=len(ghosted),
        median_days_to_first_response=statistics.median(waits) if waits else None,
        by_source=sorted(per_source.values(), key=lambda s: (-s.applications, s.source)),
    )


# --- CSV export ---------------------------------------------------------------------------


def _safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in {"=", "+", "-", "@"} else text


def export_csv(*, owner: Any) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for app in applications(owner=owner).order_by("applied_on", "id"):
        writer.writerow([_safe_cell(getattr(app, column)) for column in CSV_COLUMNS])
    return out.getvalue()


def pending_proposals(*, owner: Any) -> QuerySet[MailProposal]:
    return (
        MailProposal.objects.filter(owner=owner, state=ProposalState.PENDING)
        .select_related("application")
        .order_by("received_on", "id")
    )


def mail_account(*, owner: Any) -> MailAccount | None:
    return MailAccount.objects.filter(owner=owner).first()


def profile_by_bookmarklet_token(token: str) -> SeekerProfile | None:
    if not token or len(token) > 100:
        return None
    return (
        SeekerProfile.objects.select_related("user")
        .filter(bookmarklet_token_hash=hash_token(token))
        .first()
    )


def saved_jobs(*, owner: Any) -> QuerySet[SavedJob]:
    return SavedJob.objects.filter(owner=owner).select_related("application")
