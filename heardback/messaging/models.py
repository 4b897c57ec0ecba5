"""The outbox: every email Heardback sends is first a row here.

A message row is written in the same transaction as the decision that causes it, so a
committed decision can never lose its message and a rolled-back one never sends. The worker
claims due rows with a lease; the unique idempotency key stops one event from ever producing
two messages. The row is also the candidate's timeline entry and the audit record.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Message(models.Model):
    # Plain integer references keep messaging at the bottom of the dependency graph: it
    # knows nothing of orgs or applications, the hiring app filters by these ids. No index of
    # its own on `org_id`: every query by org also names the application (`message_timeline`)
    # or the id, and every index is one more write per message and per status change.
    org_id = models.BigIntegerField(null=True, blank=True)
    application_id = models.BigIntegerField(null=True, blank=True)
    to_email = models.EmailField(max_length=254)
    to_name = models.CharField(max_length=200, blank=True)
    from_email = models.CharField(max_length=300, blank=True)
    reply_to = models.CharField(max_length=300, blank=True)
    # A one-click unsubscribe address (RFC 8058) for mail people opted into (the seeker's
    # digest); sent as List-Unsubscribe with List-Unsubscribe-Post. Empty for everything else,
    # with a database default so set-based inserts that don't name it (the close-out) work.
    list_unsubscribe = models.CharField(max_length=500, blank=True, default="", db_default="")
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    language = models.CharField(max_length=8, default="en")
    kind = models.CharField(max_length=40)
    automated = models.BooleanField(
        default=False, help_text="Sent by the system on its own (counts against the minimum gap)"
    )
    final = models.BooleanField(default=False, help_text="The final decision for an application")
    # Unique through `message_idempotency_key` below: `unique=True` would add a second,
    # pattern-ops index on PostgreSQL that no query needs.
    idempotency_key = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=64, blank=True)
    provider_message_id = models.CharField(max_length=300, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="message_idempotency_key")
        ]
        indexes = [
            # The worker's two claims: due queued rows, and rows whose lease has expired.
            models.Index(
                fields=["next_attempt_at"],
                name="message_due",
                condition=Q(status="queued"),
            ),
            models.Index(
                fields=["lease_until"],
                name="message_leased",
                condition=Q(status="sending"),
            ),
            models.Index(fields=["application_id", "created_at"], name="message_timeline"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.status})"


class DeliveryEvent(models.Model):
    """What a mail server or email service told us about a message after we handed it over."""

    class Kind(models.TextChoices):
        # The SMTP server's reply when it took the message (e.g. "250 2.0.0 Ok: queued as
        # 4Xy…"): the delivery evidence kept for compliance exports.
        ACCEPTED = "accepted", "Accepted by the mail server"
        DELIVERED = "delivered", "Delivered"
        DEFERRED = "deferred", "Deferred"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="delivery_events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    smtp_code = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.smtp_code or '-'})"
