"""Undoing an import, a chunk at a time: everything the run created goes, unless a message
already went to the candidate (then the application stays, and is listed).

1. Applications the run created, in chunks: queued messages are cancelled first (a worker
   that already took one has it "sending": that counts as gone out), then every
   application without a message that went out is deleted, with its timeline.
2. Candidates the run created that have no application left.
3. Jobs the run created that have no application left, with their pipelines.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count

from heardback.hiring.models import Application, Candidate, Job
from heardback.imports.models import ImportRun, ImportStatus
from heardback.imports.storage import remove
from heardback.messaging.models import Message, MessageStatus

CHUNK = 1000
MAX_KEPT_SHOWN = 200
GONE_OUT = (MessageStatus.SENDING, MessageStatus.SENT)


def _keep(run: ImportRun, entries: list[dict[str, Any]]) -> None:
    run.kept_count += len(entries)
    room = MAX_KEPT_SHOWN - len(run.kept)
    if room > 0:
        run.kept = [*run.kept, *entries[:room]]


def undo_next_chunk(run: ImportRun, *, now: datetime) -> int:
    """One step of undoing `run` (locked by the caller); returns how much it handled."""
    tags = list(run.created.filter(pk__gt=run.undo_cursor).order_by("pk")[:CHUNK])
    if tags:
        return _applications(run, [tag.application_id for tag in tags], cursor=tags[-1].pk)
    candidate_ids = run.created.filter(candidate_id__isnull=False).values("candidate_id")
    lonely = list(
        Candidate.objects.filter(org_id=run.org_id, pk__in=candidate_ids)
        .annotate(n=Count("applications"))
        .filter(n=0)
        .values_list("pk", flat=True)[:CHUNK]
    )
    if lonely:
        Candidate.objects.filter(pk__in=lonely).delete()
        run.candidates_removed += len(lonely)
        run.save(update_fields=["candidates_removed"])
        return len(lonely)
    job_ids = run.created.filter(job_id__isnull=False).values("job_id")
    empty_jobs = list(
        Job.objects.filter(org_id=run.org_id, pk__in=job_ids)
        .annotate(n=Count("applications"))
        .filter(n=0)
        .select_related("pipeline")[:100]
    )
    for job in empty_jobs:
        pipeline = job.pipeline
        job.delete()
        pipeline.delete()
    if empty_jobs:
        run.jobs_removed += len(empty_jobs)
        run.save(update_fields=["jobs_removed"])
        return len(empty_jobs)
    _finish(run, now=now)
    return 0


def _applications(run: ImportRun, ids: list[int], *, cursor: int) -> int:
    Message.objects.filter(application_id__in=ids, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED, last_error="cancelled: the import was undone"
    )
    went_out = {
        pk
        for pk in Message.objects.filter(application_id__in=ids, status__in=GONE_OUT)
        .exclude(kind__startswith="team_")
        .values_list("application_id", flat=True)
        if pk is not None
    }
    remove_ids = [pk for pk in ids if pk not in went_out]
    # What was never sent goes with its application (the outbox keeps no orphans).
    Message.objects.filter(application_id__in=remove_ids).exclude(status__in=GONE_OUT).delete()
    _deleted, per_model = Application.objects.filter(org_id=run.org_id, pk__in=remove_ids).delete()
    run.applications_removed += per_model.get(Application._meta.label, 0)
    if went_out:
        kept = (
            Application.objects.filter(org_id=run.org_id, pk__in=went_out)
            .select_related("candidate", "job")
            .order_by("pk")
        )
        _keep(
            run,
            [
                {
                    "application": application.pk,
                    "name": application.candidate.name,
                    "email": application.candidate.email,
                    "job": application.job.title,
                    "why": "A message already went to them.",
                }
                for application in kept
            ],
        )
    run.undo_cursor = cursor
    run.undo_done += len(ids)
    run.save(
        update_fields=[
            "undo_cursor",
            "undo_done",
            "applications_removed",
            "kept_count",
            "kept",
        ]
    )
    return len(ids)


def _finish(run: ImportRun, *, now: datetime) -> None:
    job_ids = run.created.filter(job_id__isnull=False).values("job_id")
    still = Job.objects.filter(org_id=run.org_id, pk__in=job_ids).annotate(n=Count("applications"))
    _keep(
        run,
        [
            {
                "job": job.title,
                "why": f"The job stays: {job.n} application{'s' if job.n != 1 else ''} "
                "still belong to it.",
            }
            for job in still.order_by("pk")
        ],
    )
    run.status = ImportStatus.UNDONE
    run.undone_at = now
    run.lease_until = None
    run.save()
    run.created.all().delete()
    remove(run.stored_name)
