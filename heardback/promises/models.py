"""The engine's own state: each org's policy, job close-outs, and one-click action links."""

from __future__ import annotations

from django.db import models

from heardback.hiring.models import Application, Job, Member, Org


class PastCapAction(models.TextChoices):
    ESCALATE = "escalate", "Escalate to an org admin (and keep the candidate updated)"
    DECLINE = "decline", "Close with a kind decline"


class OrgPolicy(models.Model):
    """How the no-ghost contract is kept for one org. Validated by `policy.validate_policy`."""

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="policy")
    max_silence_days = models.PositiveSmallIntegerField(
        default=7, help_text="No active candidate goes longer than this without a message"
    )
    min_gap_days = models.PositiveSmallIntegerField(
        default=3, help_text="Never two automated updates to one candidate within this gap"
    )
    nudge_lead_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Remind the owner this long before a promise falls due"
    )
    grace_hours = models.PositiveSmallIntegerField(
        default=24, help_text="After a missed promise, wait this long before updating the candidate"
    )
    extension_business_days = models.PositiveSmallIntegerField(
        default=3, help_text="How far an automatic 'no decision yet' update moves the promise"
    )
    extension_cap = models.PositiveSmallIntegerField(
        default=2, help_text="Automatic extensions per stage before the policy below applies"
    )
    past_cap_action = models.CharField(
        max_length=10, choices=PastCapAction.choices, default=PastCapAction.ESCALATE
    )
    decline_delay_business_days = models.PositiveSmallIntegerField(
        default=0, help_text="Hold declines this many business days (0 to 5) so they can be undone"
    )
    close_out_undo_hours = models.PositiveSmallIntegerField(
        default=24, help_text="A closed job can be reopened, restoring its candidates, this long"
    )

    def __str__(self) -> str:
        return f"Policy of {self.org}"


class CloseOut(models.Model):
    """Closing or filling a job: every remaining active candidate gets one final message."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="close_outs")
    outcome = models.CharField(max_length=10)  # closed | filled
    started_by = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # Keyset position: every application of the job up to this id has been looked at. The
    # next chunk reads `id > after_application_id` from an index in id order, so a chunk
    # costs its own size however many remain, and an interrupted close-out resumes here.
    after_application_id = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    undo_until = models.DateTimeField()
    reopened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="closeout_unfinished",
                condition=models.Q(finished_at__isnull=True, reopened_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Close-out of {self.job} ({self.done}/{self.total})"


class ActionKind(models.TextChoices):
    ADVANCE = "advance", "Advance to the next stage"
    DECLINE = "decline", "Decline"
    EXTEND = "extend", "Need more days"


class ActionLink(models.Model):
    """A one-click decision link in a nudge email: single use, expiring, bound to one member.

    Only the SHA-256 of the token is stored; the token itself exists only in the email.
    """

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ActionKind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} link for {self.member}"
