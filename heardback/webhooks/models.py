"""Webhook endpoints, what was sent to them, and how far the fan-out has read.

An endpoint belongs to one org. Its signing secret is needed in the clear to sign, so it
can't be stored as a hash like an API key: it is stored encrypted with a key derived from
the install's SECRET_KEY (`signing.py`), so a copy of the database alone signs nothing. It
is shown once, when the endpoint is created.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from heardback.hiring.models import Member, Org


class WebhookEndpoint(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The event types it subscribes to")
    secret_encrypted = models.TextField(help_text="The whsec_ secret, encrypted (signing.py)")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failure since its last success"
    )
    created_by = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["org", "enabled"], name="webhook_endpoint_org")]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed; will retry"
    GAVE_UP = "gave_up", "Gave up"


# The statuses the delivery step still sends.
OUTSTANDING = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class WebhookDelivery(models.Model):
    """One webhook for one endpoint, with its retries.

    `event_key` names the fact it reports ("event:812", "message:77:delivered"): unique per
    endpoint, so the fan-out can read a row twice and still make one delivery. `webhook_id`
    is the Standard Webhooks `webhook-id`; a replay keeps it (the receiver may dedupe on it).
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40)
    event_key = models.CharField(max_length=200)
    webhook_id = models.CharField(max_length=40)
    body = models.TextField(
        help_text='The JSON body ({"type", "timestamp", "data"}), exactly as sent and signed'
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=32, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_key"], name="webhook_delivery_once_per_endpoint"
            )
        ]
        indexes = [
            # The delivery step claims per endpoint what is due, not what exists; an
            # endpoint that is disabled keeps its outstanding rows out of everyone's way.
            models.Index(
                fields=["endpoint", "next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(status__in=["pending", "failed"]),
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to endpoint {self.endpoint_id} ({self.status})"


class FanOutCursor(models.Model):
    """How far the fan-out has read one source (see fanout.py).

    For the sources read by id: `position` is the highest id read, and `gaps` the ids below
    it that were missing when read ([first, last, first seen (ISO)]), read again until
    `WEBHOOK_LATE_COMMIT_MINUTES` have passed. For close-outs, read by time: `position_at`.
    """

    source = models.CharField(max_length=40, unique=True)
    position = models.BigIntegerField(default=0)
    position_at = models.DateTimeField(null=True, blank=True)
    gaps = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.source} at {self.position}"


class MessageWatch(models.Model):
    """A candidate message the fan-out saw before it was sent: looked at again from
    `check_at` until it is sent (message.delivered), failed or cancelled."""

    message_id = models.BigIntegerField(unique=True)
    org_id = models.BigIntegerField()
    check_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"watching message {self.message_id}"
