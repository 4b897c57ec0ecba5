"""Job postings as the law sees them: the terms an employer states (pay, AI use, whether the
job is an existing vacancy), and every published version kept as it was.

A `PostingVersion` is a snapshot: written once when published, never changed except for the
one date it is taken down. An edit after publishing makes the next version; the old one stays
exactly as candidates saw it (Ontario's ESA s. 15.1 asks for the posting to be kept three
years after it is taken down).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from heardback.hiring.models import Job, Org


class PayPeriod(models.TextChoices):
    YEAR = "year", "a year"
    HOUR = "hour", "an hour"


class PostingTerms(models.Model):
    """What the employer has written in the job editor (may differ from what is published)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="posting_terms")
    pay_min = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    pay_max = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    pay_period = models.CharField(max_length=8, choices=PayPeriod.choices, default=PayPeriod.YEAR)
    currency = models.CharField(max_length=3, default="CAD")
    # None: not stated (a profile may require a statement either way).
    uses_ai = models.BooleanField(null=True, blank=True)
    ai_details = models.CharField(max_length=500, blank=True)
    existing_vacancy = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"posting terms of job {self.job_id}"


class ImmutableSnapshot(Exception):
    """Raised on any attempt to change a published version's content."""


class PostingVersion(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="posting_versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    location = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    pay_min = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    pay_max = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    pay_period = models.CharField(max_length=8, choices=PayPeriod.choices)
    currency = models.CharField(max_length=3)
    uses_ai = models.BooleanField(null=True, blank=True)
    ai_details = models.CharField(max_length=500, blank=True)
    existing_vacancy = models.BooleanField(null=True, blank=True)
    # The application form's questions as published (labels, in English).
    form_questions = models.JSONField(default=list)
    profile_key = models.CharField(
        max_length=60, blank=True, help_text="The rules it was checked by"
    )
    published_at = models.DateTimeField()
    published_by = models.CharField(max_length=200)
    taken_down_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["job", "version"], name="posting_version_unique"),
            # At most one live version per job: the one candidates see now.
            models.UniqueConstraint(
                fields=["job"], condition=Q(taken_down_at__isnull=True), name="posting_one_live"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A guard, not a rule: the one change a snapshot may ever see is its takedown date.
        if self.pk is not None and kwargs.get("update_fields") != ["taken_down_at"]:
            raise ImmutableSnapshot("A published posting version is never changed.")
        super().save(*args, **kwargs)
