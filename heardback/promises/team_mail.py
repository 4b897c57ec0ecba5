"""Emails to the hiring team: reminders before a promise falls due, nudges when it does,
escalations past the extension cap. One digest per person per sweep, not one per candidate."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings

from heardback import clock
from heardback.hiring.messages import format_respond_by
from heardback.hiring.models import Application, Member
from heardback.messaging.rendering import Rendered, text_to_html
from heardback.messaging.services import enqueue
from heardback.promises.links import issue_link
from heardback.promises.models import ActionKind

MAX_LINKED = 25  # a digest lists this many candidates with one-click links; the rest by count


def digest_key(kind: str, member: Member, ids: Sequence[int], now: datetime) -> str:
    """The idempotency key of one team digest: its kind, its reader, what it lists, when."""
    joined = ",".join(str(pk) for pk in ids)
    digest = hashlib.sha256(f"{joined}|{now.isoformat()}".encode()).hexdigest()[:24]
    return f"team:{kind}:{member.pk}:{digest}"


def _key(kind: str, member: Member, applications: Sequence[Application], now: datetime) -> str:
    return digest_key(kind, member, [a.pk for a in applications], now)


def _line(application: Application, member: Member) -> str:
    short, _long = format_respond_by(
        application.respond_by, time_zone=application.org.time_zone, language="en"
    )
    return (
        f"- {application.candidate.name}, {application.job.title} "
        f"({application.stage.name}), promised by {short}"
    )


def send_team_mail(member: Member, *, kind: str, subject: str, text: str, key: str) -> None:
    enqueue(
        idempotency_key=key,
        to_email=member.email,
        to_name=member.display_name,
        rendered=Rendered(subject=subject, text=text, html=text_to_html(text)),
        kind=kind,
        org_id=member.org_id,
        automated=True,
    )


def send_reminder(member: Member, applications: Sequence[Application]) -> None:
    now = clock.now()
    lines = "\n".join(_line(a, member) for a in applications[:MAX_LINKED])
    more = len(applications) - MAX_LINKED
    text = (
        f"Hello {member.display_name},\n\n"
        f"{len(applications)} candidate(s) were promised an answer soon. A decision now, "
        "or a note that you need more time, keeps that promise:\n\n"
        f"{lines}\n"
        + (f"…and {more} more.\n" if more > 0 else "")
        + f"\nOpen your board: {settings.SITE_URL}/app/\n"
    )
    send_team_mail(
        member,
        kind="team_reminder",
        key=_key("reminder", member, applications, now),
        subject=f"Reminder: {len(applications)} candidate(s) are due an answer soon",
        text=text,
    )


def send_nudge(member: Member, applications: Sequence[Application]) -> None:
    now = clock.now()
    blocks = []
    for application in applications[:MAX_LINKED]:
        links = {
            kind: issue_link(application=application, member=member, kind=kind)
            for kind in (ActionKind.ADVANCE, ActionKind.DECLINE, ActionKind.EXTEND)
        }
        blocks.append(
            _line(application, member)
            + f"\n  Advance: {links[ActionKind.ADVANCE]}"
            + f"\n  Decline: {links[ActionKind.DECLINE]}"
            + f"\n  Need more days: {links[ActionKind.EXTEND]}"
        )
    more = len(applications) - MAX_LINKED
    text = (
        f"Hello {member.display_name},\n\n"
        f"The answer we promised {len(applications)} candidate(s) is due now. Each link opens a "
        "confirmation page; nothing happens until you confirm.\n\n"
        + "\n\n".join(blocks)
        + (f"\n\n…and {more} more on your board: {settings.SITE_URL}/app/" if more > 0 else "")
        + "\n\nIf nobody decides, the candidate gets an honest 'no decision yet' update soon.\n"
    )
    send_team_mail(
        member,
        kind="team_nudge",
        key=_key("nudge", member, applications, now),
        subject=f"Due now: {len(applications)} candidate(s) are waiting for your decision",
        text=text,
    )


def send_escalation(admin: Member, applications: Sequence[Application]) -> None:
    now = clock.now()
    lines = "\n".join(_line(a, admin) for a in applications[:MAX_LINKED])
    text = (
        f"Hello {admin.display_name},\n\n"
        f"{len(applications)} candidate(s) have had every automatic extension and still have "
        "no decision. They have been told honestly that there is no news yet. Please make "
        "sure someone decides:\n\n" + lines + "\n"
    )
    send_team_mail(
        admin,
        kind="team_escalation",
        key=_key("escalation", admin, applications, now),
        subject=f"Escalation: {len(applications)} candidate(s) still without a decision",
        text=text,
    )
