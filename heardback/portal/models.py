"""The candidate's side: status links, CV uploads, the post-decision survey, the report card.

Status tokens are stored only as a SHA-256 hash: a leaked database never yields a working
link. Everything here carries `org` so every query can be scoped to one employer.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from heardback.hiring.models import Application, Org


class StatusToken(models.Model):
    """One issued status link. A fresh one goes into every message; all of them work."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="status_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["application", "created_at"], name="status_token_app")]

    def __str__(self) -> str:
        return f"status link for application {self.application_id}"


class Attachment(models.Model):
    """A CV, stored under MEDIA_ROOT with a random name; the candidate's file name is data."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word (DOCX)"
        ODT = "odt", "OpenDocument text (ODT)"
        TXT = "txt", "Plain text"

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    original_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=100, unique=True)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.original_name


class SurveyRecipient(models.Model):
    """One row per email address: the compare-and-set lock for "once per 6 months"."""

    email = models.CharField(max_length=254, unique=True)
    last_invited_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"survey recipient (last invited {self.last_invited_at:%Y-%m-%d})"


class SurveyInvitation(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="survey_invitation"
    )
    email = models.CharField(max_length=254)
    created_at = models.DateTimeField()
    message_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["org", "created_at"], name="survey_invite_org")]

    def __str__(self) -> str:
        return f"survey invitation for application {self.application_id}"


class KeptPromises(models.TextChoices):
    YES = "yes", "Yes"
    MOSTLY = "mostly", "Mostly"
    NO = "no", "No"


class SurveyResponse(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.CASCADE, related_name="response"
    )
    kept_promises = models.CharField(max_length=10, choices=KeptPromises.choices)
    clarity = models.PositiveSmallIntegerField(help_text="1 (confusing) to 5 (very clear)")
    treated_with_respect = models.PositiveSmallIntegerField(help_text="1 (no) to 5 (very much)")
    nps = models.PositiveSmallIntegerField(help_text="0 to 10")
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(nps__lte=10), name="survey_nps_range"),
            models.CheckConstraint(
                condition=Q(clarity__gte=1, clarity__lte=5), name="survey_clarity_range"
            ),
            models.CheckConstraint(
                condition=Q(treated_with_respect__gte=1, treated_with_respect__lte=5),
                name="survey_respect_range",
            ),
        ]

    def __str__(self) -> str:
        return f"survey response {self.pk}"


class ReportCardSetting(models.Model):
    """An org's opt-in to the public report card and badge. Off unless they turn it on."""

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="report_card")
    public = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"report card ({'public' if self.public else 'private'})"


class OrgLogo(models.Model):
    """An org's logo, re-encoded from the upload (portal.branding): only pixels, no metadata.

    In the database, not under MEDIA_ROOT, so every web process serves it without a shared
    disk; it is small (at most 600 x 200 pixels).
    """

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=40)  # "<digest>.<ext>", as Org.logo
    content_type = models.CharField(max_length=20)
    content = models.BinaryField()
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
