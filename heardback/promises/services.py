"""The engine's writes: policy, delayed declines, extensions, close-out and reopen."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q

from heardback import clock
from heardback.clock.business import add_business_days, deadline_after, zone
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    DeclineReason,
    Job,
    JobStatus,
    Member,
    Org,
)
from heardback.messaging.models import Message, MessageStatus
from heardback.promises import candidate_messages as texts
from heardback.promises.closeout import closeout_template
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
        hiring.record_event(org=org, kind="policy_changed", actor=actor, data=fields)
    return policy


def _business_days_later(org: Org, start: datetime, days: int) -> datetime:
    """`days` business days after `start` in the org's calendar, at the same local time."""
    local = start.astimezone(zone(org.time_zone))
    day = add_business_days(local.date(), days, country=org.country, subdivision=org.subdivision)
    return datetime.combine(day, local.timetz())


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
        now = clock.now()
        application.pending_decline_at = _business_days_later(application.org, now, delay)
        application.pending_decline_reason = reason
        application.pending_decline_subject = subject
        application.pending_decline_body = body
        application.pending_decline_by = actor
        application.save()
        hiring.record_event(
            org=application.org,
            kind="decline_scheduled",
            actor=actor,
            application=application,
            data={"reason": reason, "send_at": application.pending_decline_at.isoformat()},
        )
    return application


def cancel_decline(*, application: Application, actor: Member | None) -> Application:
    _check_actor(actor, application.org_id)
    with transaction.atomic():
        application = hiring._lock(application)
        if application.pending_decline_at is None:
            if application.status == ApplicationStatus.DECLINED:
                raise HiringError("The decline has already been sent; it can't be cancelled.")
            raise HiringError("There is no scheduled decline to cancel.")
        hiring.clear_pending_decline(application)
        application.save()
        hiring.record_event(
            org=application.org, kind="decline_cancelled", actor=actor, application=application
        )
    return application


def send_pending_decline(*, application: Application) -> bool:
    """Carry out a held decline whose time has come (or earlier, to keep max silence)."""
    with transaction.atomic():
        application = hiring._lock(application)
        if application.status != ApplicationStatus.ACTIVE or application.pending_decline_at is None:
            return False
        reason = application.pending_decline_reason or DeclineReason.OTHER
        from heardback.hiring import messages

        hiring._finish(
            application,
            status=ApplicationStatus.DECLINED,
            kind="decline",
            actor=application.pending_decline_by,
            subject=application.pending_decline_subject or messages.DECLINE_SUBJECT,
            body=application.pending_decline_body or messages.decline_body(reason),
            data={"reason": reason, "held": True},
        )
        application.decline_reason = reason
        application.save(update_fields=["decline_reason"])
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
            kind="promise_extended",
            actor=actor,
            application=application,
            data={"business_days": business_days, "automatic": automated},
        )
        template = texts.NO_DECISION_YET if automated else texts.MORE_TIME
        hiring.tell_candidate(
            application,
            kind="no_decision_yet" if automated else "more_time",
            key=f"app:{application.pk}:event:{event.pk}",
            subject_template=template.subject,
            body_template=template.body,
            automated=automated,
            extra={"note": note},
        )
        application.save()
    return application


def close_out_preview(*, job: Job) -> tuple[int, str, str]:
    count = Application.objects.filter(
        org_id=job.org_id, job=job, status=ApplicationStatus.ACTIVE
    ).count()
    sample = (
        Application.objects.filter(org_id=job.org_id, job=job, status=ApplicationStatus.ACTIVE)
        .select_related("candidate", "org", "job", "stage")
        .first()
    )
    subject_tpl, body_tpl = closeout_template(job, "closed")
    from heardback.hiring.messages import SIGN_OFF, context_for
    from heardback.messaging.rendering import render_message

    if sample is None:
        return 0, "", ""
    rendered = render_message(str(subject_tpl), str(body_tpl) + str(SIGN_OFF), context_for(sample))
    return count, rendered.subject, rendered.text


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
            kind=f"job_{outcome}",
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
            org=job.org, kind="job_reopened", actor=actor, job=job, data={"restored": restored}
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
            kind="close_out",
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
        application.extensions_used = 0
        hiring.set_promise(
            application, hiring.promise_for(application, stage=application.stage, start=now)
        )
        event = hiring.record_event(
            org=application.org,
            kind="restored",
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
                kind="reopened",
                key=f"app:{application.pk}:event:{event.pk}",
                subject_template=texts.REOPENED.subject,
                body_template=texts.REOPENED.body,
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
