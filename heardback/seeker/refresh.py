"""Keeping the live employer status fresh: a scheduler step.

`refresh_employer_statuses(*, now, limit) -> int` re-reads the Heardback status JSON of open
applications whose link is a status page and that weren't checked in the last few hours.
Each row is claimed by compare-and-set on `employer_checked_at`, so several schedulers can
run the step at once without fetching the same page twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from . import services, status_feed
from .models import OPEN_STATUSES, JobApplication

REFRESH_EVERY = timedelta(hours=6)


def refresh_employer_statuses(*, now: datetime, limit: int) -> int:
    stale = now - REFRESH_EVERY
    candidates = list(
        JobApplication.objects.filter(status__in=OPEN_STATUSES, link__contains="/s/")
        .filter(Q(employer_checked_at__isnull=True) | Q(employer_checked_at__lt=stale))
        .order_by("employer_checked_at", "id")
        .values_list("id", "owner_id", "link", "employer_checked_at")[: limit * 2]
    )
    handled = 0
    for app_id, owner_id, link, checked_at in candidates:
        if handled >= limit:
            break
        if status_feed.status_json_url(link) is None:
            continue
        claimed = JobApplication.objects.filter(pk=app_id, employer_checked_at=checked_at).update(
            employer_checked_at=now
        )
        if not claimed:
            continue  # another scheduler has it
        services.refresh_employer_status(owner=owner_id, application_id=app_id)
        handled += 1
    return handled
