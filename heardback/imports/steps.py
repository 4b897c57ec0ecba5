"""The scheduler step that carries out imports and undos, a chunk per transaction.

A scheduler claims a run by compare-and-set on its lease, so several schedulers can run at
once without two of them on one run; the chunk itself locks the run row too, so even a
scheduler whose lease ran out can't import a chunk twice. A chunk that fails (the database
went away, a bug) is rolled back, recorded on the run's item (`import:<id>`) and retried
with backoff: the run resumes where it stopped. Runs never started are expired here too.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.db.models import Q

from heardback.imports import services
from heardback.imports.models import ACTIVE_STATUSES, ImportRun
from heardback.runtime.isolation import ItemGuard

log = logging.getLogger(__name__)


def _claimable(now: datetime) -> Q:
    return Q(status__in=ACTIVE_STATUSES) & (Q(lease_until=None) | Q(lease_until__lt=now))


def run_imports(*, now: datetime, limit: int) -> int:
    """Scheduler step: import (or undo) chunks of the runs in progress; returns rows handled."""
    services.expire_unstarted(now=now)
    guard = ItemGuard("run_imports", now=now)
    handled = 0
    runs = ImportRun.objects.filter(_claimable(now)).order_by("created_at")
    for run_id, org_id in list(runs.values_list("pk", "org_id")[:10]):
        if handled >= limit or guard.out_of_time:
            break
        item = f"import:{run_id}"
        if guard.waiting(item):
            continue
        claimed = ImportRun.objects.filter(_claimable(now), pk=run_id).update(
            lease_until=now + services.LEASE
        )
        if not claimed:
            continue  # another scheduler got it first
        try:
            while handled < limit and not guard.out_of_time:
                rows = guard.run(
                    item,
                    partial(services.run_chunk, run_id),
                    org_id=org_id,
                    label="a CSV import",
                )
                if not rows:
                    break
                handled += rows
        finally:
            ImportRun.objects.filter(pk=run_id, lease_until=now + services.LEASE).update(
                lease_until=None
            )
    if handled:
        log.info("imports: handled %s rows", handled)
    return handled
