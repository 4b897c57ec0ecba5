"""Connections to an ATS, the inbox of what it sent, and the links between its ids and ours."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from heardback.hiring.models import Member, Org


class Provider(models.TextChoices):
    GREENHOUSE = "greenhouse", "Greenhouse"
    ASHBY = "ashby", "Ashby"
    WORKABLE = "workable", "Workable"
    LEVER = "lever", "Lever"
    GENERIC = "generic", "Another ATS (generic JSON)"


class FinalMessageBy(models.TextChoices):
    HEARDBACK = "heardback", "Heardback sends the final message"
    ATS = "ats", "The ATS sends it; Heardback records the outcome"


class Connection(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="connections")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    name = models.CharField(max_length=100)
    webhook_secret = models.TextField(help_text="Encrypted (bridges.secrets)")
    api_credentials = models.TextField(blank=True, help_text="Encrypted JSON, for reconciles")
    final_message_by = models.CharField(
        max_length=10, choices=FinalMessageBy.choices, default=FinalMessageBy.HEARDBACK
    )
    # ATS stage name (lower case) → candidate-visible coarse stage; defaults by keyword.
    stage_map = models.JSONField(default=dict, blank=True)
    # Generic bridge: our field → a path into the ATS's JSON (see providers/generic.py).
    field_map = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    reconcile_cursor = models.TextField(blank=True)
    last_reconciled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_provider_display()}: {self.name}"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (stale, duplicate or not relevant)"
    FAILED = "failed", "Failed"
    BAD_SIGNATURE = "bad_signature", "Refused: bad signature"


class InboundEvent(models.Model):
    """One delivery from the ATS, stored before anything is done with it."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="events")
    org_id = models.BigIntegerField(db_index=True)
    dedupe_key = models.CharField(max_length=200)
    received_at = models.DateTimeField()
    body = models.BinaryField()
    event_type = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=20, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    # The body carries the candidate's name and address as the ATS sent them: it is emptied
    # BRIDGE_EVENT_BODY_DAYS after arrival (bridges.housekeeping), the row stays for the log.
    body_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "dedupe_key"],
                name="inbound_once",
                condition=~Q(status="bad_signature"),
            )
        ]
        indexes = [
            models.Index(
                fields=["received_at"], name="inbound_due", condition=Q(status="received")
            ),
            models.Index(fields=["connection", "received_at"], name="inbound_log"),
            # The housekeeping step's queue: bodies still kept of events already dealt with.
            models.Index(
                fields=["received_at"],
                name="inbound_body_kept",
                condition=Q(body_removed_at__isnull=True) & ~Q(status="received"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type or 'event'} ({self.status})"


class AtsLink(models.Model):
    """An ATS id and the Heardback row it became, with the ATS time of the last event we
    applied to it: an older event never overwrites a newer state."""

    class Kind(models.TextChoices):
        JOB = "job", "Job"
        APPLICATION = "application", "Application"

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    external_id = models.CharField(max_length=200)
    local_id = models.BigIntegerField()
    last_event_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=40, blank=True, help_text="The ATS's last status")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "kind", "external_id"], name="ats_link_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id} → {self.local_id}"
