"""The scheduler step that carries out bulk actions, a chunk at a time.

A scheduler claims a bulk action by compare-and-set on its lease, so several schedulers can
run at once without doing the same chunk twice; progress is saved after every chunk, so the
page's progress bar moves and a crash loses at most one chunk's bookkeeping. Each application
goes through the same hiring service as a single click, in its own transaction; one that
can't be changed any more (already declined, say) is counted as skipped, never as an error
that stops the rest.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.db.models import Q

from heardback import clock
from heardback.console.models import BulkAction, BulkKind
from heardback.console.services import decline_template
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import Application
from heardback.runtime.isolation import ItemGuard

log = logging.getLogger(__name__)

CHUNK = 100
LEASE = timedelta(minutes=5)
MAX_PROBLEMS = 50


def _claimable(now: datetime) -> Q:
    return Q(finished_at=None) & (Q(lease_until=None) | Q(lease_until__lt=now))


def _apply_one(bulk: BulkAction, application: Application) -> None:
    actor = bulk.created_by
    if bulk.kind == BulkKind.DECLINE:
        subject, body = bulk.subject, bulk.body
        if not body:  # unedited default: each candidate gets it in their own language
            subject, body = decline_template(
                org_id=bulk.org_id, reason=bulk.reason, language=application.candidate.language
            )
        hiring.decline(
            application=application, reason=bulk.reason, actor=actor, subject=subject, body=body
        )
    elif bulk.kind == BulkKind.ADVANCE:
        hiring.advance(application=application, actor=actor)
    elif bulk.stage is not None:
        hiring.move_to_stage(application=application, stage=bulk.stage, actor=actor)
    else:
        raise HiringError("The target stage no longer exists.")


def process_chunk(bulk: BulkAction, *, size: int) -> int:
    ids = bulk.application_ids[bulk.done : bulk.done + size]
    applications = {
        a.pk: a
        for a in Application.objects.filter(org_id=bulk.org_id, pk__in=ids).select_related(
            "candidate", "job", "stage", "org"
        )
    }
    succeeded = skipped = 0
    problems = list(bulk.problems)
    for pk in ids:
        application = applications.get(pk)
        try:
            if application is None:
                raise HiringError("The application no longer exists.")
            _apply_one(bulk, application)
            succeeded += 1
        except HiringError as error:
            skipped += 1
            if len(problems) < MAX_PROBLEMS:
                who = application.candidate.name if application else f"#{pk}"
                problems.append({"id": pk, "name": who, "error": " ".join(error.messages)})
        except Exception:
            # One candidate's unexpected failure must not stop the other 99: counted,
            # logged, and the rest of the chunk goes on.
            log.exception("bulk action %s: application %s failed", bulk.pk, pk)
            skipped += 1
            if len(problems) < MAX_PROBLEMS:
                who = application.candidate.name if application else f"#{pk}"
                problems.append(
                    {"id": pk, "name": who, "error": "Something went wrong; it has been logged."}
                )
    return _save_progress(bulk, ids=ids, succeeded=succeeded, skipped=skipped, problems=problems)


def _save_progress(
    bulk: BulkAction, *, ids: list[int], succeeded: int, skipped: int, problems: list[dict]
) -> int:
    done = bulk.done + len(ids)
    # Compare-and-set on `done`: a scheduler whose lease ran out must not overwrite progress.
    BulkAction.objects.filter(pk=bulk.pk, done=bulk.done).update(
        done=done,
        succeeded=bulk.succeeded + succeeded,
        skipped=bulk.skipped + skipped,
        problems=problems,
        lease_until=None,
    )
    if done >= bulk.total:  # (a stopped action already has its finished_at)
        BulkAction.objects.filter(pk=bulk.pk, finished_at=None).update(finished_at=clock.now())
    return len(ids)


def _process_by_id(bulk_id: int, *, size: int) -> int:
    bulk = BulkAction.objects.select_related("created_by__user", "stage").get(pk=bulk_id)
    return process_chunk(bulk, size=size)


def run_bulk_actions(*, now: datetime, limit: int) -> int:
    """Scheduler step: work through unfinished bulk actions; returns applications handled."""
    handled = 0
    guard = ItemGuard("run_bulk_actions", now=now)
    candidates = BulkAction.objects.filter(_claimable(now)).order_by("created_at")
    for bulk_id, org_id in list(candidates.values_list("pk", "org_id")[:10]):
        if handled >= limit or guard.out_of_time:
            break
        item = f"bulk:{bulk_id}"
        if guard.waiting(item):
            continue
        claimed = BulkAction.objects.filter(_claimable(now), pk=bulk_id).update(
            lease_until=now + LEASE
        )
        if not claimed:
            continue  # another scheduler got it first
        size = min(CHUNK, limit - handled)
        handled += (
            guard.run(
                item,
                partial(_process_by_id, bulk_id, size=size),
                org_id=org_id,
                label="a bulk action",
            )
            or 0
        )
    if handled:
        log.info("bulk actions: handled %s applications", handled)
    return handled
