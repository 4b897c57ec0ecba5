"""The engine's writes: policy, delayed declines, extensions, close-out and reopen."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q

from heardback import clock
from heardback.clock.business import add_business_days, deadline_after, zone
from heardback.hiring import messages
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    CoarseStage,
    DeclineReason,
    EventKind,
    Job,
    JobStatus,
    Member,
    Org,
    Stage,
)
from heardback.messaging.headers import single_line
from heardback.messaging.kinds import MessageKind
from heardback.messaging.models import Message, MessageStatus
from heardback.promises.models import CloseOut, OrgPolicy
from heardback.promises.policy import (
    EDITABLE_FIELDS,
    get_policy,
    policy_values,
    shortest_stage_promise,
    validate_policy,
)

__all__ = [
    "cancel_decline",
    "close_job",
    "close_out_preview",
    "extend_promise",
    "get_policy",
    "reopen_job",
    "schedule_decline",
    "set_on_hold",
    "update_job",
    "update_policy",
]


def _check_actor(actor: Member | None, org_id: int) -> None:
    if actor is not None and actor.org_id != org_id:
        raise PermissionDenied("That belongs to another organisation.")


def update_policy(*, org: Org, actor: Member, **fields: Any) -> OrgPolicy:
    _check_actor(actor, org.pk)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise HiringError(f"Unknown policy settings: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        policy = OrgPolicy.objects.select_for_update().get(pk=get_policy(org=org).pk)
        values = policy_values(policy) | fields
        validate_policy(values, shortest_promise=shortest_stage_promise(org=org))
        for name, value in fields.items():
            setattr(policy, name, value)
        policy.save()
        hiring.record_event(org=org, kind=EventKind.POLICY_CHANGED, actor=actor, data=fields)
    return policy


def _business_days_later(org: Org, start: datetime, days: int) -> datetime:
    """`days` business days after `start` in the org's calendar, at the same local time."""
    local = start.astimezone(zone(org.time_zone))
    day = add_business_days(local.date(), days, country=org.country, subdivision=org.subdivision)
    return datetime.combine(day, local.timetz())


def decline_send_at(application: Application, delay_business_days: int) -> datetime:
    """When a decline held for `delay_business_days` from now would be sent."""
    return _business_days_later(application.org, clock.now(), delay_business_days)


def schedule_decline(
    *,
    application: Application,
    reason: str,
    actor: Member | None,
    delay_business_days: int | None = None,
    subject: str = "",
    body: str = "",
) -> Application:
    """Decide now, tell soon: hold the decline for a bounded, cancellable delay.

    Until it is sent the application stays active, so the candidate's status page does not
    change before the message does. A delay of 0 declines and tells at once.
    """
    _check_actor(actor, application.org_id)
    policy = get_policy(org=application.org)
    delay = (
        policy.decline_delay_business_days if delay_business_days is None else delay_business_days
    )
    if not 0 <= delay <= 5:
        raise HiringError("A decline can be held for 0 to 5 business days.")
    if reason not in DeclineReason.values:
        raise HiringError("Choose a reason for the decline.")
    if subject or body:
        # Someone's own text: it must work for this candidate in any language, like a saved
        # template (the candidate would get the built-in text otherwise).
        messages.validate(
            subject=subject or str(messages.DECLINE_SUBJECT),
            body=body or messages.decline_body(reason),
        )
    if delay == 0:
        with transaction.atomic():
            # Same rule with or without a delay: a held decline is cancelled before another
            # decision replaces it, so its reason and text are never silently swapped.
            if hiring._lock(application).pending_decline_at is not None:
                raise HiringError("A decline is already scheduled; cancel it first to change it.")
            return hiring.decline(
                application=application, reason=reason, actor=actor, subject=subject, body=body
            )
    with transaction.atomic():
        application = hiring._lock(application)
        hiring._require_active(application)
        if application.pending_decline_at is not None:
            raise HiringError("A decline is already scheduled; cancel it first to change it.")
        application.pending_decline_at = decline_send_at(application, delay)
        application.pending_decline_reason = reason
        application.pending_decline_subject = subject
        application.pending_decline_body = body
        application.pending_decline_by = actor
        application.save()
        hiring.record_event(
            org=application.org,
            kind=EventKind.DECLINE_SCHEDULED,
            actor=actor,
            application=application,
            data={"reason": reason, "send_at": application.pending_decline_at.isoformat()},
        )
    return application


def cancel_decline(*, application: Application, actor: Member | None) -> Application:
    _check_actor(actor, application.org_id)
    with transaction.atomic():
        application = hiring._lock(application)
        if application.pending_decline_at is None or application.pending_hire:
            if application.status == ApplicationStatus.DECLINED:
                raise HiringError("The decline has already been sent; it can't be cancelled.")
            raise HiringError("There is no scheduled decline to cancel.")
        hiring.clear_pending_decline(application)
        application.save()
        hiring.record_event(
            org=application.org,
            kind=EventKind.DECLINE_CANCELLED,
            actor=actor,
            application=application,
        )
    return application


# --- hire with care: the decline's hold, for "Welcome aboard" ------------------------------

# Hiring is offered once a candidate has been interviewed: from an Interview or an Offer
# stage. Not from Received or In review, where a one-click hire was a slip of the mouse more
# often than a decision (and skipped every step the candidate was promised). An ATS that
# reports a hire is not held to this: it records what already happened (`hiring.hire`).
HIRE_STAGES = (CoarseStage.INTERVIEW, CoarseStage.OFFER)


def hire_refusal(application: Application) -> str:
    """Why `application` can't be hired from the console now, or "" if it can."""
    if not application.is_active:
        return f"This application is already {application.get_status_display().lower()}."
    if application.stage.coarse_stage not in HIRE_STAGES:
        return (
            "Hire from an interview or offer stage: move the candidate there first, so they "
            "hear about each step."
        )
    if application.pending_decline_at is not None:
        what = "hire" if application.pending_hire else "decline"
        return f"A {what} is already on hold; cancel it first to change it."
    if application.job.status in {JobStatus.CLOSED, JobStatus.FILLED}:
        return "This job is closed."
    return ""


def hire_send_at(hold_minutes: int) -> datetime:
    return clock.now() + timedelta(minutes=hold_minutes)


def schedule_hire(
    *, application: Application, actor: Member | None, hold_minutes: int | None = None
) -> Application:
    """Hire, and tell the candidate after a short hold that can be cancelled (0: at once).

    The hold is the decline's (`pending_decline_at`, sent by `send_due_declines`), marked as
    a hire: until it ends the application stays active and nothing is sent.
    """
    _check_actor(actor, application.org_id)
    hold = settings.HIRE_HOLD_MINUTES if hold_minutes is None else hold_minutes
    if not 0 <= hold <= 24 * 60:
        raise HiringError("A hire can be held for up to a day (0 to 1,440 minutes).")
    with transaction.atomic():
        application = hiring._lock(application)
        refusal = hire_refusal(application)
        if refusal:
            raise HiringError(refusal)
        if hold == 0:
            return hiring.hire(application=application, actor=actor)
        application.pending_decline_at = hire_send_at(hold)
        application.pending_hire = True
        application.pending_decline_by = actor
        application.save()
        hiring.record_event(
            org=application.org,
            kind=EventKind.HIRE_SCHEDULED,
            actor=actor,
            application=application,
            data={"send_at": application.pending_decline_at.isoformat()},
        )
    return application


def cancel_hire(*, application: Application, actor: Member | None) -> Application:
    """Take back a held hire before "Welcome aboard" goes: nothing is sent."""
    _check_actor(actor, application.org_id)
    with transaction.atomic():
        application = hiring._lock(application)
        if application.pending_decline_at is None or not application.pending_hire:
            if application.status == ApplicationStatus.HIRED:
                raise HiringError("The welcome has already been sent; it can't be cancelled.")
            raise HiringError("There is no hire on hold to cancel.")
        hiring.clear_pending_decline(application)
        application.save()
        hiring.record_event(
            org=application.org, kind=EventKind.HIRE_CANCELLED, actor=actor, application=application
        )
    return application


def send_pending_decline(*, application: Application) -> bool:
    """Carry out a held decline, or a held hire, whose time has come (or earlier, to keep
    max silence)."""
    with transaction.atomic():
        application = hiring._lock(application)
        if application.status != ApplicationStatus.ACTIVE or application.pending_decline_at is None:
            return False
        if application.pending_hire:
            hiring._finish(
                application,
                status=ApplicationStatus.HIRED,
                kind=MessageKind.HIRED,
                actor=application.pending_decline_by,
                default=messages.HIRED,
                data={"held": True},
            )
            return True
        reason = application.pending_decline_reason or DeclineReason.OTHER
        # The reason is set before the text is rendered: `{{ reason }}` means it here too.
        application.decline_reason = reason
        custom = messages.decline_custom(
            application, application.pending_decline_subject, application.pending_decline_body
        )
        hiring._finish(
            application,
            status=ApplicationStatus.DECLINED,
            kind=MessageKind.DECLINE,
            actor=application.pending_decline_by,
            default=messages.decline_default(reason),
            custom=custom,
            data={"reason": reason, "held": True},
        )
    return True


def extend_promise(
    *,
    application: Application,
    business_days: int,
    actor: Member | None,
    note: str = "",
    automated: bool = False,
) -> Application:
    """ "Need N more days": move the promise and tell the candidate honestly."""
    _check_actor(actor, application.org_id)
    if not 1 <= business_days <= 20:
        raise HiringError("Ask for between 1 and 20 more business days.")
    note = note.strip()
    if len(note) > 500:
        raise HiringError("Keep the note to the candidate under 500 characters.")
    with transaction.atomic():
        application = hiring._lock(application)
        hiring._require_active(application)
        extend_locked(
            application, business_days=business_days, actor=actor, note=note, automated=automated
        )
        application.save()
    return application


def extend_locked(
    application: Application,
    *,
    business_days: int,
    actor: Member | None,
    note: str = "",
    automated: bool,
) -> None:
    """Move the promise of a locked, active application and tell the candidate why.

    The one way a promise is extended, by a person or by the watchdog (`automated`, which
    counts against the org's extension cap). The caller saves the application.
    """
    now = clock.now()
    org = application.org
    hiring.set_promise(
        application,
        deadline_after(
            now,
            business_days,
            time_zone=application.candidate.time_zone,
            country=org.country,
            subdivision=org.subdivision,
        ),
    )
    if automated:
        application.extensions_used += 1
    event = hiring.record_event(
        org=org,
        kind=EventKind.PROMISE_EXTENDED,
        actor=actor,
        application=application,
        data={"business_days": business_days, "automatic": automated},
    )
    hiring.tell_candidate(
        application,
        kind=MessageKind.NO_DECISION_YET if automated else MessageKind.MORE_TIME,
        key=f"app:{application.pk}:event:{event.pk}",
        default=messages.NO_DECISION_YET if automated else messages.MORE_TIME,
        automated=automated,
        extra={"note": note},
    )


def close_out_sample(*, job: Job) -> Application | None:
    """The candidate whose message the close dialog shows: the first still in process."""
    return (
        Application.objects.filter(org_id=job.org_id, job=job, status=ApplicationStatus.ACTIVE)
        .select_related("candidate", "org", "job", "stage")
        .order_by("pk")
        .first()
    )


def close_out_preview(*, job: Job, outcome: str = "closed") -> tuple[int, str, str]:
    """How many candidates the close-out reaches, and what the first of them would read."""
    active = Application.objects.filter(org_id=job.org_id, job=job, status=ApplicationStatus.ACTIVE)
    sample = close_out_sample(job=job)
    if sample is None:
        return 0, "", ""
    # The close-out's own rendering (once per language, names filled in as its SQL fills
    # them), for the chosen outcome: byte for byte the text part the candidate receives,
    # but for the status link, which a preview never mints.
    preview = messages.close_out_preview_of(sample, outcome=outcome)
    return active.count(), preview.subject, preview.text


def close_job(*, job: Job, actor: Member | None, outcome: str = "closed") -> CloseOut:
    """Close or fill a job. Every remaining active candidate gets one final, kind message;
    the scheduler sends them in chunks, so this returns at once, whatever the count."""
    _check_actor(actor, job.org_id)
    if outcome not in {"closed", "filled"}:
        raise HiringError("A job is closed or filled.")
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk, org_id=job.org_id)
        if job.status in {JobStatus.CLOSED, JobStatus.FILLED}:
            raise HiringError(f"This job is already {job.get_status_display().lower()}.")
        held_hire = Application.objects.filter(
            org_id=job.org_id, job=job, status=ApplicationStatus.ACTIVE, pending_hire=True
        ).exists()
        if held_hire:
            # The close-out would decline them: let the welcome go (or cancel it) first.
            raise HiringError(
                "A hire is on hold for this job: let it be sent, or cancel it, before closing."
            )
        now = clock.now()
        policy = get_policy(org=job.org)
        job.status = JobStatus.FILLED if outcome == "filled" else JobStatus.CLOSED
        job.closed_at = now
        job.save(update_fields=["status", "closed_at"])
        total = Application.objects.filter(
            org_id=job.org_id, job=job, status=ApplicationStatus.ACTIVE
        ).count()
        close_out = CloseOut.objects.create(
            org_id=job.org_id,
            job=job,
            outcome=outcome,
            started_by=actor,
            total=total,
            created_at=now,
            undo_until=now + timedelta(hours=policy.close_out_undo_hours),
            finished_at=now if total == 0 else None,
        )
        hiring.record_event(
            org=job.org,
            kind=EventKind.JOB_FILLED if outcome == "filled" else EventKind.JOB_CLOSED,
            actor=actor,
            job=job,
            data={"close_out": close_out.pk, "active_candidates": total},
        )
    return close_out


def reopen_job(*, job: Job, actor: Member | None) -> Job:
    """Reopen within the undo window: restore the closed-out candidates, cancel what has not
    gone out yet, and tell those who already got the final message."""
    _check_actor(actor, job.org_id)
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk, org_id=job.org_id)
        if job.status == JobStatus.OPEN:
            raise HiringError("This job is already open.")
        now = clock.now()
        close_out = (
            CloseOut.objects.select_for_update()
            .filter(job=job, reopened_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if close_out is not None and close_out.undo_until < now:
            raise HiringError(
                "The undo window has passed; the candidates have their final answer. "
                "Reopen as a new job posting instead."
            )
        job.status = JobStatus.OPEN
        job.closed_at = None
        job.save(update_fields=["status", "closed_at"])
        restored = 0
        if close_out is not None:
            close_out.reopened_at = now
            close_out.save(update_fields=["reopened_at"])
            restored = _restore(close_out, actor=actor)
        hiring.record_event(
            org=job.org,
            kind=EventKind.JOB_REOPENED,
            actor=actor,
            job=job,
            data={"restored": restored},
        )
    return job


def _restore(close_out: CloseOut, *, actor: Member | None) -> int:
    applications = list(
        Application.objects.filter(
            org_id=close_out.org_id,
            job_id=close_out.job_id,
            closed_out_by=close_out.pk,
            status=ApplicationStatus.DECLINED,
        ).select_related("org", "job", "candidate", "stage")
    )
    by_app = {
        m.application_id: m
        for m in Message.objects.filter(
            org_id=close_out.org_id,
            kind=MessageKind.CLOSE_OUT,
            application_id__in=[a.pk for a in applications],
        )
    }
    Message.objects.filter(
        pk__in=[m.pk for m in by_app.values() if m.status == MessageStatus.QUEUED],
        status=MessageStatus.QUEUED,
    ).update(status=MessageStatus.CANCELLED, last_error="job reopened before sending")
    now = clock.now()
    for application in applications:
        application.status = ApplicationStatus.ACTIVE
        application.decided_at = None
        application.decline_reason = ""
        application.closed_out_by = None
        # Active again: no survey about a decision that was taken back (if it is decided
        # again, that decision sets a new moment).
        application.survey_due_at = None
        application.extensions_used = 0
        hiring.set_promise(
            application, hiring.promise_for(application, stage=application.stage, start=now)
        )
        event = hiring.record_event(
            org=application.org,
            kind=EventKind.RESTORED,
            actor=actor,
            application=application,
            data={"close_out": close_out.pk},
        )
        message = by_app.get(application.pk)
        if message is None or message.status == MessageStatus.QUEUED:
            # Their close-out message never went out (cancelled above, or never written):
            # the silence clock must run from what they really received, not from the close.
            _rewind_contact(application)
        if message is not None and message.status in {MessageStatus.SENT, MessageStatus.SENDING}:
            hiring.tell_candidate(
                application,
                kind=MessageKind.REOPENED,
                key=f"app:{application.pk}:event:{event.pk}",
                default=messages.REOPENED,
            )
        application.save()
    return len(applications)


def _rewind_contact(application: Application) -> None:
    """Last contact = the newest message that is still going out or went out."""
    going_out = Message.objects.filter(
        application_id=application.pk,
        status__in=[MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT],
    )
    last = going_out.aggregate(
        contact=Max("created_at"), automated=Max("created_at", filter=Q(automated=True))
    )
    application.last_contacted_at = last["contact"] or application.created_at
    application.last_automated_at = last["automated"]


# --- a job's own lifecycle (closing and reopening are above) ---------------------------


def set_on_hold(*, actor: Member, job: Job, on_hold: bool) -> Job:
    """Pause a job (no new applications; candidates in process keep their promises) or
    resume it. Closing and filling go through the engine, which tells the candidates."""
    if actor.org_id != job.org_id:
        raise PermissionDenied("That belongs to another organisation.")
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk, org_id=job.org_id)
        wanted = JobStatus.ON_HOLD if on_hold else JobStatus.OPEN
        allowed_from = JobStatus.OPEN if on_hold else JobStatus.ON_HOLD
        if job.status != allowed_from:
            raise HiringError(
                f"This job is {job.get_status_display().lower()}; it can't be "
                f"{'put on hold' if on_hold else 'resumed'} from there."
            )
        job.status = wanted
        job.save(update_fields=["status"])
        hiring.record_event(
            org=job.org,
            kind=EventKind.JOB_ON_HOLD if on_hold else EventKind.JOB_RESUMED,
            actor=actor,
            job=job,
        )
    return job


def update_job(
    *,
    actor: Member,
    job: Job,
    title: str,
    location: str,
    description: str,
    owner: Member,
    stages: dict[int, tuple[str, int]],
    closeout_subject: str,
    closeout_body: str,
) -> Job:
    """Edit a job, its stages' names and promises, and its close-out wording."""
    if actor.org_id != job.org_id or owner.org_id != job.org_id:
        raise PermissionDenied("That belongs to another organisation.")
    errors: dict[str, list[str]] = {}
    title = single_line(title, max_length=200)
    if not title:
        errors["title"] = ["A job needs a title."]
    shortest = get_policy(org=job.org).min_gap_days
    for name, days in stages.values():
        if not single_line(name, max_length=100):
            errors.setdefault("stages", []).append("Every stage needs a name.")
        if not shortest <= days <= 60:
            errors.setdefault("stages", []).append(
                f"Promises are between {shortest} and 60 business days: at least the "
                "organisation's minimum gap between automated updates, so an honest update "
                "is never held back when a promise falls due."
            )
    if closeout_body.strip():
        try:
            messages.validate(subject=closeout_subject or "-", body=closeout_body, close_out=True)
        except HiringError as error:
            errors["closeout_body"] = error.messages
    if errors:
        raise HiringError(errors)
    with transaction.atomic():
        job.title, job.location, job.description, job.owner = (
            title,
            single_line(location, max_length=200),
            description.strip(),
            owner,
        )
        job.closeout_subject = single_line(closeout_subject)
        job.closeout_body = closeout_body.strip() + "\n\n" if closeout_body.strip() else ""
        job.save()
        messages.template_fixed(f"job:{job.pk}:close-out")
        for stage in Stage.objects.filter(org_id=job.org_id, pipeline_id=job.pipeline_id):
            if stage.pk in stages:
                name, days = stages[stage.pk]
                stage.name, stage.promise_business_days = single_line(name, max_length=100), days
                stage.save(update_fields=["name", "promise_business_days"])
        hiring.record_event(org=job.org, kind=EventKind.JOB_EDITED, actor=actor, job=job)
    return job
