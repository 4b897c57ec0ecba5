"""Emails to the hiring team about legal deadlines: a reminder, a nudge with one-click
decision links, and (where only a decision answers the duty) an escalation to admins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings

from heardback import clock
from heardback.compliance.models import AnswerDuty
from heardback.hiring.messages import format_respond_by
from heardback.hiring.models import Application, Member
from heardback.messaging.kinds import MessageKind
from heardback.promises.links import issue_link
from heardback.promises.models import ActionKind
from heardback.promises.team_mail import digest_key, send_team_mail

MAX_LINKED = 25

Item = tuple[Application, AnswerDuty]


def _key(kind: str, member: Member, items: Sequence[Item], now: datetime) -> str:
    return digest_key(f"legal-{kind}", member, [duty.pk for _a, duty in items], now)


def _line(application: Application, duty: AnswerDuty) -> str:
    _short, long = format_respond_by(
        duty.due_at, time_zone=application.org.time_zone, language="en"
    )
    return (
        f"- {application.candidate.name}, {application.job.title}: interviewed, the law "
        f"requires an answer by the end of {long}"
    )


def send_reminder(member: Member, items: Sequence[Item]) -> None:
    now = clock.now()
    lines = "\n".join(_line(a, d) for a, d in items[:MAX_LINKED])
    more = len(items) - MAX_LINKED
    send_team_mail(
        member,
        kind=MessageKind.TEAM_REMINDER,
        key=_key("reminder", member, items, now),
        subject=f"Legal deadline: {len(items)} interviewed candidate(s) are owed an answer",
        text=(
            f"Hello {member.display_name},\n\n"
            f"The law requires that {len(items)} interviewed candidate(s) are told whether a "
            "hiring decision has been made. A decision now keeps it:\n\n"
            f"{lines}\n" + (f"…and {more} more.\n" if more > 0 else "") + "\nIf nobody "
            "decides, they get an honest notice that no decision has been made yet before "
            f"the deadline.\n\nCompliance page: {settings.SITE_URL}/app/compliance/\n"
        ),
    )


def send_nudge(member: Member, items: Sequence[Item]) -> None:
    now = clock.now()
    blocks = []
    for application, duty in items[:MAX_LINKED]:
        links = {
            kind: issue_link(application=application, member=member, kind=kind)
            for kind in (ActionKind.ADVANCE, ActionKind.DECLINE)
        }
        blocks.append(
            _line(application, duty)
            + f"\n  Advance: {links[ActionKind.ADVANCE]}"
            + f"\n  Decline: {links[ActionKind.DECLINE]}"
        )
    more = len(items) - MAX_LINKED
    send_team_mail(
        member,
        kind=MessageKind.TEAM_NUDGE,
        key=_key("nudge", member, items, now),
        subject=f"Legal deadline soon: {len(items)} interviewed candidate(s) need a decision",
        text=(
            f"Hello {member.display_name},\n\n"
            "These interviewed candidates must be told within days whether a hiring decision "
            "has been made. Each link opens a confirmation page; nothing happens until you "
            "confirm.\n\n"
            + "\n\n".join(blocks)
            + (f"\n\n…and {more} more: {settings.SITE_URL}/app/compliance/" if more > 0 else "")
            + "\n"
        ),
    )


def send_escalation(admin: Member, items: Sequence[Item]) -> None:
    now = clock.now()
    lines = "\n".join(_line(a, d) for a, d in items[:MAX_LINKED])
    send_team_mail(
        admin,
        kind=MessageKind.TEAM_ESCALATION,
        key=_key("escalation", admin, items, now),
        subject=f"Legal deadline: {len(items)} interviewed candidate(s) still need a decision",
        text=(
            f"Hello {admin.display_name},\n\n"
            "Your organisation's setting is that only a decision answers the legal duty to "
            "interviewed candidates, and these still have none:\n\n" + lines + "\n\n"
            f"Compliance page: {settings.SITE_URL}/app/compliance/\n"
        ),
    )
