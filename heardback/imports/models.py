"""CSV imports: one `ImportRun` per uploaded file, its checked rows in chunks, and a tag on
everything an import created so that it can be undone.

A run is checked in full before anything is created (the dry run); only a file without a
single bad row can be imported ("nothing half-imported"). The checked rows wait in
`ImportChunk`s (in the database, so any worker on any machine can carry on with them) and
each chunk is deleted in the same transaction that imports it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from heardback.hiring.models import Member, Org


class ImportStatus(models.TextChoices):
    REFUSED = "refused", "Has bad rows"
    READY = "ready", "Checked: ready to import"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Stopped by a problem"
    UNDOING = "undoing", "Undoing"
    UNDONE = "undone", "Undone"
    EXPIRED = "expired", "Never imported (expired)"


# Where the scheduler has work to do.
ACTIVE_STATUSES = (ImportStatus.RUNNING, ImportStatus.UNDOING)


class ImportRun(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    # The upload, stored under MEDIA_ROOT with a random name; the original name is data.
    original_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=5, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices)
    # The dry run: rows read (blank lines not counted), bad rows, what would be created.
    total = models.PositiveIntegerField(default=0)
    bad_count = models.PositiveIntegerField(default=0)
    bad_rows = models.JSONField(default=list, blank=True)  # the first few: {"line", "reason"}
    summary = models.JSONField(default=dict, blank=True)
    # Owners named for jobs the import creates: {title key: owner email}.
    new_job_owners = models.JSONField(default=dict, blank=True)
    chunk_size = models.PositiveIntegerField(default=1000)
    # The import itself.
    tell_candidates = models.BooleanField(default=False)
    started_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    done = models.PositiveIntegerField(default=0)
    jobs_created = models.PositiveIntegerField(default=0)
    candidates_created = models.PositiveIntegerField(default=0)
    applications_created = models.PositiveIntegerField(default=0)
    applications_existing = models.PositiveIntegerField(default=0)
    messages_queued = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Undo.
    undone_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    undo_started_at = models.DateTimeField(null=True, blank=True)
    undo_total = models.PositiveIntegerField(default=0)
    undo_done = models.PositiveIntegerField(default=0)
    undo_cursor = models.BigIntegerField(default=0)
    applications_removed = models.PositiveIntegerField(default=0)
    candidates_removed = models.PositiveIntegerField(default=0)
    jobs_removed = models.PositiveIntegerField(default=0)
    kept_count = models.PositiveIntegerField(default=0)
    kept = models.JSONField(default=list, blank=True)  # the first few: what was left and why
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["org", "created_at"], name="importrun_org"),
            models.Index(
                fields=["created_at"],
                name="importrun_active",
                condition=Q(status__in=["running", "undoing"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.UNDOING, ImportStatus.UNDONE):
            return 100 if not self.undo_total else int(self.undo_done * 100 / self.undo_total)
        return 100 if not self.total else int(self.done * 100 / self.total)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def can_undo(self) -> bool:
        return self.status in (ImportStatus.RUNNING, ImportStatus.FAILED, ImportStatus.DONE)


class ImportChunk(models.Model):
    """Checked rows waiting to be imported, `chunk_size` of them, in file order."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    rows = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="importchunk_unique_number")
        ]

    def __str__(self) -> str:
        return f"chunk {self.number} of import {self.run_id}"


class ImportedApplication(models.Model):
    """An application this run created, with the candidate and job it created for it (if it
    did): the tag that undo follows. Plain ids, as undo removes what they point at."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="created")
    line = models.PositiveIntegerField()
    application_id = models.BigIntegerField()
    candidate_id = models.BigIntegerField(null=True, blank=True)
    job_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "application_id"], name="importedapplication_unique"
            )
        ]

    def __str__(self) -> str:
        return f"application {self.application_id} (import {self.run_id}, line {self.line})"
