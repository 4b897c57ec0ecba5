"""Keeping the live employer status fresh: a step of the network loop (`heardback netloop`).

`refresh_employer_statuses(*, now, limit) -> int` re-reads the Heardback status JSON of open
applications whose link is a status page and that weren't checked in the last few hours.
Each row is claimed by compare-and-set on `employer_checked_at`, so several network loops
can run the step at once without fetching the same page twice.

It never runs in the engine: the pages are other people's servers. Fetches run in a small
thread pool (`NETWORK_CONCURRENCY` at a time), each within an overall deadline
(`NETWORK_FETCH_DEADLINE_SECONDS`), so a round of N slow links takes about N / concurrency
deadlines, and a fast link in the same round still gets its status. The worker threads only
fetch; every database read and write happens here, in the step's own thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.http import Http404

from heardback.runtime import network
from heardback.runtime.isolation import ItemGuard

from . import services, status_feed
from .models import OPEN_STATUSES, JobApplication

REFRESH_EVERY = timedelta(hours=6)
SOURCE = "refresh_employer_statuses"

_Outcome = status_feed.EmployerStatus | status_feed.StatusFeedError


def refresh_employer_statuses(*, now: datetime, limit: int) -> int:
    stale = now - REFRESH_EVERY
    candidates = iter(
        list(
            JobApplication.objects.filter(status__in=OPEN_STATUSES, link__contains="/s/")
            .filter(Q(employer_checked_at__isnull=True) | Q(employer_checked_at__lt=stale))
            .order_by("employer_checked_at", "id")
            .values_list("id", "owner_id", "link", "employer_checked_at")[: limit * 2]
        )
    )
    guard = ItemGuard(SOURCE, now=now)
    workers = max(1, int(settings.NETWORK_CONCURRENCY))
    deadline = float(settings.NETWORK_FETCH_DEADLINE_SECONDS)
    in_flight: dict[Future[status_feed.EmployerStatus], tuple[int, int]] = {}
    handled = 0
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="status-feed") as pool:
        while True:
            # Claim only as many as can be fetched now, so a round cut short by its budget
            # (or by SIGTERM) leaves no claimed row unfetched for six hours.
            while len(in_flight) < workers and handled + len(in_flight) < limit:
                if network.stopping():
                    break
                claimed = _claim_next(candidates, guard=guard, now=now)
                if claimed is None:
                    break
                app_id, owner_id, link = claimed
                future = pool.submit(status_feed.fetch, link, deadline=deadline)
                in_flight[future] = (app_id, owner_id)
            if not in_flight:
                break
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                app_id, owner_id = in_flight.pop(future)
                _record(guard, app_id=app_id, owner_id=owner_id, future=future, now=now)
                handled += 1
    return handled


def _claim_next(
    candidates: Iterator[tuple[int, int, str, datetime | None]],
    *,
    guard: ItemGuard,
    now: datetime,
) -> tuple[int, int, str] | None:
    for app_id, owner_id, link, checked_at in candidates:
        if status_feed.status_json_url(link) is None or guard.waiting(f"application:{app_id}"):
            continue
        claimed = JobApplication.objects.filter(pk=app_id, employer_checked_at=checked_at).update(
            employer_checked_at=now
        )
        if claimed:
            return app_id, owner_id, link
        # else another network loop has it
    return None


def _record(
    guard: ItemGuard,
    *,
    app_id: int,
    owner_id: int,
    future: Future[status_feed.EmployerStatus],
    now: datetime,
) -> None:
    def write() -> None:
        found: _Outcome
        try:
            found = future.result()  # a failure other than the feed's own is a fault below
        except status_feed.StatusFeedError as error:
            found = error  # a missed deadline too: the seeker sees why, we retry later
        with contextlib.suppress(Http404):  # deleted while we fetched: nothing to update
            services.record_employer_status(
                owner=owner_id, application_id=app_id, found=found, now=now
            )

    guard.run(f"application:{app_id}", write, org_id=None, label=f"Job application {app_id}")
