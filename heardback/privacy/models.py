"""Candidates' data rights and the org's retention policy.

A candidate's personal data is *anonymised in place*, never deleted with its rows: the
application, its events and the wording and delivery evidence of every message stay, so
the employer keeps the records the law asks for (and its metrics), without the person.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from heardback.hiring.models import Application, Candidate, Org

DEFAULT_MONTHS = 6


class RetentionPolicy(models.Model):
    """How long an org keeps a candidate's personal data after the final decision."""

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="retention_policy")
    months_after_decision = models.PositiveSmallIntegerField(default=DEFAULT_MONTHS)
    # Hired candidates become employees: their data moves to HR's own rules, not ours.
    include_hired = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(months_after_decision__gte=1, months_after_decision__lte=120),
                name="retention_months_range",
            )
        ]

    def __str__(self) -> str:
        return f"retention: {self.months_after_decision} months"


class LegalHold(models.Model):
    """While a hold is open, nothing of the candidate's is anonymised (a claim, an audit)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="legal_holds")
    reason = models.CharField(max_length=300)
    placed_by = models.CharField(max_length=200)
    placed_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["org", "candidate"],
                name="legal_hold_open",
                condition=Q(released_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"legal hold on candidate {self.candidate_id}"


class ErasureStatus(models.TextChoices):
    OPEN = "open", "Waiting for an answer"
    ERASED = "erased", "Erased"
    REFUSED = "refused", "Refused (legal hold)"


class ErasureRequest(models.Model):
    """A candidate's request, made from their status page. Answered within one month."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey(
        Candidate, on_delete=models.CASCADE, related_name="erasure_requests"
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="erasure_requests"
    )
    received_at = models.DateTimeField()
    answer_by = models.DateTimeField(help_text="GDPR Art. 12(3): one month after receipt")
    status = models.CharField(
        max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.OPEN
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.CharField(max_length=200, blank=True)
    answer_note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["org", "status", "answer_by"], name="erasure_org_status")]
        constraints = [
            # One open request per candidate: asking twice is the same request.
            models.UniqueConstraint(
                fields=["candidate"],
                condition=Q(status="open"),
                name="erasure_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"erasure request {self.pk} ({self.status})"


class Anonymisation(models.Model):
    """That (and why) a candidate's personal data was removed: the record of the erasure."""

    class Reason(models.TextChoices):
        RETENTION = "retention", "Retention policy"
        REQUEST = "request", "Candidate's request"

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    candidate = models.OneToOneField(
        Candidate, on_delete=models.CASCADE, related_name="anonymisation"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    done_at = models.DateTimeField()
    done_by = models.CharField(max_length=200)
    counts = models.JSONField(default=dict, help_text="What was removed, by kind")
    # The erasure's confirmation email, sent to the address being erased: its row keeps the
    # address until it is sent, then retention.scrub_sent_confirmations removes it.
    pending_message_id = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"candidate {self.candidate_id} anonymised ({self.reason})"
