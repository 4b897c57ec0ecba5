"""API keys and the answers to idempotent requests."""

from __future__ import annotations

from django.db import models

from heardback.hiring.models import Member, Org


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"
    ADMIN = "admin", "Read, write and administer"


# Each scope includes the ones before it.
SCOPE_RANK = {Scope.READ: 1, Scope.WRITE: 2, Scope.ADMIN: 3}


class ApiKey(models.Model):
    """A key for one org. Only its SHA-256 is stored; the prefix is shown to tell keys apart.

    The key acts as the member who created it: every change it makes is on the timeline
    under their name, and it stops working when they lose access.
    """

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    created_by = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        # The throttle keys its counters by this: the prefix is public and unique.
        return f"hb_{self.prefix}"

    def allows(self, scope: str) -> bool:
        return SCOPE_RANK[Scope(self.scope)] >= SCOPE_RANK[Scope(scope)]


class IdempotentRequest(models.Model):
    """The first answer to a POST with an `Idempotency-Key`, replayed for every retry."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="Method, path and body, hashed")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "key"], name="idempotent_once_per_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotent_age")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'in progress'})"
