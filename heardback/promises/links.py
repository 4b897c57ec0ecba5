"""One-click decision links for nudge emails.

A link is a random token (256 bits) whose SHA-256 is stored with the member it was sent to,
the application, the action and an expiry. Opening it shows a confirmation page; only a POST
by that member, signed in, acts, and only once, and only while they may still decide on the
application (`check_access`): a link outlives nobody's access.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from heardback import clock
from heardback.hiring.models import Application, Job, Member, Role
from heardback.promises.models import ActionLink

LINK_LIFETIME = timedelta(days=7)
# Who decides on any application of their org; a hiring manager decides on the jobs they own
# (nudges, and so these links, go to the job's owner).
DECIDES_ON_EVERY_JOB = frozenset({Role.ADMIN, Role.RECRUITER})


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(*, application: Application, member: Member, kind: str) -> str:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    ActionLink.objects.create(
        org_id=application.org_id,
        application=application,
        member=member,
        kind=kind,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )
    return f"{settings.SITE_URL}/engine/act/{token}/"


class LinkRefused(Exception):
    """Why a link can't be used, in words for the person holding it."""

    def __init__(self, title: str, detail: str, status: int = 410) -> None:
        super().__init__(title)
        self.title = title
        self.detail = detail
        self.status = status


@dataclass(frozen=True)
class UsableLink:
    link: ActionLink
    application: Application


def check_link(*, token: str, user: object) -> UsableLink:
    link = (
        ActionLink.objects.select_related(
            "member__user", "application__job", "application__candidate"
        )
        .filter(token_hash=_hash(token))
        .first()
    )
    if link is None:
        raise LinkRefused(
            "This link is not valid",
            "It may have been copied incompletely. Open the application from your dashboard.",
            status=404,
        )
    if link.member.user_id != getattr(user, "pk", None):
        raise LinkRefused(
            "This link was sent to someone else",
            "Decision links work only for the person they were emailed to.",
            status=403,
        )
    if link.used_at is not None:
        raise LinkRefused(
            "This link has already been used",
            "Each decision link works once. Open the application to see where it stands.",
        )
    if link.expires_at <= clock.now():
        raise LinkRefused(
            "This link has expired",
            "Decision links last a week. Open the application to decide from there.",
        )
    check_access(link)
    if link.application.status != "active":
        raise LinkRefused(
            "This application is already decided",
            f"It is {link.application.get_status_display().lower()}; nothing more to do.",
        )
    return UsableLink(link=link, application=link.application)


def check_access(link: ActionLink) -> None:
    """Refuse a link whose member may no longer decide on its application.

    Read afresh from the database (not from the link's loaded member), because the point
    is what is true now: the member left the org, changed role, or the job changed owner
    since the email went out.
    """
    member = (
        Member.objects.filter(pk=link.member_id, org_id=link.org_id).select_related("user").first()
    )
    application = link.application
    owner_id = Job.objects.filter(pk=application.job_id).values_list("owner_id", flat=True).first()
    allowed = (
        member is not None
        and member.user.is_active
        and application.org_id == link.org_id
        and (member.role in DECIDES_ON_EVERY_JOB or owner_id == member.pk)
    )
    if not allowed:
        raise LinkRefused(
            "You no longer have access to this application",
            "Your role or the job's owner changed after this link was sent. If you still "
            "work on this job, open the application from your dashboard.",
            status=403,
        )


def consume(link: ActionLink) -> bool:
    """Mark the link used, exactly once (compare-and-set): False if someone beat us to it."""
    return bool(
        ActionLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=clock.now())
    )
