"""CSV imports: check a file (the dry run, always first), start the import, carry it out a
chunk at a time, and undo it. The console, the `import-csv` command and the scheduler step
all come through here.

The lifecycle of a run:

    check ─┬─ refused (bad rows: nothing can be imported; fix the file, upload it again)
           └─ ready ── start ── running ──┬── done
                                          └── failed (a row could no longer be imported)
    running, failed or done ── undo ── undoing ── undone
    ready or refused, never started ── expired (after EXPIRE_AFTER; the file is deleted)
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction

from heardback import clock
from heardback.hiring.models import Member, Role
from heardback.imports import storage, undoing
from heardback.imports.checking import BadRow, Checker, ProblemsFile
from heardback.imports.importing import ImportProblem, import_rows
from heardback.imports.models import ImportChunk, ImportRun, ImportStatus
from heardback.imports.reading import DELIMITER_NAMES, ENCODING_NAMES
from heardback.messaging.headers import single_line

CHUNK = 1000
LEASE = timedelta(minutes=5)
EXPIRE_AFTER = timedelta(days=7)


class ImportRefused(ValidationError):
    """A request about an import that can't be done now, with a message for the admin."""


def _require_admin(actor: Member) -> None:
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins can import.")


# --- the dry run --------------------------------------------------------------------------


def check_upload(*, actor: Member, upload: UploadedFile, chunk_size: int = CHUNK) -> ImportRun:
    """Store an uploaded file and check all of it. Raises ImportRefused for a file that is
    not a CSV file at all (too big, empty, a workbook); bad rows go on the run."""
    _require_admin(actor)
    if upload.size is None or upload.size > storage.MAX_BYTES:
        raise ImportRefused(
            f"The file is larger than {storage.MAX_BYTES // (1024 * 1024)} MB; split it into "
            "several files."
        )
    if upload.size == 0:
        raise ImportRefused("The file is empty.")
    if storage.looks_like_a_workbook(upload):
        raise ImportRefused(
            "This is a spreadsheet workbook, not a CSV file. In your spreadsheet, use "
            "“Save as” → “CSV UTF-8” and upload that file."
        )
    stored = storage.store_upload(upload)
    return _check(actor=actor, stored=stored, original_name=upload.name or "", size=chunk_size)


def check_path(*, actor: Member, path: Path, chunk_size: int = CHUNK) -> ImportRun:
    """The same for a file on disk (the `import-csv` command)."""
    _require_admin(actor)
    if path.stat().st_size > storage.MAX_BYTES:
        raise ImportRefused(
            f"The file is larger than {storage.MAX_BYTES // (1024 * 1024)} MB; split it into "
            "several files."
        )
    stored = storage.store_local_file(path)
    return _check(actor=actor, stored=stored, original_name=path.name, size=chunk_size)


def _check(
    *, actor: Member, stored: storage.StoredFile, original_name: str, size: int
) -> ImportRun:
    now = clock.now()
    clean_name = "".join(ch for ch in Path(original_name).name if ch.isprintable())
    run = ImportRun.objects.create(
        org=actor.org,
        created_by=actor,
        created_at=now,
        original_name=single_line(clean_name, max_length=200) or "import.csv",
        stored_name=stored.stored_name,
        size=stored.size,
        sha256=stored.sha256,
        status=ImportStatus.REFUSED,  # until the check says otherwise
        chunk_size=size,
    )
    problems = ProblemsFile(storage.problems_path(stored.stored_name))

    def keep_chunk(number: int, rows: list[list[Any]]) -> None:
        ImportChunk.objects.create(run=run, number=number, rows=rows)

    def keep_bad_row(bad: BadRow) -> None:
        problems.write(bad)

    checker = Checker(
        org=actor.org, now=now, chunk_size=size, on_chunk=keep_chunk, on_bad_row=keep_bad_row
    )
    try:
        result = checker.check_file(stored.path)
        if result.total == 0 and not result.bad_count:
            checker.on_bad_row(BadRow(line=2, reason="The file has a header but no rows."))
            result.bad_count = 1
            result.bad_rows = [{"line": 2, "reason": "The file has a header but no rows."}]
    except BaseException:
        problems.close()
        run.delete()
        storage.remove(stored.stored_name)
        raise
    problems.close()
    if result.bad_count:
        run.chunks.all().delete()
    run.status = ImportStatus.REFUSED if result.bad_count else ImportStatus.READY
    run.encoding = result.encoding
    run.delimiter = result.delimiter
    run.total = result.total
    run.bad_count = result.bad_count
    run.bad_rows = result.bad_rows
    run.summary = result.summary
    run.new_job_owners = result.new_job_owners
    run.save()
    return run


def describe_format(run: ImportRun) -> str:
    """“UTF-8 (with BOM), semicolon-separated”, for the page and the command."""
    if not run.encoding:
        return ""
    return (
        f"{ENCODING_NAMES.get(run.encoding, run.encoding)}, "
        f"{DELIMITER_NAMES.get(run.delimiter, run.delimiter)}-separated"
    )


# --- the import ---------------------------------------------------------------------------


def start(
    *, run: ImportRun, actor: Member, tell_candidates: bool, hold_lease: bool = False
) -> ImportRun:
    """Confirm a checked run: the scheduler (or the caller, with `hold_lease`) imports it."""
    _require_admin(actor)
    now = clock.now()
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk, org_id=actor.org_id)
        if run.status == ImportStatus.REFUSED:
            raise ImportRefused(
                "This file has bad rows, so nothing can be imported from it. Fix them and "
                "upload the file again."
            )
        if run.status != ImportStatus.READY:
            raise ImportRefused(
                f"This import can't be started: it is {run.get_status_display().lower()}."
            )
        run.status = ImportStatus.RUNNING
        run.tell_candidates = tell_candidates
        run.started_by = actor
        run.started_at = now
        run.lease_until = now + LEASE if hold_lease else None
        run.save()
    return run


def run_chunk(run_id: int, *, hold_lease: bool = False) -> int:
    """Import (or undo) the next chunk of a run, in one transaction; returns the rows (or
    records) handled, 0 when there is nothing left to do."""
    now = clock.now()
    with transaction.atomic():
        run = (
            ImportRun.objects.select_for_update(of=("self",))
            .select_related("org")
            .filter(pk=run_id)
            .first()
        )
        if run is None:
            return 0
        if hold_lease:
            run.lease_until = now + LEASE
            run.save(update_fields=["lease_until"])
        if run.status == ImportStatus.UNDOING:
            return undoing.undo_next_chunk(run, now=now)
        if run.status != ImportStatus.RUNNING:
            return 0
        if not run.tell_candidates:
            _no_wait_for_disk()
        return _import_next_chunk(run, now=now)


def _no_wait_for_disk() -> None:
    """A chunk that tells nobody need not wait for the disk to commit (PostgreSQL): if the
    server crashes right after, the chunk is simply still there, and importing it again is
    idempotent. (A chunk that queues messages waits: a message a worker already sent must
    never be lost and sent again.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _import_next_chunk(run: ImportRun, *, now: datetime) -> int:
    chunk = run.chunks.order_by("number").first()
    if chunk is None:
        _finish(run, now=now)
        return 0
    actor_id = run.started_by_id or run.created_by_id
    actor = (
        Member.objects.filter(pk=actor_id, org_id=run.org_id).select_related("user").first()
        if actor_id
        else None
    )
    try:
        if actor is None:
            raise ImportProblem("The admin who started this import is no longer a member.")
        with transaction.atomic():
            result = import_rows(run, chunk.rows, actor=actor, now=now)
            chunk.delete()
    except ImportProblem as problem:
        run.status = ImportStatus.FAILED
        run.error = str(problem)
        run.finished_at = now
        run.lease_until = None
        run.save()
        run.chunks.all().delete()
        return 0
    run.done += len(chunk.rows)
    run.jobs_created += result.jobs_created
    run.candidates_created += result.candidates_created
    run.applications_created += result.applications_created
    run.applications_existing += result.applications_existing
    run.messages_queued += result.messages_queued
    run.save()
    if not run.chunks.exists():
        _finish(run, now=now)
    return len(chunk.rows)


def _finish(run: ImportRun, *, now: datetime) -> None:
    run.status = ImportStatus.DONE
    run.finished_at = now
    run.lease_until = None
    run.save()
    storage.remove(run.stored_name)


def run_to_the_end(run: ImportRun, *, progress: Any = None) -> ImportRun:
    """Carry out a started run here and now, chunk by chunk (the command), holding its
    lease so the scheduler leaves it alone; if this process dies, the scheduler resumes it
    once the lease runs out."""
    while run_chunk(run.pk, hold_lease=True):
        if progress is not None:
            progress(ImportRun.objects.get(pk=run.pk))
    ImportRun.objects.filter(pk=run.pk).update(lease_until=None)
    return ImportRun.objects.get(pk=run.pk)


# --- undo ---------------------------------------------------------------------------------


def undo(*, run: ImportRun, actor: Member) -> ImportRun:
    """Stop the run if it is still going and remove what it created (in the background)."""
    _require_admin(actor)
    now = clock.now()
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk, org_id=actor.org_id)
        if not run.can_undo:
            raise ImportRefused(
                f"This import can't be undone: it is {run.get_status_display().lower()}."
            )
        run.status = ImportStatus.UNDOING
        run.undone_by = actor
        run.undo_started_at = now
        run.undo_total = run.created.count()
        run.undo_cursor = 0
        run.undo_done = 0
        run.lease_until = None
        run.save()
        run.chunks.all().delete()
    return run


# --- housekeeping -------------------------------------------------------------------------


def expire_unstarted(*, now: datetime, limit: int = 20) -> int:
    """Runs checked but never started: after EXPIRE_AFTER their file and rows go."""
    stale = list(
        ImportRun.objects.filter(
            status__in=(ImportStatus.READY, ImportStatus.REFUSED),
            created_at__lt=now - EXPIRE_AFTER,
        ).order_by("created_at")[:limit]
    )
    for run in stale:
        with transaction.atomic():
            updated = ImportRun.objects.filter(pk=run.pk, status=run.status).update(
                status=ImportStatus.EXPIRED
            )
            if updated:
                ImportChunk.objects.filter(run_id=run.pk).delete()
        if updated:
            storage.remove(run.stored_name)
    return len(stale)
