"""The hiring domain: orgs and their members, jobs with pipelines, candidates, applications.

Every row that belongs to an employer carries `org` so that every query can be (and is)
scoped to one org. Business rules live in `services.py`; reads in `selectors.py`.
"""

from __future__ import annotations

from datetime import timedelta

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
    # The employer's face on candidate pages and emails (docs/branding.md). `reply_to` is
    # the address candidates can write to: Reply-To of every email, shown on the status page.
    reply_to = models.EmailField(blank=True)
    brand_color = models.CharField(
        max_length=7, blank=True, help_text="Buttons and links, #rrggbb; readable on white"
    )
    brand_header_color = models.CharField(
        max_length=7, blank=True, help_text="The page header's background, #rrggbb"
    )
    # The logo's file name ("<digest>.<ext>"); its bytes are a portal.OrgLogo row.
    logo = models.CharField(max_length=40, blank=True)
    # From: this address only once the operator has verified its domain (SPF/DKIM in place);
    # until then the platform's sender, under the org's name.
    sender_email = models.EmailField(blank=True)
    sender_verified_at = models.DateTimeField(null=True, blank=True)
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


# An erased candidate's address (privacy.services.anonymise_candidate): RFC 2606's reserved
# top-level domain, never a real mailbox. Nothing may write their details back.
ERASED_EMAIL_DOMAIN = "erased.invalid"


class Candidate(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="candidates")
    name = models.CharField(max_length=200)
    # The name they want to be greeted by ("Ana" for "Dr. Ana López"): asked on the apply
    # form, editable on the status page, used in every greeting (`hiring.names`).
    # A database default too, so set-based inserts that don't name it (benchmarks, loads) work.
    greeting_name = models.CharField(max_length=100, blank=True, default="", db_default="")
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

    @property
    def is_erased(self) -> bool:
        """Their personal data was removed (on request or by the retention policy)."""
        return self.email.endswith(f"@{ERASED_EMAIL_DOMAIN}")


class PromiseWatch(models.TextChoices):
    """How far the watchdog has got with the current promise (`respond_by`)."""

    PENDING = "pending", "Waiting"
    REMINDED = "reminded", "Owner reminded"
    NUDGED = "nudged", "Owner nudged"


# The post-decision survey (heardback.portal.survey) is sent this long after the final
# message went out. A decision sets `Application.survey_due_at` this far ahead: the final
# message can't have gone out before the decision, so nothing is looked at too early.
SURVEY_DELAY_AFTER_FINAL = timedelta(days=3)


class ApplicationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    HIRED = "hired", "Hired"


class Application(models.Model):
    # No index of their own on `org` and `job`: `application_job_status` leads with the org
    # and `application_unique` with the job, and every extra index is one more write for
    # each application a close-out declines (docs/benchmarks.md, Close-out, shows the plans).
    org = models.ForeignKey(
        Org, on_delete=models.CASCADE, related_name="applications", db_index=False
    )
    job = models.ForeignKey(
        Job, on_delete=models.CASCADE, related_name="applications", db_index=False
    )
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
    # A held final message: a decline (the reason, text and who decided), or, with
    # `pending_hire`, a hire's "Welcome aboard". Sent by `send_due_declines` at
    # `pending_decline_at`, cancellable until then; the application stays active meanwhile.
    pending_decline_at = models.DateTimeField(null=True, blank=True)
    pending_hire = models.BooleanField(default=False, db_default=False)
    pending_decline_reason = models.CharField(max_length=40, blank=True)
    pending_decline_subject = models.CharField(max_length=300, blank=True)
    pending_decline_body = models.TextField(blank=True)
    # Indexed only where set (`application_pending_decline_by`): the one query that needs
    # it is removing a member, and almost every application has no held decline.
    pending_decline_by = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    closed_out_by = models.BigIntegerField(
        null=True, blank=True, help_text="The job close-out that ended this application"
    )
    # When the post-decision survey step should next look at this application (set when it
    # is decided; cleared once invited or when it can never be). Its partial index holds
    # only these rows, so the step reads what is due, not every decided application.
    survey_due_at = models.DateTimeField(null=True, blank=True)

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
            # `id` last: a close-out pages through a job's active applications by id
            # (`id > last`) straight from this index, without sorting what remains.
            models.Index(fields=["org", "job", "status", "id"], name="application_job_status"),
            # The console's list view, newest first (or oldest), paged by (created_at, id):
            # each page reads its 50 rows straight from here, however many the org has.
            models.Index(fields=["org", "created_at", "id"], name="application_org_created"),
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
            models.Index(
                fields=["pending_decline_by"],
                name="application_pending_decline_by",
                condition=Q(pending_decline_by__isnull=False),
            ),
            # `id` too: the survey step reads due rows in (survey_due_at, id) order, so
            # the index hands them over in order and the step stops after its limit.
            models.Index(
                fields=["survey_due_at", "id"],
                name="application_survey_due",
                condition=Q(survey_due_at__isnull=False),
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


class EventKind(models.TextChoices):
    """Every kind of event in the log: one enum, used by the timeline, the metrics, the
    portal, the simulator and the close-out's SQL."""

    APPLIED = "applied", "Applied"
    STAGE_CHANGED = "stage_changed", "Moved to another stage"
    NOTE = "note", "Note"
    PROMISE_EXTENDED = "promise_extended", "Promise extended"
    SILENCE_UPDATE = "silence_update", "Told: still in progress"
    DECLINE_SCHEDULED = "decline_scheduled", "Decline held"
    DECLINE_CANCELLED = "decline_cancelled", "Held decline cancelled"
    HIRE_SCHEDULED = "hire_scheduled", "Hire held"
    HIRE_CANCELLED = "hire_cancelled", "Held hire cancelled"
    DECLINE = "decline", "Declined"
    HIRED = "hired", "Hired"
    WITHDRAWN = "withdrawn", "Withdrew"
    CLOSED_OUT = "closed_out", "Closed with the job"
    RESTORED = "restored", "Restored when the job reopened"
    CONTACT_UPDATED = "contact_updated", "Contact details updated"
    UPDATES_OPT_OUT = "progress_updates_opt_out", "Opted out of progress updates"
    UPDATES_OPT_IN = "progress_updates_opt_in", "Opted in to progress updates"
    UNREACHABLE = "unreachable", "Email could not be delivered"
    TEMPLATE_FAILED = "template_failed", "A template failed; the built-in text was sent"
    OUTCOME_TOLD_ELSEWHERE = "outcome_told_elsewhere", "Outcome recorded; the ATS told them"
    JOB_CREATED = "job_created", "Job created"
    JOB_EDITED = "job_edited", "Job edited"
    JOB_ON_HOLD = "job_on_hold", "Job put on hold"
    JOB_RESUMED = "job_resumed", "Job resumed"
    JOB_CLOSED = "job_closed", "Job closed"
    JOB_FILLED = "job_filled", "Job filled"
    JOB_REOPENED = "job_reopened", "Job reopened"
    POLICY_CHANGED = "policy_changed", "Policy changed"
    REPORT_CARD_PUBLIC = "report_card_public", "Report card made public"
    REPORT_CARD_PRIVATE = "report_card_private", "Report card made private"
    INTERVIEW_LOGGED = "interview_logged", "Interview logged"
    INTERVIEW_CANCELLED = "interview_cancelled", "Interview cancelled"
    LEGAL_NOTICE = "legal_notice", "Told: no hiring decision yet (legal duty)"
    COMPLIANCE_CHANGED = "compliance_changed", "Jurisdiction settings changed"
    MEMBER_REMOVED = "member_removed", "Member removed; jobs and promises handed over"


# The events that make a new promise to the candidate.
PROMISE_EVENT_KINDS = (
    EventKind.APPLIED,
    EventKind.STAGE_CHANGED,
    EventKind.PROMISE_EXTENDED,
    EventKind.RESTORED,
)
# The events that end an application, by the status they end it in.
FINAL_EVENT_KINDS = (
    EventKind.DECLINE,
    EventKind.HIRED,
    EventKind.CLOSED_OUT,
    EventKind.WITHDRAWN,
)


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
