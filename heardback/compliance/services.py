"""Writes for compliance: jurisdiction settings, interviews, and keeping each answer duty.

Every change that can move a deadline (an interview logged or cancelled, a job moved into
or out of a jurisdiction, an org's settings) recomputes the duties it touches in the same
transaction, so the deadline the engine keeps is never stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, QuerySet

from heardback import clock
from heardback.compliance.deadlines import answer_deadline
from heardback.compliance.errors import ComplianceError
from heardback.compliance.models import (
    AnswerDuty,
    DutyWatch,
    Interview,
    InterviewKind,
    JobCompliance,
    OrgCompliance,
)
from heardback.compliance.profiles import JURISDICTIONS, Profile, profile_for
from heardback.hiring import messages
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, ApplicationStatus, EventKind, Job, Member, Org
from heardback.messaging.headers import single_line
from heardback.messaging.kinds import FINAL_KINDS, MessageKind
from heardback.messaging.models import Message, MessageStatus

# How far from "now" an interview may be dated: a typo'd year must not silently push a
# deadline decades away (or into the past).
MAX_PAST = timedelta(days=366)
MAX_FUTURE = timedelta(days=366)


# --- settings ------------------------------------------------------------------------------


def org_settings(org: Org) -> OrgCompliance:
    settings, _created = OrgCompliance.objects.get_or_create(org=org)
    return settings


def _check_jurisdiction(jurisdiction: str) -> None:
    if jurisdiction and jurisdiction not in JURISDICTIONS:
        raise ComplianceError(
            f"Unknown jurisdiction “{single_line(jurisdiction, max_length=40)}”; choose one "
            f"of: {', '.join(sorted(JURISDICTIONS))}, or none."
        )


def set_org_settings(
    *,
    org: Org,
    jurisdiction: str,
    employee_count: int | None,
    notice_counts_as_answer: bool | None,
    actor: Member | None,
) -> OrgCompliance:
    _check_jurisdiction(jurisdiction)
    if employee_count is not None and not 0 <= employee_count <= 10_000_000:
        raise ComplianceError("The employee count must be between 0 and 10,000,000.")
    with transaction.atomic():
        settings = org_settings(org)
        settings.jurisdiction = jurisdiction
        settings.employee_count = employee_count
        settings.notice_counts_as_answer = notice_counts_as_answer
        settings.save()
        hiring.record_event(
            org=org,
            kind=EventKind.COMPLIANCE_CHANGED,
            actor=actor,
            data={
                "jurisdiction": jurisdiction,
                "employee_count": employee_count,
                "notice_counts_as_answer": notice_counts_as_answer,
            },
        )
        recompute_org(org)
    return settings


def job_settings(job: Job) -> JobCompliance:
    settings, _created = JobCompliance.objects.get_or_create(job=job, defaults={"org": job.org})
    return settings


def set_job_jurisdiction(*, job: Job, jurisdiction: str, actor: Member | None) -> JobCompliance:
    """Move a job into (or out of) a jurisdiction; "" follows the org's."""
    _check_jurisdiction(jurisdiction)
    with transaction.atomic():
        settings = job_settings(job)
        settings.jurisdiction = jurisdiction
        settings.save()
        hiring.record_event(
            org=job.org,
            kind=EventKind.COMPLIANCE_CHANGED,
            actor=actor,
            job=job,
            data={"jurisdiction": jurisdiction},
        )
        for application in _interviewed(job.org).filter(job=job):
            recompute_duty(application)
    return settings


def record_posting(*, job: Job, at: datetime | None = None) -> JobCompliance:
    """The job was posted: remember when, and the org's employee count that day (the duty
    applies by the count on the day of posting, O. Reg. 476/24, s. 1)."""
    with transaction.atomic():
        settings = job_settings(job)
        settings.posted_at = at or clock.now()
        settings.employee_count_at_posting = org_settings(job.org).employee_count
        settings.save()
    return settings


def _interviewed(org: Org) -> QuerySet[Application]:
    return Application.objects.filter(org=org, interviews__isnull=False).distinct()


def recompute_org(org: Org) -> int:
    count = 0
    for application in _interviewed(org):
        recompute_duty(application)
        count += 1
    return count


# --- interviews ----------------------------------------------------------------------------


def log_interview(
    *,
    application: Application,
    starts_at: datetime,
    kind: str,
    interviewers: str = "",
    counts: bool = True,
    source: str,
    recorded_by: str,
    actor: Member | None = None,
    external_id: str = "",
) -> tuple[Interview, bool]:
    """Record an interview and recompute the application's deadline.

    Returns (interview, created): an interview already logged from the same source with
    the same external id is returned as it is, so an ATS re-sending its event is harmless.
    """
    if starts_at.tzinfo is None:
        raise ComplianceError("The interview time needs a time zone (or an offset).")
    if kind not in InterviewKind.values:
        raise ComplianceError(
            f"Unknown interview kind “{single_line(kind, max_length=40)}”; choose one of: "
            f"{', '.join(InterviewKind.values)}."
        )
    now = clock.now()
    if not now - MAX_PAST <= starts_at <= now + MAX_FUTURE:
        raise ComplianceError("The interview must be within a year of today.")
    interviewers = single_line(interviewers, max_length=500)
    external_id = single_line(external_id, max_length=200)
    if kind == InterviewKind.SCREEN and counts is None:
        counts = False
    with transaction.atomic():
        if external_id:
            existing = Interview.objects.filter(
                org_id=application.org_id, source=source, external_id=external_id
            ).first()
            if existing is not None:
                return existing, False
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status != ApplicationStatus.ACTIVE:
            raise ComplianceError(
                "This application is closed; an interview can only be logged while it is active."
            )
        interview = Interview.objects.create(
            org_id=application.org_id,
            application=locked,
            starts_at=starts_at,
            kind=kind,
            interviewers=interviewers,
            counts=counts,
            source=source,
            external_id=external_id,
            recorded_by=single_line(recorded_by, max_length=100),
            created_at=now,
        )
        hiring.record_event(
            org=locked.org,
            kind=EventKind.INTERVIEW_LOGGED,
            actor=actor,
            application=locked,
            data={
                "interview": interview.pk,
                "starts_at": starts_at.isoformat(),
                "kind": kind,
                "counts": counts,
                "source": source,
            },
        )
        recompute_duty(locked)
    return interview, True


def cancel_interview(*, interview: Interview, actor: Member | None, recorded_by: str) -> None:
    """An interview that did not happen: it no longer counts, and the deadline follows."""
    with transaction.atomic():
        if interview.cancelled_at is not None:
            return
        interview.cancelled_at = clock.now()
        interview.save(update_fields=["cancelled_at"])
        application = interview.application
        hiring.record_event(
            org=application.org,
            kind=EventKind.INTERVIEW_CANCELLED,
            actor=actor,
            application=application,
            data={"interview": interview.pk, "by": single_line(recorded_by, max_length=100)},
        )
        recompute_duty(application)


# --- the duty ------------------------------------------------------------------------------


def _last_counting_interview(application: Application) -> datetime | None:
    last: datetime | None = Interview.objects.filter(
        application=application, counts=True, cancelled_at__isnull=True
    ).aggregate(last=Max("starts_at"))["last"]
    return last


def recompute_duty(application: Application) -> AnswerDuty | None:
    """Bring the application's answer duty in line with its interviews and jurisdiction.

    A later interview restarts the clock: what was said before it doesn't answer for it.
    An earlier one (the later was cancelled) moves the deadline back. With no profile or
    no counting interview an unanswered duty goes away; an answered one stays as evidence.
    """
    profile = profile_for(application.job)
    last = _last_counting_interview(application)
    duty = AnswerDuty.objects.filter(application=application).first()
    if profile is None or last is None:
        if duty is not None and duty.answered_at is None:
            duty.delete()
        return None
    due_at = answer_deadline(
        last, days=profile.answer_days_after_last_interview, time_zone=application.org.time_zone
    )
    if duty is None:
        duty = AnswerDuty(org_id=application.org_id, application=application)
    elif duty.last_interview_at != last:
        # What was said before the (new) last interview doesn't answer for it.
        if duty.notice_at is not None and duty.notice_at < last:
            duty.notice_at = None
            duty.notice_message_id = None
        if duty.decided_at is not None and duty.decided_at < last:
            duty.decided_at = None
            duty.decision_message_id = None
        duty.watch = DutyWatch.PENDING
    duty.profile_key = profile.key
    duty.last_interview_at = last
    duty.due_at = due_at
    _settle(duty, profile)
    duty.save()
    return duty


def _settle(duty: AnswerDuty, profile: Profile) -> None:
    """`answered_at` from what was said: the decision, or the notice where it counts."""
    told = [duty.decided_at]
    if profile.notice_counts_as_answer:
        told.append(duty.notice_at)
    moments = [moment for moment in told if moment is not None]
    duty.answered_at = min(moments) if moments else None
    duty.answered_late = duty.answered_at is not None and duty.answered_at > duty.due_at


def record_decision(duty: AnswerDuty, application: Application, profile: Profile | None) -> bool:
    """The application was decided (or withdrawn): record when the candidate was told.

    The final message's queue time is the moment; an outcome the ATS told them has no
    message here and counts from the decision itself. A decision after the deadline is
    recorded as late, not hidden.
    """
    if application.status == ApplicationStatus.ACTIVE or application.decided_at is None:
        return False
    final = (
        Message.objects.filter(application_id=application.pk, kind__in=list(FINAL_KINDS))
        .exclude(status=MessageStatus.CANCELLED)
        .order_by("created_at", "id")
        .values_list("id", "created_at")
        .first()
    )
    duty.decided_at = final[1] if final else application.decided_at
    duty.decision_message_id = final[0] if final else None
    if profile is None:
        # The job left the jurisdiction after being interviewed there: the decision still
        # answers what was owed while it applied.
        duty.answered_at = duty.answered_at or duty.decided_at
        duty.answered_late = duty.answered_at > duty.due_at
    else:
        _settle(duty, profile)
    duty.save()
    return True


def send_legal_notice(application: Application, duty: AnswerDuty) -> Message | None:
    """The honest notice, before the deadline: no hiring decision has been made yet.

    It is the law's answer, not a progress update: it goes to candidates who opted out of
    updates too, and the minimum gap between automated updates does not hold it back.
    """
    event = hiring.record_event(
        org=application.org,
        kind=EventKind.LEGAL_NOTICE,
        actor=None,
        application=application,
        data={"duty": duty.pk, "due_at": duty.due_at.isoformat(), "profile": duty.profile_key},
    )
    # The law's notice does not count against the engine's minimum gap between automated
    # updates: had it moved `last_automated_at`, a promise falling due in the next days
    # would have to wait out the gap and break.
    previous_automated = application.last_automated_at
    message = hiring.tell_candidate(
        application,
        kind=MessageKind.NO_DECISION_YET,
        key=f"app:{application.pk}:legal-notice:{event.pk}",
        default=messages.INTERVIEWED_NO_DECISION_YET,
        automated=True,
        required=True,
    )
    application.last_automated_at = previous_automated
    application.save(update_fields=["last_contacted_at"])
    now = clock.now()
    duty.notice_at = message.created_at if message is not None else now
    duty.notice_message_id = message.pk if message is not None else None
    return message
