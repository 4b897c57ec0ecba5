"""The opt-in daily digest: "Needs you today", by email, once a day per seeker.

`send_daily_digests` is a scheduler step (`def step(*, now, limit) -> int`). It claims each
seeker's day by compare-and-set on `digest_last_sent_on`, so several schedulers can run at
once, and writes to the outbox with an idempotency key per seeker and day, so even a crash
between the claim and the email can't produce a second digest. Nothing is sent on quiet days,
and nothing ever to an address its owner has not confirmed (anyone can sign up with anyone's
address).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from heardback.clock.business import zone
from heardback.messaging.rendering import Rendered, text_to_html
from heardback.messaging.services import enqueue

from . import selectors
from .models import SeekerProfile
from .services import unsubscribe_url

SEND_FROM = time(7, 0)  # local time: a digest for the morning coffee, never at 3 a.m.


def send_daily_digests(*, now: datetime, limit: int) -> int:
    """Queue today's digest for up to `limit` opted-in seekers; returns how many were queued."""
    latest_local_day = (now + timedelta(days=1)).date()
    candidates = (
        SeekerProfile.objects.filter(digest_opt_in=True, email_confirmed_at__isnull=False)
        .filter(Q(digest_last_sent_on__isnull=True) | Q(digest_last_sent_on__lt=latest_local_day))
        .select_related("user")
        .order_by("digest_last_sent_on", "id")
    )
    queued = 0
    # A bounded list, not a cursor: we write while we walk it (SQLite dislikes both at once).
    for profile in list(candidates[: max(limit * 5, 100)]):
        if queued >= limit:
            break
        local = now.astimezone(zone(profile.time_zone))
        today = local.date()
        if local.time() < SEND_FROM:
            continue
        if profile.digest_last_sent_on is not None and profile.digest_last_sent_on >= today:
            continue
        with transaction.atomic():
            # The address must still be the confirmed one (it may have changed since the read).
            claimed = SeekerProfile.objects.filter(
                pk=profile.pk,
                digest_last_sent_on=profile.digest_last_sent_on,
                email=profile.email,
                email_confirmed_at__isnull=False,
            ).update(digest_last_sent_on=today)
            if not claimed:
                continue  # another scheduler took this seeker's day
            summary = selectors.needs_today(profile=profile, today=today)
            if summary.count == 0:
                continue
            enqueue(
                idempotency_key=f"seeker-digest:{profile.user_id}:{today.isoformat()}",
                to_email=profile.email,
                to_name=profile.full_name,
                rendered=render_digest(profile=profile, summary=summary),
                kind="seeker_digest",
                automated=True,
                # Seeker mail has its own address, apart from the employer-side mail, and
                # carries a one-click unsubscribe (RFC 8058) that mail clients show.
                from_email=settings.SEEKER_FROM_EMAIL,
                list_unsubscribe=unsubscribe_url(profile),
            )
            queued += 1
    return queued


def render_digest(*, profile: SeekerProfile, summary: selectors.Today) -> Rendered:
    n = summary.count
    subject = f"Needs you today: {n} thing{'s' if n != 1 else ''} for your job search"
    lines = [f"Hi {profile.full_name.split()[0] if profile.full_name else 'there'},",
             ""]  # fmt: skip
    sections = [
        ("Thank-you notes owed", summary.thank_yous),
        ("Follow-ups due", summary.follow_ups),
        ("Promised dates passing", summary.promises),
        ("Time to let go", summary.to_close),
    ]
    for heading, items in sections:
        if not items:
            continue
        lines.append(heading + ":")
        for item in items:
            lines.append(f"- {item.title}, for the {item.role} role\n  {item.detail}")
        lines.append("")
    lines += [
        "Short and kind beats long and perfect. You've got this.",
        "",
        f"Open your list: {settings.SITE_URL}/seeker/",
        "",
        "We never send anything to employers for you; every draft waits for you.",
        f"Don't want this email? Turn it off in your profile: {settings.SITE_URL}/seeker/profile/",
        f"or unsubscribe in one click: {unsubscribe_url(profile)}",
    ]
    text = "\n".join(lines).strip() + "\n"
    return Rendered(subject=subject, text=text, html=text_to_html(text))
