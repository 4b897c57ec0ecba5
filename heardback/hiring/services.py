"""Everything that changes hiring state. Plain functions, keyword-only arguments.

Each candidate-visible change writes its message to the outbox inside the same transaction,
so the change and its message commit together or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from heardback import clock
from heardback.clock.business import UnknownCountry, deadline_after, is_valid_time_zone
from heardback.hiring import messages
from heardback.hiring.errors import HiringError, NotActive
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Candidate,
    CoarseStage,
    DeclineReason,
    Event,
    Job,
    JobStatus,
    Member,
    Org,
    Pipeline,
    PromiseWatch,
    Role,
    Stage,
)
from heardback.messaging.headers import clean_email_address, single_line
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
        record_event(org=org, kind="job_created", actor=actor, job=job, data={"title": title})
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


def _upsert_candidate(
    *, org: Org, name: str, email: str, phone: str, language: str, time_zone: str
) -> Candidate:
    """The org's candidate with this email, created or updated, and locked for this
    transaction: two simultaneous applies by one person serialise here, so the second finds
    the first one's application instead of making another."""
    existing = Candidate.objects.select_for_update().filter(org=org, email__iexact=email)
    candidate = existing.first()
    if candidate is None:
        try:
            with transaction.atomic():  # a savepoint: losing the race must not spoil ours
                return Candidate.objects.create(
                    org=org,
                    email=email,
                    name=name,
                    phone=phone,
                    language=language,
                    time_zone=time_zone,
                    created_at=clock.now(),
                )
        except IntegrityError:
            candidate = existing.get()
    candidate.name = name
    if phone:
        candidate.phone = phone
    candidate.language = language
    candidate.time_zone = time_zone
    candidate.save()
    return candidate


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
) -> Application:
    """A candidate applies. Sends the acknowledgement with the respond-by date.

    Applying twice to the same job with the same email returns the first application and
    sends nothing new.
    """
    _check_actor(actor, job.org_id)
    errors: dict[str, list[str]] = {}
    clean_name = single_line(name, max_length=200)
    if not clean_name:
        errors["name"] = ["Please enter your name."]
    try:
        clean_email = clean_email_address(email)
    except ValidationError as error:
        errors["email"] = error.messages
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
        candidate = _upsert_candidate(
            org=org,
            name=clean_name,
            email=clean_email,
            phone=clean_phone,
            language=language,
            time_zone=time_zone,
        )
        existing = Application.objects.filter(job=job, candidate=candidate).first()
        if existing is not None:
            return existing
        first_stage = job.pipeline.stages.order_by("position").first()
        if first_stage is None:
            raise HiringError("This job's pipeline has no stages.")
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
            kind="applied",
            actor=actor,
            application=application,
            data={"source": source} if source else {},
        )
        tell_candidate(
            application,
            kind="acknowledgement",
            key=f"app:{application.pk}:ack",
            subject_template=messages.ACKNOWLEDGEMENT.subject,
            body_template=messages.ACKNOWLEDGEMENT.body,
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
    kind: str,
    key: str,
    subject_template: str,
    body_template: str,
    automated: bool = False,
    final: bool = False,
    extra: dict[str, Any] | None = None,
) -> Message | None:
    """Queue a message to the candidate and remember when they last heard from us.

    The caller saves the application (inside the same transaction).
    """
    message = messages.send_to_candidate(
        application,
        kind=kind,
        key=key,
        subject_template=subject_template,
        body_template=body_template,
        automated=automated,
        final=final,
        extra=extra,
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
            kind="stage_changed",
            actor=actor,
            application=application,
            data={"from": previous.name, "to": stage.name},
        )
        # Only a change the candidate can see is worth a message: internal moves between
        # two "In review" stages stay quiet, but the new promise is still kept.
        visible = previous.coarse_stage != stage.coarse_stage
        if visible and notify:
            default = messages.STAGE_UPDATES[stage.coarse_stage]
            tell_candidate(
                application,
                kind="stage_update",
                key=f"app:{application.pk}:event:{event.pk}",
                subject_template=stage.subject_template or default.subject,
                body_template=stage.body_template or default.body,
            )
        application.save()
    return application


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
    kind: str,
    actor: Member | None,
    subject: str,
    body: str,
    data: dict[str, Any],
    automated: bool = False,
) -> Application:
    application.status = status
    application.decided_at = clock.now()
    set_promise(application, None)
    clear_pending_decline(application)
    event = record_event(
        org=application.org, kind=kind, actor=actor, application=application, data=data
    )
    tell_candidate(
        application,
        kind=kind,
        key=f"app:{application.pk}:final:{event.pk}",
        subject_template=subject,
        body_template=body,
        final=True,
        automated=automated,
    )
    application.save()
    return application


def clear_pending_decline(application: Application) -> None:
    application.pending_decline_at = None
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
            kind="decline",
            actor=actor,
            subject=subject or messages.DECLINE_SUBJECT,
            body=body or messages.decline_body(reason),
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
            kind="hired",
            actor=actor,
            subject=messages.HIRED.subject,
            body=messages.HIRED.body,
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
            kind="withdrawn",
            actor=actor,
            subject=messages.WITHDRAWN.subject,
            body=messages.WITHDRAWN.body,
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
        kind="note",
        actor=actor,
        application=application,
        data={"text": text},
    )
