"""Console writes that are not hiring decisions: invitations, job teams, templates, bulk
actions and the sign-in throttle. Hiring decisions go through heardback.hiring.services and
the engine (heardback.promises.services), never around them."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
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
    EventKind,
    Job,
    Member,
    Role,
    Stage,
)
from heardback.messaging.headers import clean_email_address, single_line
from heardback.messaging.rendering import Rendered
from heardback.web.limits import FailureThrottle

INVITATION_DAYS = 7
BULK_LIMIT = 100_000
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 15 * 60


# --- sign-in throttle ---------------------------------------------------------------------
# Counted in the shared store (heardback.web.limits), so every web process sees the same
# failures; `ip` is the client's address as heardback.web.client finds it.
LOGIN_THROTTLE = FailureThrottle("console-login", LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECONDS)


def login_blocked(*, username: str, ip: str) -> bool:
    return LOGIN_THROTTLE.blocked(username=username, address=ip)


def record_login_failure(*, username: str, ip: str) -> int:
    return LOGIN_THROTTLE.record_failure(username=username, address=ip)


def clear_login_failures(*, username: str, ip: str) -> None:
    LOGIN_THROTTLE.clear(username=username, address=ip)


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


@dataclass(frozen=True)
class Handover:
    """What removing a member hands over to their successor (the preview, and the result)."""

    jobs: list[Job]
    open_promises: int  # candidates in process in those jobs: their reminders and nudges
    held_declines: int  # declines they held that are still to be sent
    team_jobs: list[Job]  # jobs they were on the team of (they leave those teams)
    api_keys: int
    connections: int


def _handover(member: Member) -> Handover:
    from heardback.api.models import ApiKey
    from heardback.bridges.models import Connection

    org_id = member.org_id
    jobs = list(Job.objects.filter(org_id=org_id, owner=member).order_by("title", "pk"))
    return Handover(
        jobs=jobs,
        open_promises=Application.objects.filter(
            org_id=org_id, job__in=[j.pk for j in jobs], status=ApplicationStatus.ACTIVE
        ).count(),
        held_declines=Application.objects.filter(
            org_id=org_id, pending_decline_by=member, status=ApplicationStatus.ACTIVE
        ).count(),
        team_jobs=list(
            Job.objects.filter(org_id=org_id, team__member=member).order_by("title", "pk")
        ),
        api_keys=ApiKey.objects.filter(org_id=org_id, created_by=member).count(),
        connections=Connection.objects.filter(org_id=org_id, created_by=member).count(),
    )


def _check_removal(*, actor: Member, member: Member, successor: Member | None) -> None:
    if actor.role != Role.ADMIN or member.org_id != actor.org_id:
        raise PermissionDenied("Only admins can remove members.")
    if member.pk == actor.pk:
        raise HiringError("You can't remove yourself; ask another admin.")
    if member.role == Role.ADMIN:
        others = Member.objects.filter(org_id=actor.org_id, role=Role.ADMIN).exclude(pk=member.pk)
        if not others.exists():
            raise HiringError("An organisation needs at least one admin; this is the last one.")
    if successor is not None and (successor.org_id != actor.org_id or successor.pk == member.pk):
        raise HiringError({"successor": ["Choose another member of this organisation."]})


def removal_preview(*, actor: Member, member: Member) -> Handover:
    """What `remove_member` would hand over, without changing anything."""
    _check_removal(actor=actor, member=member, successor=None)
    return _handover(member)


def remove_member(*, actor: Member, member: Member, successor: Member | None) -> Handover:
    """Remove `member` from the org, handing their jobs (and with them every open promise's
    reminders and nudges), the declines they held, their API keys and ATS connections to
    `successor`. The user account stays (it may belong to other orgs); links already
    emailed to the removed member stop working. The last admin can't be removed."""
    from heardback.api.models import ApiKey
    from heardback.bridges.models import Connection

    if successor is None:
        raise HiringError({"successor": ["Choose who takes over their jobs and promises."]})
    with transaction.atomic():
        # Lock the org's admins, so two admins removing each other at once can't leave
        # the organisation without one: the second waits, then sees one admin left.
        list(
            Member.objects.select_for_update()
            .filter(org_id=actor.org_id, role=Role.ADMIN)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        member = Member.objects.select_related("user", "org").get(pk=member.pk)
        _check_removal(actor=actor, member=member, successor=successor)
        handover = _handover(member)
        org_id = member.org_id
        Job.objects.filter(org_id=org_id, owner=member).update(owner=successor)
        Application.objects.filter(org_id=org_id, pending_decline_by=member).update(
            pending_decline_by=successor
        )
        ApiKey.objects.filter(org_id=org_id, created_by=member).update(created_by=successor)
        Connection.objects.filter(org_id=org_id, created_by=member).update(created_by=successor)
        hiring.record_event(
            org=member.org,
            kind=EventKind.MEMBER_REMOVED,
            actor=actor,
            data={
                "member": member.display_name,
                "email": member.email,
                "successor": successor.display_name,
                "jobs": [job.pk for job in handover.jobs],
                "open_promises": handover.open_promises,
                "held_declines": handover.held_declines,
            },
        )
        member.delete()  # their job teams and one-click links go with them
    return handover


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
    messages.template_fixed(f"stage:{stage.pk}")
    return stage


def check_template(*, subject: str, body: str, close_out: bool = False) -> None:
    """Refuse a template that would fail for any candidate (see `messages.validate`)."""
    errors: dict[str, list[str]] = {}
    if not single_line(subject):
        errors["subject"] = ["Please write a subject."]
    if not body.strip():
        errors["body"] = ["Please write the message."]
    if errors:
        raise HiringError(errors)
    messages.validate(subject=subject, body=body, close_out=close_out)


def preview(*, application: Application, subject: str, body: str, **extra: Any) -> Rendered:
    """Render a template exactly as the candidate would get it, in their language.

    Writes nothing and mints no link (the status link shows as private).
    """
    return messages.preview(application, subject=subject, body=body, extra=extra)


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


def stop_bulk(*, bulk: BulkAction) -> bool:
    """Stop after the chunk in progress; returns False if it had already finished."""
    return bool(
        BulkAction.objects.filter(pk=bulk.pk, finished_at=None).update(finished_at=clock.now())
    )
