"""What the console needs beyond the hiring domain: invitations, job teams, bulk actions,
per-language decline templates and the admins' daily problems digest. Every row carries `org`
so every query can be scoped."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from heardback.hiring.models import DeclineReason, Job, Member, Org, Role


class Invitation(models.Model):
    """An invitation to join an org. Only the SHA-256 of the token is stored, so a database
    leak does not hand out accounts; the token itself only ever exists in the email."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"


class JobTeam(models.Model):
    """Members who work on a job besides its owner (a hiring manager sees these jobs too)."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="team")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="job_teams")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "member"], name="jobteam_unique_member")
        ]

    def __str__(self) -> str:
        return f"{self.member} on {self.job}"


class BulkKind(models.TextChoices):
    DECLINE = "decline", "Decline"
    ADVANCE = "advance", "Advance to the next stage"
    MOVE = "move", "Move to a stage"


class BulkAction(models.Model):
    """One decision over many applications, done in chunks by a scheduler step.

    The ids are snapshotted when the recruiter confirms, so "all matching the filter" means
    the candidates they saw counted on the preview, not whoever matches later.
    """

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(Member, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=BulkKind.choices)
    stage = models.ForeignKey(
        "hiring.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=40, blank=True, choices=DeclineReason.choices)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    application_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], name="bulk_unfinished", condition=Q(finished_at=None)
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.total}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.done * 100 / self.total)


class DeclineTemplate(models.Model):
    """An org's own wording for declining for one reason, in one language."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=40, choices=DeclineReason.choices)
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "reason", "language"], name="declinetemplate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.language})"


class ProblemDigest(models.Model):
    """The day an org's admins were last mailed what needs them. Schedulers claim an org's
    day by compare-and-set on `last_sent_on`, so the digest goes out once however many run."""

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="+")
    last_sent_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Problems digest of org {self.org_id}, last sent {self.last_sent_on}"
