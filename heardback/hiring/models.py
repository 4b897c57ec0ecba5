"""The hiring domain: orgs and their members, jobs with pipelines, candidates, applications.

Every row that belongs to an employer carries `org` so that every query can be (and is)
scoped to one org. Business rules live in `services.py`; reads in `selectors.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CoarseStage(models.TextChoices):
    """The few stages a candidate sees. Internal stage names never reach them."""

    RECEIVED = "received", _("Received")
    IN_REVIEW = "in_review", _("In review")
    INTERVIEW = "interview", _("Interview")
    OFFER = "offer", _("Offer")
    CLOSED = "closed", _("Closed")


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    RECRUITER = "recruiter", "Recruiter"
    HIRING_MANAGER = "hiring_manager", "Hiring manager"


class Org(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO country code for the holiday calendar, e.g. DE"
    )
    subdivision = models.CharField(max_length=10, blank=True, help_text="e.g. BY for Bavaria")
    time_zone = models.CharField(max_length=64, default="UTC")
    reply_to = models.EmailField(blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "user"], name="member_unique_user")]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.email} ({self.get_role_display()})"

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.email


class Pipeline(models.Model):
    """An ordered list of stages. Templates are copied into each job so edits stay local."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="pipelines")
    name = models.CharField(max_length=200)
    is_template = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100, help_text="Internal name; candidates never see it")
    coarse_stage = models.CharField(max_length=20, choices=CoarseStage.choices)
    promise_business_days = models.PositiveSmallIntegerField(
        default=5, help_text="We promise the candidate a response within this many business days"
    )
    subject_template = models.CharField(max_length=300, blank=True)
    body_template = models.TextField(
        blank=True, help_text="Message sent on entering this stage; empty uses the default"
    )

    class Meta:
        ordering = ["pipeline_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "position"], name="stage_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_coarse_stage_display()})"


class JobStatus(models.TextChoices):
    OPEN = "open", "Open"
    ON_HOLD = "on_hold", "On hold"
    FILLED = "filled", "Filled"
    CLOSED = "closed", "Closed"


class Job(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="jobs")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="owned_jobs")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.OPEN)
    pipeline = models.OneToOneField(Pipeline, on_delete=models.PROTECT, related_name="job")
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closeout_subject = models.CharField(
        max_length=300, blank=True, help_text="Final message when the job closes; empty: default"
    )
    closeout_body = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "slug"], name="job_unique_slug")]

    def __str__(self) -> str:
        return self.title


class Candidate(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="candidates")
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=8, default="en")
    time_zone = models.CharField(max_length=64, default="UTC")
    progress_updates_opt_out = models.BooleanField(default=False)
    unreachable_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "email"], name="candidate_unique_email")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class PromiseWatch(models.TextChoices):
    """How far the watchdog has got with the current promise (`respond_by`)."""

    PENDING = "pending", "Waiting"
    REMINDED = "reminded", "Owner reminded"
    NUDGED = "nudged", "Owner nudged"


class ApplicationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    HIRED = "hired", "Hired"


class Application(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="applications")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="applications")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="applications")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(
        max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.ACTIVE
    )
    respond_by = models.DateTimeField(null=True, blank=True)
    stage_entered_at = models.DateTimeField()
    last_contacted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the candidate was last sent a message"
    )
    last_automated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the system last sent an update on its own"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    # The watchdog's state for the current promise; a new respond_by resets it to pending.
    promise_watch = models.CharField(
        max_length=10, choices=PromiseWatch.choices, default=PromiseWatch.PENDING
    )
    extensions_used = models.PositiveSmallIntegerField(default=0)
    # A decline held for its delay: the candidate still sees "active" until it is sent.
    pending_decline_at = models.DateTimeField(null=True, blank=True)
    pending_decline_reason = models.CharField(max_length=40, blank=True)
    pending_decline_subject = models.CharField(max_length=300, blank=True)
    pending_decline_body = models.TextField(blank=True)
    pending_decline_by = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_out_by = models.BigIntegerField(
        null=True, blank=True, help_text="The job close-out that ended this application"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "candidate"], name="application_unique")
        ]
        indexes = [
            models.Index(
                fields=["respond_by"],
                name="application_active_due",
                condition=Q(status="active"),
            ),
            models.Index(fields=["org", "job", "status"], name="application_job_status"),
            # The scheduler's sweeps: each costs what is due, not what exists.
            models.Index(
                fields=["org", "promise_watch", "respond_by"],
                name="application_watch_due",
                condition=Q(status="active", pending_decline_at__isnull=True),
            ),
            models.Index(
                fields=["org", "last_contacted_at"],
                name="application_silence",
                condition=Q(status="active"),
            ),
            models.Index(
                fields=["pending_decline_at"],
                name="application_pending_decline",
                condition=Q(status="active", pending_decline_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} → {self.job}"

    @property
    def is_active(self) -> bool:
        return self.status == ApplicationStatus.ACTIVE


class DeclineReason(models.TextChoices):
    """Kind, specific reasons a recruiter can pick; each has its own default message."""

    OTHER_CANDIDATE = "other_candidate", "We chose another candidate"
    EXPERIENCE = "experience", "Experience does not match the role yet"
    POSITION_CLOSED = "position_closed", "The position was closed"
    LOCATION = "location", "Location or work authorisation"
    NO_DECISION = "no_decision", "We could not reach a decision in time"
    OTHER = "other", "Another reason"


class Event(models.Model):
    """The append-only log of who did what and when. Never updated, never deleted by code."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="events")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(
        max_length=100, help_text="Who acted, kept even if the user is deleted: a name or 'system'"
    )
    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["application", "created_at"], name="event_timeline")]

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor_label}"
