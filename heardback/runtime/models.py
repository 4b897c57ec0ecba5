"""What the background machinery remembers: items that failed, and which processes are alive."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Fault(models.Model):
    """One item that failed: retried with backoff, surfaced to its org when it keeps failing.

    `source` is the step (or "template" for a recruiter's template that failed at send
    time); `item` names the thing inside it ("application:12", "close_out:3",
    "stage:4"). One row per (source, item): a new failure of a resolved item reopens it.
    """

    org_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    source = models.CharField(max_length=100)
    item = models.CharField(max_length=200)
    label = models.CharField(max_length=300, blank=True, help_text="What a person calls it")
    attempts = models.PositiveIntegerField(default=0)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField()
    next_try_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "item"], name="fault_one_per_item"),
        ]
        indexes = [
            models.Index(fields=["source"], name="fault_open", condition=Q(resolved_at=None)),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.item} ({self.attempts} failures)"


class Heartbeat(models.Model):
    """A background process says it is alive after every round."""

    process = models.CharField(max_length=120, unique=True)
    role = models.CharField(max_length=20)  # scheduler | worker | network
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.role} {self.process}"
