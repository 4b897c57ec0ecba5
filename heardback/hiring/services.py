"""Everything that changes hiring state. Plain functions, keyword-only arguments.

Each candidate-visible change writes its message to the outbox inside the same transaction,
so the change and its message commit together or not at all.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from heardback import clock
from heardback.clock.business import UnknownCountry, deadline_after, is_valid_time_zone
from heardback.hiring import messages, names
from heardback.hiring.errors import HiringError, NotActive
from heardback.hiring.models import (
    SURVEY_DELAY_AFTER_FINAL,
    Application,
    ApplicationStatus,
    Candidate,
    CoarseStage,
    DeclineReason,
    Event,
    EventKind,
    Job,
    JobStatus,
    Member,
    Org,
    Pipeline,
    PromiseWatch,
    Role,
    Stage,
)
from heardback.hiring.names import guess_greeting_name
from heardback.messaging.headers import clean_email_address, clean_person_name, single_line
from heardback.messaging.kinds import MessageKind
from heardback.messaging.models import Message

SYSTEM_LABEL = "Heardback"
SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}

DEFAULT_STAGES: list[tuple[str, str, int]] = [
    ("Applied", CoarseStage.RECEIVED, 5),
    ("Recruiter screen", CoarseStage.IN_REVIEW, 5),
    ("Hiring manager review", CoarseStage.IN_REVIEW, 5),
    ("Interview", CoarseStage.INTERVIEW, 7),
    ("Final interview", CoarseStage.INTERVIEW, 5),
    ("Offer", CoarseStage.OFFER, 3),
]


# --- events -------------------------------------------------------------------------------


def record_event(
    *,
    org: Org,
    kind: str,
    actor: Member | None,
    application: Application | None = None,
    job: Job | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    return Event.objects.create(
        org=org,
        application=application,
        job=job or (application.job if application else None),
        actor=actor.user if actor else None,
        actor_label=actor.display_name[:100] if actor else SYSTEM_LABEL,
        kind=kind,
        data=data or {},
        created_at=clock.now(),
    )


def _check_actor(actor: Member | None, org_id: int) -> None:
    if actor is not None and actor.org_id != org_id:
        raise PermissionDenied("That belongs to another organisation.")


# --- orgs, members, pipelines, jobs -------------------------------------------------------


def create_org(
    *, name: str, slug: str = "", country: str = "", subdivision: str = "", time_zone: str = "UTC"
) -> Org:
    if not is_valid_time_zone(time_zone):
        raise HiringError(f"Unknown time zone “{time_zone}”.")
    org = Org(
        name=single_line(name, max_length=200),
        slug=slugify(slug or name)[:80],
        country=country.upper(),
        subdivision=subdivision.upper(),
        time_zone=time_zone,
        created_at=clock.now(),
    )
    org.full_clean()
    try:
        deadline_after(
            clock.now(), 1, time_zone=time_zone, country=org.country, subdivision=org.subdivision
        )
    except UnknownCountry as error:
        raise HiringError(str(error)) from error
    org.save()
    create_pipeline_template(org=org, name="Standard", stages=DEFAULT_STAGES)
    return org


def add_member(*, org: Org, user: Any, role: str) -> Member:
    if role not in Role.values:
        raise HiringError(f"Unknown role “{role}”.")
    member, _created = Member.objects.update_or_create(
        org=org, user=user, defaults={"role": role, "created_at": clock.now()}
    )
    return member


def create_pipeline_template(
    *, org: Org, name: str, stages: list[tuple[str, str, int]]
) -> Pipeline:
    if not stages:
        raise HiringError("A pipeline needs at least one stage.")
    with transaction.atomic():
        pipeline = Pipeline.objects.create(org=org, name=name, is_template=True)
        Stage.objects.bulk_create(
            Stage(
                org=org,
                pipeline=pipeline,
                position=position,
                name=stage_name,
                coarse_stage=coarse,
                promise_business_days=days,
            )
            for position, (stage_name, coarse, days) in enumerate(stages)
        )
    return pipeline


def _copy_pipeline(template: Pipeline, *, name: str) -> Pipeline:
    pipeline = Pipeline.objects.create(org=template.org, name=name, is_template=False)
    Stage.objects.bulk_create(
        Stage(
            org=template.org,
            pipeline=pipeline,
            position=stage.position,
            name=stage.name,
            coarse_stage=stage.coarse_stage,
            promise_business_days=stage.promise_business_days,
            subject_template=stage.subject_template,
            body_template=stage.body_template,
        )
        for stage in template.stages.all()
    )
    return pipeline


def create_job(
    *,
    org: Org,
    title: str,
    owner: Member,
    template: Pipeline | None = None,
    description: str = "",
    location: str = "",
    actor: Member | None = None,
) -> Job:
    _check_actor(owner, org.pk)
    _check_actor(actor, org.pk)
    title = single_line(title, max_length=200)
    if not title:
        raise HiringError("A job needs a title.")
    template = template or Pipeline.objects.filter(org=org, is_template=True).order_by("id").first()
    if template is None or template.org_id != org.pk:
        raise HiringError("Choose a pipeline template from this organisation.")
    base_slug = slugify(title)[:70] or "job"
    slug, n = base_slug, 1
    while Job.objects.filter(org=org, slug=slug).exists():
        n += 1
        slug = f"{base_slug}-{n}"
    with transaction.atomic():
        job = Job.objects.create(
            org=org,
            title=title,
            slug=slug,
            description=description,
            location=single_line(location, max_length=200),
            owner=owner,
            pipeline=_copy_pipeline(template, name=f"{title} pipeline"),
            created_at=clock.now(),
        )
        record_event(
            org=org, kind=EventKind.JOB_CREATED, actor=actor, job=job, data={"title": title}
        )
    return job


# --- applications -------------------------------------------------------------------------


def promise_for(application: Application, *, stage: Stage, start: datetime) -> datetime:
    org = application.org
    return deadline_after(
        start,
        stage.promise_business_days or 1,
        time_zone=application.candidate.time_zone,
        country=org.country,
        subdivision=org.subdivision,
    )


def _find_or_create_candidate(
    *,
    org: Org,
    name: str,
    email: str,
    phone: str,
    language: str,
    time_zone: str,
    greeting_name: str = "",
) -> Candidate:
    """The org's candidate with this email (in any case), or a new one; locked for this
    transaction: two simultaneous applies by one person serialise here, so the second finds
    the first one's application instead of making another.

    A known candidate's details are kept as they are. Anyone can type anyone's address into
    an apply form, so a new application must not rename someone or change their phone,
    language or time zone; the candidate changes those on their own status page
    (`portal.services.update_contact`), behind their private link.
    """
    existing = Candidate.objects.select_for_update().filter(org=org, email__iexact=email)
    candidate = existing.first()
    if candidate is not None:
        return candidate
    try:
        with transaction.atomic():  # a savepoint: losing the race must not spoil ours
            return Candidate.objects.create(
                org=org,
                email=email,
                name=name,
                greeting_name=greeting_name or guess_greeting_name(name),
                phone=phone,
                language=language,
                time_zone=time_zone,
                created_at=clock.now(),
            )
    except IntegrityError:
        return existing.get()


def apply(
    *,
    job: Job,
    name: str,
    email: str,
    phone: str = "",
    language: str = "en",
    time_zone: str = "",
    actor: Member | None = None,
    source: str = "",
    greeting_name: str = "",
) -> Application:
    """A candidate applies. Sends the acknowledgement with the respond-by date.

    Applying twice to the same job with the same email returns the first application and
    sends nothing new, unless the candidate withdrew it: then it is reopened at the first
    stage (see `_reopen`). An email the org already knows keeps the candidate's stored name,
    phone, language and time zone: what this call brings is used for new candidates only.
    """
    _check_actor(actor, job.org_id)
    errors: dict[str, list[str]] = {}
    clean_name = ""
    try:
        clean_name = clean_person_name(name, max_length=200)
    except ValidationError as error:
        errors["name"] = error.messages
    try:
        clean_email = clean_email_address(email)
    except ValidationError as error:
        errors["email"] = error.messages
    clean_greeting = ""
    if greeting_name.strip():
        try:
            clean_greeting = clean_person_name(greeting_name, max_length=names.MAX_LENGTH)
        except ValidationError as error:
            errors["greeting_name"] = error.messages
    clean_phone = single_line(phone, max_length=40)
    language = (language or "en").lower()
    if language not in SUPPORTED_LANGUAGES:
        errors["language"] = [f"Language “{single_line(language, max_length=10)}” is not offered."]
    time_zone = time_zone or job.org.time_zone
    if not is_valid_time_zone(time_zone):
        errors["time_zone"] = [f"Unknown time zone “{single_line(time_zone, max_length=64)}”."]
    if errors:
        raise HiringError(errors)
    if job.status != JobStatus.OPEN:
        raise HiringError("This job is not accepting applications.")

    org = job.org
    now = clock.now()
    with transaction.atomic():
        candidate = _find_or_create_candidate(
            org=org,
            name=clean_name,
            email=clean_email,
            phone=clean_phone,
            language=language,
            time_zone=time_zone,
            greeting_name=clean_greeting,
        )
        existing = Application.objects.filter(job=job, candidate=candidate).first()
        if existing is not None and existing.status != ApplicationStatus.WITHDRAWN:
            # Active, declined or hired: the same answer as a first application, so the
            # call tells nobody whether this address applied before.
            return existing
        first_stage = job.pipeline.stages.order_by("position").first()
        if first_stage is None:
            raise HiringError("This job's pipeline has no stages.")
        if existing is not None:
            # The candidate withdrew and was told they may apply again: the same
            # application (one per job and candidate) starts over at the first stage.
            return _reopen(existing, stage=first_stage, actor=actor, source=source, now=now)
        application = Application(
            org=org,
            job=job,
            candidate=candidate,
            stage=first_stage,
            stage_entered_at=now,
            created_at=now,
            last_contacted_at=now,
        )
        set_promise(application, promise_for(application, stage=first_stage, start=now))
        application.save()
        record_event(
            org=org,
            kind=EventKind.APPLIED,
            actor=actor,
            application=application,
            data={"source": source} if source else {},
        )
        tell_candidate(
            application,
            kind=MessageKind.ACKNOWLEDGEMENT,
            key=f"app:{application.pk}:ack",
            default=messages.ACKNOWLEDGEMENT,
            automated=True,
        )
        application.save(update_fields=["last_contacted_at", "last_automated_at"])
    return application


def _reopen(
    application: Application, *, stage: Stage, actor: Member | None, source: str, now: datetime
) -> Application:
    """A withdrawn application, applied for again: active at the first stage with a new
    promise, its own APPLIED event and a fresh acknowledgement. Called inside apply's
    transaction, with the candidate row locked, so two re-applies serialise."""
    application = _lock(application)
    if application.status != ApplicationStatus.WITHDRAWN:
        return application
    application.status = ApplicationStatus.ACTIVE
    application.stage = stage
    application.stage_entered_at = now
    application.decided_at = None
    application.decline_reason = ""
    application.extensions_used = 0
    application.last_contacted_at = now
    clear_pending_decline(application)
    set_promise(application, promise_for(application, stage=stage, start=now))
    application.save()
    data: dict[str, Any] = {"reopened": True}
    if source:
        data["source"] = source
    event = record_event(
        org=application.org,
        kind=EventKind.APPLIED,
        actor=actor,
        application=application,
        data=data,
    )
    # Keyed by the event: the first acknowledgement's key is taken, and each re-apply is
    # its own message.
    tell_candidate(
        application,
        kind=MessageKind.ACKNOWLEDGEMENT,
        key=f"app:{application.pk}:ack:{event.pk}",
        default=messages.ACKNOWLEDGEMENT,
        automated=True,
    )
    application.save(update_fields=["last_contacted_at", "last_automated_at"])
    return application


def set_promise(application: Application, respond_by: datetime | None) -> None:
    """A new promise starts unwatched: the watchdog reminds, nudges and updates afresh."""
    application.respond_by = respond_by
    application.promise_watch = PromiseWatch.PENDING


def tell_candidate(
    application: Application,
    *,
    kind: MessageKind,
    key: str,
    default: messages.DefaultTemplate,
    custom: messages.CustomTemplate | None = None,
    automated: bool = False,
    final: bool = False,
    extra: dict[str, Any] | None = None,
    required: bool = False,
) -> Message | None:
    """Queue a message to the candidate and remember when they last heard from us.

    The caller saves the application (inside the same transaction).
    """
    message = messages.send_to_candidate(
        application,
        kind=kind,
        key=key,
        default=default,
        custom=custom,
        automated=automated,
        final=final,
        extra=extra,
        required=required,
    )
    if message is not None:
        application.last_contacted_at = message.created_at
        if automated:
            application.last_automated_at = message.created_at
    return message


def _lock(application: Application) -> Application:
    """Re-read the application under a row lock, so concurrent decisions serialise."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("org", "job", "candidate", "stage")
        .get(pk=application.pk, org_id=application.org_id)
    )


def _require_active(application: Application) -> None:
    if application.status != ApplicationStatus.ACTIVE:
        raise NotActive(f"This application is already {application.get_status_display().lower()}.")


def move_to_stage(
    *, application: Application, stage: Stage, actor: Member | None, notify: bool = True
) -> Application:
    _check_actor(actor, application.org_id)
    with transaction.atomic():
        application = _lock(application)
        _require_active(application)
        if stage.pipeline_id != application.job.pipeline_id:
            raise HiringError("That stage belongs to another job's pipeline.")
        if stage.pk == application.stage_id:
            raise HiringError("The application is already in that stage.")
        now = clock.now()
        previous = application.stage
        application.stage = stage
        application.stage_entered_at = now
        application.extensions_used = 0
        set_promise(application, promise_for(application, stage=stage, start=now))
        event = record_event(
            org=application.org,
            kind=EventKind.STAGE_CHANGED,
            actor=actor,
            application=application,
            data={"from": previous.name, "to": stage.name},
        )
        # Only a change the candidate can see is worth a message: internal moves between
        # two "In review" stages stay quiet, but the new promise is still kept.
        visible = previous.coarse_stage != stage.coarse_stage
        if visible and notify:
            tell_candidate(
                application,
                kind=MessageKind.STAGE_UPDATE,
                key=f"app:{application.pk}:event:{event.pk}",
                default=messages.stage_default(stage.coarse_stage),
                custom=messages.stage_custom(stage),
            )
        application.save()
    return application


def preview_move(application: Application, stage: Stage) -> messages.Preview | None:
    """What moving into `stage` now would send (None when the candidate sees no change):
    rendered as `move_to_stage` renders it, with the new stage and its new promise set on a
    copy of the application, nothing saved."""
    if stage.coarse_stage == application.stage.coarse_stage:
        return None
    moved = copy.copy(application)
    moved.stage = stage
    moved.respond_by = promise_for(application, stage=stage, start=clock.now())
    return messages.preview_of(
        moved,
        default=messages.stage_default(stage.coarse_stage),
        custom=messages.stage_custom(stage),
    )


def preview_decline(
    application: Application, *, reason: str, subject: str = "", body: str = ""
) -> messages.Preview:
    """What declining for `reason` sends (now, or when a hold ends), rendered as `decline`
    renders it: the reason set and the promise cleared first, the typed text if any (checked
    as sending would check it: raises HiringError), else the reason's built-in text."""
    if subject or body:
        messages.validate(
            subject=subject or str(messages.DECLINE_SUBJECT),
            body=body or messages.decline_body(reason),
        )
    declined = copy.copy(application)
    declined.decline_reason = reason
    declined.pending_decline_reason = ""
    declined.respond_by = None
    return messages.preview_of(
        declined,
        default=messages.decline_default(reason),
        custom=messages.decline_custom(declined, subject, body),
    )


def preview_hire(application: Application) -> messages.Preview:
    """The "Welcome aboard" message hiring sends, rendered as `hire` renders it."""
    hired = copy.copy(application)
    hired.respond_by = None
    return messages.preview_of(hired, default=messages.HIRED)


def next_stage(application: Application) -> Stage | None:
    return (
        Stage.objects.filter(
            pipeline_id=application.stage.pipeline_id, position__gt=application.stage.position
        )
        .order_by("position")
        .first()
    )


def advance(*, application: Application, actor: Member | None) -> Application:
    stage = next_stage(application)
    if stage is None:
        raise HiringError("This is the last stage; hire or decline the candidate instead.")
    return move_to_stage(application=application, stage=stage, actor=actor)


def _finish(
    application: Application,
    *,
    status: str,
    kind: MessageKind,
    actor: Member | None,
    default: messages.DefaultTemplate,
    data: dict[str, Any],
    custom: messages.CustomTemplate | None = None,
    automated: bool = False,
) -> Application:
    application.status = status
    application.decided_at = clock.now()
    # From then on the post-decision survey step looks at it (heardback.portal.survey).
    application.survey_due_at = application.decided_at + SURVEY_DELAY_AFTER_FINAL
    set_promise(application, None)
    clear_pending_decline(application)
    event = record_event(
        org=application.org, kind=kind, actor=actor, application=application, data=data
    )
    tell_candidate(
        application,
        kind=kind,
        key=f"app:{application.pk}:final:{event.pk}",
        default=default,
        custom=custom,
        final=True,
        automated=automated,
    )
    application.save()
    return application


def clear_pending_decline(application: Application) -> None:
    application.pending_decline_at = None
    application.pending_hire = False
    application.pending_decline_reason = ""
    application.pending_decline_subject = ""
    application.pending_decline_body = ""
    application.pending_decline_by = None


def decline(
    *,
    application: Application,
    reason: str,
    actor: Member | None,
    subject: str = "",
    body: str = "",
) -> Application:
    """Decline with a reason; the candidate gets the kind message for that reason."""
    _check_actor(actor, application.org_id)
    if reason not in DeclineReason.values:
        raise HiringError(f"Unknown decline reason “{single_line(reason, max_length=40)}”.")
    with transaction.atomic():
        application = _lock(application)
        _require_active(application)
        application.decline_reason = reason
        return _finish(
            application,
            status=ApplicationStatus.DECLINED,
            kind=MessageKind.DECLINE,
            actor=actor,
            default=messages.decline_default(reason),
            custom=messages.decline_custom(application, subject, body),
            data={"reason": reason},
            automated=actor is None,
        )


def hire(*, application: Application, actor: Member | None) -> Application:
    _check_actor(actor, application.org_id)
    with transaction.atomic():
        application = _lock(application)
        _require_active(application)
        return _finish(
            application,
            status=ApplicationStatus.HIRED,
            kind=MessageKind.HIRED,
            actor=actor,
            default=messages.HIRED,
            data={},
        )


def withdraw(*, application: Application, actor: Member | None = None) -> Application:
    """The candidate (or a recruiter on their behalf) withdraws."""
    _check_actor(actor, application.org_id)
    with transaction.atomic():
        application = _lock(application)
        _require_active(application)
        return _finish(
            application,
            status=ApplicationStatus.WITHDRAWN,
            kind=MessageKind.WITHDRAWN,
            actor=actor,
            default=messages.WITHDRAWN,
            data={"by": "recruiter" if actor else "candidate"},
        )


def add_note(*, application: Application, text: str, actor: Member) -> Event:
    _check_actor(actor, application.org_id)
    text = text.strip()
    if not text:
        raise HiringError("A note can't be empty.")
    if len(text) > 10_000:
        raise HiringError("A note can be at most 10,000 characters.")
    return record_event(
        org=application.org,
        kind=EventKind.NOTE,
        actor=actor,
        application=application,
        data={"text": text},
    )


def record_outcome(
    *, application: Application, status: str, reason: str = "", actor: Member | None = None
) -> Application:
    """An outcome the candidate was told elsewhere (a connected ATS sends its own final
    message): recorded, the promise closed, and nothing sent from here."""
    _check_actor(actor, application.org_id)
    if status not in (ApplicationStatus.DECLINED, ApplicationStatus.HIRED):
        raise HiringError("Only a decline or a hire can be recorded.")
    with transaction.atomic():
        application = _lock(application)
        _require_active(application)
        application.status = status
        application.decided_at = clock.now()
        # No survey: it is asked only once our own final message went out, and here the
        # ATS sent it (the survey step would read the row only to let it go).
        application.survey_due_at = None
        if status == ApplicationStatus.DECLINED:
            application.decline_reason = reason or DeclineReason.OTHER
        set_promise(application, None)
        clear_pending_decline(application)
        record_event(
            org=application.org,
            kind=EventKind.OUTCOME_TOLD_ELSEWHERE,
            actor=actor,
            application=application,
            data={"status": status, "reason": application.decline_reason},
        )
        application.save()
    return application
