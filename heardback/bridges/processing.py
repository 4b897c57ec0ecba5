"""Turning stored ATS events into the contract: the same services the console uses.

An ATS delivery describes the state of an application or job at a moment of the ATS's own
clock. Applying is therefore state-based and ordered by that clock:

1. a job seen for the first time becomes a Heardback job (the org's first pipeline);
2. an application seen for the first time is applied (the candidate is acknowledged with a
   dated promise), then brought to the state the event describes;
3. an event older than the last one applied to the same application or job is stale and
   changes nothing — a late "moved to Interview" never resurrects a declined candidate;
4. a rejection is the decline flow (the org's hold and cancel window applies), unless the
   connection says the ATS sends final messages, then the outcome is recorded silently;
5. an "unreject" cancels a held decline; once a final message has gone out it can't be
   unsaid, and the event says so;
6. a job closed or filled in the ATS is the close-out: every remaining candidate gets one
   final, kind message.

Duplicates are stopped earlier, at the inbox (`InboundEvent.dedupe_key`); and every service
called here is idempotent on its own (a second decline of a declined application is refused).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction

from heardback import clock
from heardback.bridges.models import AtsLink, Connection, FinalMessageBy, InboundEvent
from heardback.bridges.models import InboundStatus as Status
from heardback.bridges.providers import ADAPTERS
from heardback.bridges.providers import generic as generic_provider
from heardback.bridges.providers.base import (
    CLOSED,
    FILLED,
    HIRED,
    OPEN,
    REJECTED,
    UNKNOWN,
    WITHDRAWN,
    AtsApplication,
    AtsEvent,
    AtsJob,
    UnreadableEvent,
)
from heardback.compliance import services as compliance
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Candidate,
    CoarseStage,
    DeclineReason,
    Job,
    JobStatus,
    Member,
    Stage,
)
from heardback.promises import services as engine
from heardback.runtime.isolation import ItemGuard

STEP_SOURCE = "process_inbound_events"  # the step's name in runtime faults


def fault_item(event_id: int) -> str:
    return f"inbound:{event_id}"


class NeedsAPerson(Exception):
    """The event is readable but can't be applied as things stand here: recorded as failed
    with the reason, for a person to fix and replay; never retried on its own."""


# Words in an ATS stage name → the stage the candidate sees. Checked in this order.
STAGE_WORDS: list[tuple[tuple[str, ...], str]] = [
    (("offer",), CoarseStage.OFFER),
    (("interview", "onsite", "on-site", "on site", "panel", "final round"), CoarseStage.INTERVIEW),
    (("applied", "application", "new", "lead", "inbox", "sourced"), CoarseStage.RECEIVED),
]
DEFAULT_STAGE = CoarseStage.IN_REVIEW

REASON_WORDS: list[tuple[tuple[str, ...], str]] = [
    (("another candidate", "other candidate", "better fit", "stronger"), "other_candidate"),
    (("experience", "qualif", "skill"), "experience"),
    (("location", "visa", "authori", "relocat"), "location"),
    (("position closed", "filled", "cancel", "no longer"), "position_closed"),
]


def coarse_stage_for(connection: Connection, stage_name: str) -> str:
    mapped = (connection.stage_map or {}).get(stage_name.strip().lower())
    if mapped in CoarseStage.values:
        return str(mapped)
    lowered = stage_name.lower()
    for words, coarse in STAGE_WORDS:
        if any(word in lowered for word in words):
            return coarse
    return DEFAULT_STAGE


def decline_reason_for(text: str) -> str:
    lowered = text.lower()
    for words, reason in REASON_WORDS:
        if any(word in lowered for word in words):
            return reason
    return DeclineReason.OTHER


def read_event(event: InboundEvent) -> list[AtsEvent]:
    try:
        data = json.loads(bytes(event.body))
    except ValueError as error:
        raise UnreadableEvent("The body is not JSON.") from error
    connection = event.connection
    if connection.provider == "generic" and connection.field_map:
        return generic_provider.read_mapped(data, connection.field_map)
    return ADAPTERS[connection.provider].read(data)


# --- links between their ids and ours ----------------------------------------------------


def _link(connection: Connection, kind: str, external_id: str) -> AtsLink | None:
    return (
        AtsLink.objects.select_for_update()
        .filter(connection=connection, kind=kind, external_id=external_id)
        .first()
    )


def _stale(link: AtsLink | None, occurred_at: datetime) -> bool:
    return link is not None and link.last_event_at is not None and occurred_at < link.last_event_at


def _remember(link: AtsLink, occurred_at: datetime, state: str) -> None:
    link.last_event_at = max(occurred_at, link.last_event_at or occurred_at)
    link.state = state
    link.save(update_fields=["last_event_at", "state"])


def ensure_job(connection: Connection, ats_job: AtsJob) -> Job:
    link = _link(connection, AtsLink.Kind.JOB, ats_job.external_id)
    if link is not None:
        job = Job.objects.filter(org_id=connection.org_id, pk=link.local_id).first()
        if job is not None:
            return job
    job = hiring.create_job(
        org=connection.org,
        title=ats_job.title,
        owner=connection.created_by,
        description=f"Synced from {connection.get_provider_display()}.",
    )
    if link is None:
        AtsLink.objects.create(
            connection=connection,
            kind=AtsLink.Kind.JOB,
            external_id=ats_job.external_id,
            local_id=job.pk,
        )
    else:
        AtsLink.objects.filter(pk=link.pk).update(local_id=job.pk)
    return job


# --- applying a state ---------------------------------------------------------------------


def _stage_in_pipeline(job: Job, coarse: str) -> Stage | None:
    return (
        Stage.objects.filter(org_id=job.org_id, pipeline_id=job.pipeline_id, coarse_stage=coarse)
        .order_by("position")
        .first()
    )


def _update_contact(application: Application, ats: AtsApplication) -> str:
    """The ATS is where a bridged org keeps contact details: follow its changes (never for
    a candidate whose data was erased here: the ATS still has it, and would put it back)."""
    candidate = application.candidate
    if candidate.is_erased:
        return ""
    changed = []
    if ats.name and ats.name != candidate.name:
        candidate.name = ats.name[:200]
        changed.append("name")
    if ats.email and ats.email.lower() != candidate.email.lower():
        taken = Candidate.objects.filter(org_id=candidate.org_id, email__iexact=ats.email)
        if not taken.exclude(pk=candidate.pk).exists():
            candidate.email = ats.email
            candidate.unreachable_since = None
            changed += ["email", "unreachable_since"]
    if changed:
        candidate.save(update_fields=changed)
        return "contact details updated; "
    return ""


def apply_application(
    connection: Connection, event: AtsEvent, ats: AtsApplication, job: Job | None
) -> str:
    link = _link(connection, AtsLink.Kind.APPLICATION, ats.external_id)
    if _stale(link, event.occurred_at):
        return "older than what we already know: ignored"
    if link is None:
        if job is None:
            return "an application without a job we know: ignored"
        if not ats.email:
            raise UnreadableEvent("The application has no candidate email.")
        job.refresh_from_db(fields=["status"])
        if job.status != JobStatus.OPEN:
            # Its first event reached us after the job was closed (or put on hold) here, so
            # it was never acknowledged nor closed out. Nothing is sent on a guess: the
            # connection page lists it with this reason and a replay for after a reopen.
            raise NeedsAPerson(
                f"This candidate's first event arrived after the job was "
                f"{job.get_status_display().lower()} here, so they were not told anything. "
                f"Reopen the job and replay this event, or tell them yourself."
            )
        application = hiring.apply(
            job=job, name=ats.name or ats.email, email=ats.email, source=connection.provider
        )
        link = AtsLink.objects.create(
            connection=connection,
            kind=AtsLink.Kind.APPLICATION,
            external_id=ats.external_id,
            local_id=application.pk,
        )
        said = "applied (acknowledged); "
    else:
        found = (
            Application.objects.select_related("org", "job", "candidate", "stage")
            .filter(org_id=connection.org_id, pk=link.local_id)
            .first()
        )
        if found is None:
            return "the application was deleted here: ignored"
        application = found
        said = _update_contact(application, ats)
    said += _bring_to(connection, application, ats)
    _remember(link, event.occurred_at, ats.status)
    return said.strip("; ")


def _bring_to(connection: Connection, application: Application, ats: AtsApplication) -> str:
    application.refresh_from_db()
    active = application.status == ApplicationStatus.ACTIVE
    ats_sends = connection.final_message_by == FinalMessageBy.ATS
    if ats.status in (REJECTED, HIRED) and active and application.pending_decline_at is None:
        # Decided at a stage we may not have seen (its event is late or lost): record the
        # stage first, quietly (the decision is the candidate's news), so the application
        # ends the same whatever order the ATS's deliveries came in.
        application = _move_quietly(connection, application, ats.stage_name, None)
    if ats.status == REJECTED:
        if not active or application.pending_decline_at is not None:
            return "already declined"
        reason = decline_reason_for(ats.rejection_reason)
        if ats_sends:
            hiring.record_outcome(
                application=application, status=ApplicationStatus.DECLINED, reason=reason
            )
            return "declined (the ATS tells the candidate)"
        engine.schedule_decline(application=application, reason=reason, actor=None)
        return "declined (the org's hold applies)"
    if ats.status == HIRED:
        if not active:
            return f"already {application.status}"
        if ats_sends:
            hiring.record_outcome(application=application, status=ApplicationStatus.HIRED)
            return "hired (the ATS tells the candidate)"
        hiring.hire(application=application, actor=None)
        return "hired"
    if ats.status == WITHDRAWN:
        if not active:
            return f"already {application.status}"
        hiring.withdraw(application=application, actor=None)
        return "withdrawn"
    # Active in the ATS.
    said = ""
    if application.pending_decline_at is not None:
        application = engine.cancel_decline(application=application, actor=None)
        said = "un-rejected: the held decline was cancelled; "
    elif not active:
        return (
            f"active again in the ATS, but the candidate was already told "
            f"({application.status}); nothing was unsaid"
        )
    if not ats.stage_name:
        return said + "no stage change"
    coarse = coarse_stage_for(connection, ats.stage_name)
    if coarse == application.stage.coarse_stage:
        return said + f"still {coarse}"
    stage = _stage_in_pipeline(application.job, coarse)
    if stage is None:
        return said + f"no {coarse} stage in this job's pipeline"
    hiring.move_to_stage(application=application, stage=stage, actor=None)
    return said + f"moved to {stage.name}"


def _move_quietly(
    connection: Connection, application: Application, stage_name: str, actor: Member | None
) -> Application:
    if not stage_name:
        return application
    coarse = coarse_stage_for(connection, stage_name)
    stage = _stage_in_pipeline(application.job, coarse)
    if stage is None or coarse == application.stage.coarse_stage:
        return application
    return hiring.move_to_stage(application=application, stage=stage, actor=actor, notify=False)


def apply_job(connection: Connection, event: AtsEvent, ats: AtsJob, job: Job) -> str:
    if ats.status == UNKNOWN:
        return ""
    link = _link(connection, AtsLink.Kind.JOB, ats.external_id)
    if link is None or _stale(link, event.occurred_at):
        return "older than what we already know: ignored" if link else ""
    said = ""
    job.refresh_from_db()
    if ats.status in (CLOSED, FILLED) and job.status in (JobStatus.OPEN, JobStatus.ON_HOLD):
        outcome = "filled" if ats.status == FILLED else "closed"
        engine.close_job(job=job, actor=None, outcome=outcome)
        said = f"job {outcome}: every remaining candidate gets a final message"
    elif ats.status == OPEN and job.status in (JobStatus.CLOSED, JobStatus.FILLED):
        try:
            engine.reopen_job(job=job, actor=None)
            said = "job reopened"
        except HiringError as error:
            said = "job open again in the ATS; " + " ".join(error.messages)
    _remember(link, event.occurred_at, ats.status)
    return said


def apply_event(connection: Connection, event: AtsEvent) -> str:
    """One normalised event, applied in one transaction; returns what happened, in words.

    A job's status changes only through the job's own events: the job inside an
    application's payload is a snapshot of another moment (and some ATSs leave its status
    out), so it only names the job.
    """
    with transaction.atomic():
        if event.application is None:
            said = _apply_job_event(connection, event)
        else:
            job = ensure_job(connection, event.job) if event.job is not None else None
            said = apply_application(connection, event, event.application, job)
            if event.interview is not None:
                said = "; ".join(
                    part
                    for part in (said, _apply_interview(connection, event.application, event))
                    if part
                )
    return said or "nothing to do"


def _apply_interview(connection: Connection, ats: AtsApplication, event: AtsEvent) -> str:
    """Log the ATS's interview on the application it belongs to (a compliance record)."""
    interview = event.interview
    assert interview is not None
    link = (
        AtsLink.objects.filter(
            connection=connection, kind=AtsLink.Kind.APPLICATION, external_id=ats.external_id
        )
        .values_list("local_id", flat=True)
        .first()
    )
    application = (
        Application.objects.select_related("org", "job")
        .filter(org_id=connection.org_id, pk=link)
        .first()
        if link is not None
        else None
    )
    if application is None:
        return "an interview for an application we don't have: ignored"
    _logged, created = compliance.log_interview(
        application=application,
        starts_at=interview.starts_at,
        kind=interview.kind,
        interviewers=interview.interviewers,
        counts=interview.counts,
        source=f"bridge:{connection.provider}",
        external_id=interview.external_id,
        recorded_by=f"{connection.get_provider_display()} bridge",
    )
    return "interview logged" if created else "interview already logged"


def _apply_job_event(connection: Connection, event: AtsEvent) -> str:
    ats = event.job
    if ats is None or ats.status == UNKNOWN:
        return ""
    if ats.status != OPEN and _link(connection, AtsLink.Kind.JOB, ats.external_id) is None:
        return f"a job we never had is {ats.status} in the ATS: nothing to do"
    return apply_job(connection, event, ats, ensure_job(connection, ats))


# --- the scheduler step ---------------------------------------------------------------------

RETRY_AFTER = timedelta(minutes=1)
# An event that needs the ATS's API first (Lever) is looked at again this much later, so a
# pile of them never fills the step's batch ahead of events that can be applied now.
FETCH_WAIT = timedelta(minutes=5)
# Its outcome meanwhile: the network loop's fetch (reconcile.py) takes such events at once,
# however far `next_attempt_at` was pushed here.
WAITING_FOR_FETCH = "waiting for the details from the ATS's API"


def process_one(event_id: int) -> int:
    event = (
        InboundEvent.objects.select_for_update(skip_locked=True)
        .select_related("connection__org", "connection__created_by__user")
        .filter(pk=event_id, status=Status.RECEIVED)
        .first()
    )
    if event is None:
        return 0  # another scheduler got there first
    now = clock.now()
    try:
        events = read_event(event)
        if any(e.needs_fetch for e in events):
            # The network loop fetches what the ATS left out, then comes back.
            event.outcome = WAITING_FOR_FETCH
            event.next_attempt_at = now + FETCH_WAIT
            event.save(update_fields=["outcome", "next_attempt_at"])
            return 0
        outcome = "; ".join(apply_event(event.connection, e) for e in events) or "not relevant"
        event.status = Status.PROCESSED
    except (UnreadableEvent, NeedsAPerson, HiringError) as error:
        # Deterministic refusals: retrying can't help, a person can (then replays it).
        outcome = " ".join(error.messages) if isinstance(error, HiringError) else str(error)
        event.status = Status.FAILED
        event.last_error = outcome
    event.outcome = outcome[:300]
    event.processed_at = now
    event.attempts += 1
    event.save(update_fields=["status", "outcome", "processed_at", "attempts", "last_error"])
    return 1


def _in_ats_order(event_ids: list[int]) -> list[tuple[int, int]]:
    """(id, org id) of these events in the ATS's own time order (then arrival order).

    Deliveries that are in the inbox together are applied as they happened, not as they
    arrived: a retried "applied" that lands after the "rejected" still comes first, so
    the candidate hears what they would have heard had the ATS's deliveries been in order.
    """
    keyed = []
    events = (
        InboundEvent.objects.filter(pk__in=event_ids)
        .select_related("connection")
        .only("id", "org_id", "received_at", "body", "connection")
    )
    for event in events.iterator(chunk_size=100):
        try:
            moments = [e.occurred_at for e in read_event(event)]
        except (UnreadableEvent, KeyError):
            moments = []
        moment = min(moments) if moments else event.received_at
        keyed.append((moment, event.received_at, event.pk, event.org_id))
    keyed.sort()
    return [(event_id, org_id) for _moment, _received, event_id, org_id in keyed]


def newest_inbound_event() -> int:
    """The newest delivery's id (0 for none): one read of the primary key's index. It moves
    on when the ATS sends something, which wakes an idle scheduler."""
    newest = InboundEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return newest or 0


def process_inbound_events(*, now: datetime, limit: int) -> int:
    """Scheduler step: apply stored ATS events, a batch of the oldest arrivals at a time in
    the ATS's own order, each in isolation."""
    guard = ItemGuard(STEP_SOURCE, now=now)
    due = list(
        InboundEvent.objects.filter(status=Status.RECEIVED)
        .exclude(next_attempt_at__gt=now)
        .order_by("received_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    handled = 0
    for event_id, org_id in _in_ats_order(due):
        if guard.out_of_time:
            break
        done = guard.run(
            fault_item(event_id),
            partial(process_one, event_id),
            org_id=org_id,
            label="an event from your ATS",
        )
        if done is None:
            fault = guard.fault(fault_item(event_id))
            InboundEvent.objects.filter(pk=event_id).update(
                attempts=fault.attempts if fault else 1,
                last_error=(fault.last_error if fault else "failed")[:2000],
                next_attempt_at=fault.next_try_at if fault else now + RETRY_AFTER,
            )
        handled += done or 0
    return handled
