"""Compliance records: which jurisdiction an org and a job are in, interviews, and the
legal duty to answer each interviewed applicant.

The jurisdiction settings live here, one-to-one with `Org` and `Job`, rather than on the
hiring models: hiring stays ignorant of any law, and a jurisdiction is only a key into
`profiles.PROFILES`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q

from heardback.compliance.profiles import JURISDICTION_CHOICES
from heardback.hiring.models import Application, Job, Org


class OrgCompliance(models.Model):
    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="compliance")
    jurisdiction = models.CharField(
        max_length=40, blank=True, choices=JURISDICTION_CHOICES, default=""
    )
    employee_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Employees today; each job records it when posted"
    )
    # None: the profile's default (counsel's reading). False when the employer's counsel
    # holds that only a decision answers the duty.
    notice_counts_as_answer = models.BooleanField(null=True, blank=True, default=None)

    def __str__(self) -> str:
        return f"Compliance settings of {self.org}"


class JobCompliance(models.Model):
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    job = models.OneToOneField(Job, on_delete=models.CASCADE, related_name="compliance")
    # "" means the org's jurisdiction applies.
    jurisdiction = models.CharField(
        max_length=40, blank=True, choices=JURISDICTION_CHOICES, default=""
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    employee_count_at_posting = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Compliance settings of {self.job}"


class InterviewKind(models.TextChoices):
    SCREEN = "screen", "Preliminary screen"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"
    ONSITE = "onsite", "On site"
    PANEL = "panel", "Panel"
    TECHNICAL = "technical", "Technical"
    OTHER = "other", "Other"


class Interview(models.Model):
    """One interview with one applicant. `counts=False` marks a preliminary screen that the
    regulation does not count as an interview; it never starts the clock."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="interviews"
    )
    starts_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=InterviewKind.choices)
    interviewers = models.CharField(max_length=500, blank=True)
    counts = models.BooleanField(
        default=True, help_text="False: a preliminary screen that does not count"
    )
    source = models.CharField(max_length=40, help_text="console, api or bridge:<provider>")
    external_id = models.CharField(max_length=200, blank=True)
    recorded_by = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["application", "starts_at"], name="interview_by_app")]
        constraints = [
            # An ATS re-sending its event must not log the interview twice.
            models.UniqueConstraint(
                fields=["org", "source", "external_id"],
                name="interview_unique_external",
                condition=~Q(external_id=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.starts_at:%Y-%m-%d %H:%M}"


class DutyWatch(models.TextChoices):
    PENDING = "pending", "Waiting"
    REMINDED = "reminded", "Owner reminded"
    NUDGED = "nudged", "Owner nudged"
    ESCALATED = "escalated", "Admins told"


class AnswerDuty(models.Model):
    """The legal duty to tell one interviewed applicant whether a decision has been made.

    Kept like a promise: `due_at` is the end of the profile's last day after the last
    counting interview (in the org's time zone); `answered_at` is when the candidate was
    told (a decision, or the honest notice where it counts). A later interview restarts it.
    """

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="+")
    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="answer_duty"
    )
    profile_key = models.CharField(max_length=60)
    last_interview_at = models.DateTimeField()
    due_at = models.DateTimeField()
    watch = models.CharField(max_length=10, choices=DutyWatch.choices, default=DutyWatch.PENDING)
    notice_message_id = models.BigIntegerField(null=True, blank=True)
    notice_at = models.DateTimeField(null=True, blank=True)
    decision_message_id = models.BigIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_late = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # The engine and check-compliance read only open duties, by deadline: their
            # cost is the open rows, not every application ever interviewed.
            models.Index(
                fields=["org", "due_at"], name="duty_open_due", condition=Q(answered_at=None)
            ),
            models.Index(fields=["due_at"], name="duty_open_all", condition=Q(answered_at=None)),
            # Duties whose decision is not yet recorded (the decision sweep).
            models.Index(fields=["org", "id"], name="duty_undecided", condition=Q(decided_at=None)),
        ]

    def __str__(self) -> str:
        return f"Answer duty for application {self.application_id} (due {self.due_at})"

    @property
    def last_moment(self) -> datetime:
        """The last instant of the last day (for showing "by the end of Thu 16 Apr"):
        `due_at` itself is midnight, which reads as the next day."""
        return self.due_at - timedelta(microseconds=1)
