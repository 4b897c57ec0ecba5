"""What needs a person in an org, where the people are: a banner on every console page for
admins and recruiters, and a daily email to the org's admins.

The problems themselves (failing templates, items that keep failing) are read by
`heardback.runtime.selectors`; this module only decides who sees them and when.

`send_problem_digests` is a scheduler step. It claims each org's day by compare-and-set on
`ProblemDigest.last_sent_on`, so several schedulers can run at once, and writes to the
outbox with an idempotency key per org, admin and day, so even a crash between the claim
and the email can't send a second digest. Nothing is sent on a day without problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from heardback import clock
from heardback.clock.business import UnknownTimeZone, zone
from heardback.console.models import ProblemDigest
from heardback.hiring.models import Member, Org, Role
from heardback.messaging.kinds import MessageKind
from heardback.messaging.rendering import Rendered, text_to_html
from heardback.messaging.services import enqueue
from heardback.runtime import selectors
from heardback.runtime.isolation import ItemGuard

SEES_PROBLEMS = (Role.ADMIN, Role.RECRUITER)  # they can fix templates; managers can't
BANNER_LINES = 3
DIGEST_LINES = 20
SEND_FROM = time(7, 0)  # the org's local time: a morning email, never one at 3 a.m.


@dataclass(frozen=True)
class Banner:
    count: int = 0
    problems: list[selectors.Problem] = field(default_factory=list)


def banner(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `problems_banner` for a signed-in admin or recruiter on a console page.

    Lazy, so only a page that shows it pays its query (htmx fragments don't).
    """
    member: Member | None = getattr(request, "member", None)  # set by console_view
    if member is None or member.role not in SEES_PROBLEMS:
        return {}
    return {"problems_banner": SimpleLazyObject(partial(_banner, member))}


def _banner(member: Member) -> Banner:
    count, problems = selectors.problem_summary(
        org_id=member.org_id, now=clock.now(), time_zone=member.org.time_zone, show=BANNER_LINES
    )
    return Banner(count=count, problems=problems)


# --- the admins' daily digest ---------------------------------------------------------------


def _local(now: datetime, time_zone: str) -> datetime:
    try:
        return now.astimezone(zone(time_zone))
    except UnknownTimeZone:
        return now.astimezone(zone("UTC"))


def send_problem_digests(*, now: datetime, limit: int) -> int:
    """Scheduler step: mail each org's admins its problems once a day; returns orgs mailed."""
    org_ids = selectors.orgs_with_problems(now=now)
    if not org_ids:
        return 0
    sent_on = dict(
        ProblemDigest.objects.filter(org_id__in=org_ids).values_list("org_id", "last_sent_on")
    )
    guard = ItemGuard("send_problem_digests", now=now)
    mailed = 0
    for org_id, time_zone in Org.objects.filter(pk__in=org_ids).values_list("pk", "time_zone"):
        if mailed >= limit or guard.out_of_time:
            break
        local = _local(now, time_zone)
        last = sent_on.get(org_id)
        if local.time() < SEND_FROM or (last is not None and last >= local.date()):
            continue
        mailed += (
            guard.run(
                f"org:{org_id}",
                partial(_send_digest, org_id, now=now, today=local.date()),
                org_id=org_id,
                label="the admins' daily problems email",
            )
            or 0
        )
    return mailed


def _send_digest(org_id: int, *, now: datetime, today: date) -> int:
    org = Org.objects.get(pk=org_id)
    problems = selectors.problems_for_org(org_id=org_id, now=now, time_zone=org.time_zone)
    if not problems:
        return 0  # resolved since the round began: the day stays unclaimed
    ProblemDigest.objects.bulk_create([ProblemDigest(org_id=org_id)], ignore_conflicts=True)
    claimed = (
        ProblemDigest.objects.filter(org_id=org_id)
        .filter(Q(last_sent_on__isnull=True) | Q(last_sent_on__lt=today))
        .update(last_sent_on=today)
    )
    if not claimed:
        return 0  # another scheduler took this org's day
    admins = Member.objects.filter(org_id=org_id, role=Role.ADMIN).select_related("user")
    for admin in admins.order_by("pk"):
        enqueue(
            idempotency_key=f"team-problems:{org_id}:{admin.pk}:{today.isoformat()}",
            to_email=admin.email,
            to_name=admin.display_name,
            rendered=render_digest(admin=admin, org=org, problems=problems),
            kind=MessageKind.TEAM_PROBLEMS,
            org_id=org_id,
            automated=True,
        )
    return 1


def render_digest(*, admin: Member, org: Org, problems: list[selectors.Problem]) -> Rendered:
    n = len(problems)
    things = "1 thing needs" if n == 1 else f"{n} things need"
    page = reverse("console:problems")
    lines = [f"- {problem.line}" for problem in problems[:DIGEST_LINES]]
    if n > DIGEST_LINES:
        lines.append(f"…and {n - DIGEST_LINES} more.")
    text = (
        f"Hello {admin.display_name},\n\n"
        f"{things} a person at {org.name}. Your candidates still hear back (a template that "
        "fails is replaced by the built-in text, and failing work is retried), but these "
        "will not fix themselves:\n\n"
        + "\n".join(lines)
        + f"\n\nSee them all, with links to fix each: {settings.SITE_URL}{page}\n\n"
        "You get this email at most once a day, and only on days when something needs you.\n"
    )
    subject = f"{things} you at {org.name}"
    return Rendered(subject=subject, text=text, html=text_to_html(text))
