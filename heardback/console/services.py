"""Console writes that are not hiring decisions: invitations, job teams, templates, bulk
actions and the sign-in throttle. Hiring decisions go through heardback.hiring.services and
the engine (heardback.promises.services), never around them."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from heardback import clock
from heardback.console.models import BulkAction, BulkKind, DeclineTemplate, Invitation, JobTeam
from heardback.hiring import messages
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    DeclineReason,
    Job,
    JobStatus,
    Member,
    Role,
    Stage,
)
from heardback.messaging.headers import clean_email_address, single_line
from heardback.messaging.rendering import Rendered, TemplateError, render_message, render_string
from heardback.promises.policy import get_policy

INVITATION_DAYS = 7
BULK_LIMIT = 100_000
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 15 * 60


# --- sign-in throttle ---------------------------------------------------------------------


def _throttle_key(*, username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}|{ip}".encode()).hexdigest()
    return f"console:login-failures:{digest}"


def login_blocked(*, username: str, ip: str) -> bool:
    return int(cache.get(_throttle_key(username=username, ip=ip), 0)) >= LOGIN_MAX_FAILURES


def record_login_failure(*, username: str, ip: str) -> int:
    key = _throttle_key(username=username, ip=ip)
    if cache.add(key, 1, LOGIN_WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, LOGIN_WINDOW_SECONDS)
        return 1


def clear_login_failures(*, username: str, ip: str) -> None:
    cache.delete(_throttle_key(username=username, ip=ip))


# --- members and invitations --------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_member(*, org_member: Member, email: str, role: str) -> tuple[Invitation, str]:
    """Invite someone by email; returns the invitation and the raw token (sent, never stored)."""
    if org_member.role != Role.ADMIN:
        raise PermissionDenied("Only admins can invite members.")
    if role not in Role.values:
        raise HiringError({"role": ["Please choose a role."]})
    try:
        address = clean_email_address(email)
    except ValidationError as error:
        raise HiringError({"email": error.messages}) from error
    org = org_member.org
    if Member.objects.filter(org=org, user__email__iexact=address).exists():
        raise HiringError({"email": [f"{address} is already a member."]})
    token = secrets.token_urlsafe(32)  # 256 bits
    now = clock.now()
    invitation = Invitation.objects.create(
        org=org,
        email=address,
        role=role,
        token_hash=_hash_token(token),
        invited_by=org_member,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    link = settings.SITE_URL + reverse("console:accept_invite", kwargs={"token": token})
    # Through Django's mail API, which settings.MAILERS routes into the outbox.
    send_mail(
        subject=f"You are invited to {org.name} on Heardback",
        message=(
            f"Hello,\n\n{org_member.display_name} invited you to join {org.name} on Heardback "
            f"as {Role(role).label.lower()}.\n\nSet your password and sign in here (the link "
            f"works for {INVITATION_DAYS} days):\n{link}\n\nIf you did not expect this, you "
            "can ignore this email.\n"
        ),
        from_email=None,
        recipient_list=[address],
    )
    return invitation, token


def invitation_by_token(*, token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.filter(token_hash=_hash_token(token), accepted_at=None)
        .select_related("org")
        .first()
    )
    if invitation is None or invitation.expires_at <= clock.now():
        return None
    return invitation


def accept_invitation(*, token: str, name: str, password: str) -> Member:
    with transaction.atomic():
        invitation = invitation_by_token(token=token)
        if invitation is None:
            raise HiringError("This invitation has expired or was already used.")
        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(
            accepted_at=clock.now()
        )
        if not claimed:
            raise HiringError("This invitation was already used.")
        user_model = get_user_model()
        user = user_model.objects.filter(username__iexact=invitation.email).first()
        if user is not None and user.has_usable_password():
            # Someone who already has an account joins with it; an invitation never
            # replaces a password.
            if not user.check_password(password):
                raise HiringError(
                    {"password": ["This email already has an account: enter its password."]}
                )
        else:
            first, _, last = single_line(name, max_length=150).partition(" ")
            if user is None:
                user = user_model(username=invitation.email, email=invitation.email)
            user.first_name, user.last_name = first, last
            user.set_password(password)
            user.save()
        return hiring.add_member(org=invitation.org, user=user, role=invitation.role)


def change_role(*, actor: Member, member: Member, role: str) -> Member:
    if actor.role != Role.ADMIN or member.org_id != actor.org_id:
        raise PermissionDenied("Only admins can change roles.")
    if role not in Role.values:
        raise HiringError("Please choose a role.")
    if member.role == Role.ADMIN and role != Role.ADMIN:
        admins = Member.objects.filter(org_id=actor.org_id, role=Role.ADMIN).count()
        if admins <= 1:
            raise HiringError("An organisation needs at least one admin.")
    member.role = role
    member.save(update_fields=["role"])
    return member


def add_to_team(*, actor: Member, job: Job, member: Member) -> JobTeam:
    if actor.org_id != job.org_id or member.org_id != job.org_id:
        raise PermissionDenied("That belongs to another organisation.")
    team, _created = JobTeam.objects.get_or_create(org_id=job.org_id, job=job, member=member)
    return team


# --- templates ----------------------------------------------------------------------------


def decline_template(*, org_id: int, reason: str, language: str) -> tuple[str, str]:
    """(subject, body) for declining for `reason` in `language`: the org's or the default."""
    own = DeclineTemplate.objects.filter(org_id=org_id, reason=reason, language=language).first()
    if own is not None:
        return own.subject, own.body
    with translation.override(language):
        return str(messages.DECLINE_SUBJECT), messages.decline_body(reason)


def save_decline_template(
    *, actor: Member, reason: str, language: str, subject: str, body: str
) -> DeclineTemplate:
    if reason not in DeclineReason.values:
        raise HiringError({"reason": ["Unknown reason."]})
    check_template(subject=subject, body=body)
    template, _created = DeclineTemplate.objects.update_or_create(
        org_id=actor.org_id,
        reason=reason,
        language=language,
        defaults={
            "subject": single_line(subject),
            "body": body.strip() + "\n\n",
            "updated_at": clock.now(),
        },
    )
    return template


def save_stage_template(*, stage: Stage, subject: str, body: str) -> Stage:
    check_template(subject=subject, body=body)
    stage.subject_template = single_line(subject)
    stage.body_template = body.strip() + "\n\n" if body.strip() else ""
    stage.save(update_fields=["subject_template", "body_template"])
    return stage


def check_template(*, subject: str, body: str) -> None:
    errors: dict[str, list[str]] = {}
    if not single_line(subject):
        errors["subject"] = ["Please write a subject."]
    if not body.strip():
        errors["body"] = ["Please write the message."]
    for field, source in (("subject", subject), ("body", body)):
        try:
            render_string(source, {})
        except TemplateError as error:
            errors.setdefault(field, []).append(str(error))
    if errors:
        raise HiringError(errors)


def preview(*, application: Application, subject: str, body: str, **extra: Any) -> Rendered:
    """Render a template exactly as the candidate would get it, in their language."""
    with translation.override(application.candidate.language):
        context = messages.context_for(application, **extra)
        return render_message(subject, body + str(messages.SIGN_OFF), context)


# --- bulk actions -------------------------------------------------------------------------


def start_bulk(
    *,
    actor: Member,
    job: Job,
    application_ids: list[int],
    kind: str,
    stage: Stage | None = None,
    reason: str = "",
    subject: str = "",
    body: str = "",
) -> BulkAction:
    """Record a bulk decision; the scheduler step `run_bulk_actions` carries it out."""
    if actor.role not in (Role.ADMIN, Role.RECRUITER):
        raise PermissionDenied("Only admins and recruiters can act in bulk.")
    if job.org_id != actor.org_id:
        raise PermissionDenied("That belongs to another organisation.")
    if kind not in BulkKind.values:
        raise HiringError("Unknown bulk action.")
    if kind == BulkKind.MOVE and (stage is None or stage.pipeline_id != job.pipeline_id):
        raise HiringError({"stage": ["Choose a stage of this job."]})
    if kind == BulkKind.DECLINE:
        if reason not in DeclineReason.values:
            raise HiringError({"reason": ["Choose a reason."]})
        if body:  # empty: the reason's own template, in each candidate's language
            check_template(subject=subject, body=body)
    # Only this job's active applications, whatever ids were posted.
    ids = (
        list(
            Application.objects.filter(
                org_id=actor.org_id,
                job=job,
                status=ApplicationStatus.ACTIVE,
                pk__in=application_ids,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if len(application_ids) <= 5000
        else _ids_in_chunks(actor, job, application_ids)
    )
    if not ids:
        raise HiringError("No active applications are selected.")
    if len(ids) > BULK_LIMIT:
        raise HiringError(f"At most {BULK_LIMIT:,} applications at once, please.")
    return BulkAction.objects.create(
        org_id=actor.org_id,
        job=job,
        created_by=actor,
        kind=kind,
        stage=stage,
        reason=reason,
        subject=single_line(subject),
        body=body,
        application_ids=ids,
        total=len(ids),
        created_at=clock.now(),
    )


def _ids_in_chunks(actor: Member, job: Job, application_ids: list[int]) -> list[int]:
    """`pk IN (...)` with tens of thousands of parameters breaks SQLite; go in slices."""
    wanted = sorted(set(application_ids))
    found: list[int] = []
    for start in range(0, len(wanted), 5000):
        found += Application.objects.filter(
            org_id=actor.org_id,
            job=job,
            status=ApplicationStatus.ACTIVE,
            pk__in=wanted[start : start + 5000],
        ).values_list("pk", flat=True)
    return sorted(found)


# --- jobs ---------------------------------------------------------------------------------


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
            org=job.org, kind="job_on_hold" if on_hold else "job_resumed", actor=actor, job=job
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
            check_template(subject=closeout_subject or "-", body=closeout_body)
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
        for stage in Stage.objects.filter(org_id=job.org_id, pipeline_id=job.pipeline_id):
            if stage.pk in stages:
                name, days = stages[stage.pk]
                stage.name, stage.promise_business_days = single_line(name, max_length=100), days
                stage.save(update_fields=["name", "promise_business_days"])
        hiring.record_event(org=job.org, kind="job_edited", actor=actor, job=job)
    return job


def stop_bulk(*, bulk: BulkAction) -> bool:
    """Stop after the chunk in progress; returns False if it had already finished."""
    return bool(
        BulkAction.objects.filter(pk=bulk.pk, finished_at=None).update(finished_at=clock.now())
    )
