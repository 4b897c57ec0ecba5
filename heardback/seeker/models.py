"""The job-seeker companion: a seeker's own applications, interviews and follow-ups.

Everything here belongs to one seeker (`owner`, a Django user with a `SeekerProfile`) and is
only ever read through a query scoped to that owner. The seeker side knows nothing of the
employer apps: it reads an employer's live status only through the public status JSON.
Rules (what is due when, the follow-up cap) live in `cadence.py` and `services.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Status(models.TextChoices):
    APPLIED = "applied", "Applied"
    INTERVIEWING = "interviewing", "Interviewing"
    OFFER = "offer", "Offer"
    REJECTED = "rejected", "Rejected"
    GHOSTED = "ghosted", "Ghosted"
    WITHDRAWN = "withdrawn", "Withdrawn"
    ACCEPTED = "accepted", "Accepted"


# Still waiting on the employer: the cadence and the reminders apply only to these.
OPEN_STATUSES = frozenset({Status.APPLIED, Status.INTERVIEWING})
# The employer answered (in any way); used for the response rate.
ANSWERED_STATUSES = frozenset({Status.INTERVIEWING, Status.OFFER, Status.REJECTED, Status.ACCEPTED})


class InterviewKind(models.TextChoices):
    PHONE = "phone", "Phone screen"
    VIDEO = "video", "Video call"
    ONSITE = "onsite", "On site"
    TECHNICAL = "technical", "Technical"
    PANEL = "panel", "Panel"
    OTHER = "other", "Other"


class SeekerProfile(models.Model):
    """What makes a user a job seeker, and what the drafts are signed with."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seeker_profile"
    )
    full_name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    links = models.CharField(
        max_length=300, blank=True, help_text="A portfolio or profile link for your signature"
    )
    qualifications = models.TextField(
        blank=True,
        help_text="Your key qualifications, one per line (the thank-you draft mentions them)",
    )
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO country code for public holidays, e.g. GB or DE"
    )
    subdivision = models.CharField(max_length=10, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    digest_opt_in = models.BooleanField(default=False)
    digest_last_sent_on = models.DateField(null=True, blank=True)
    # sha256 of the private calendar token; the token itself is shown once and never stored.
    calendar_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    calendar_token_created_at = models.DateTimeField(null=True, blank=True)
    # Nothing is emailed to `email` until its owner has confirmed it from the link we send
    # (anyone can type anyone's address into a sign-up form). Changing it starts again.
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # sha256 of the confirmation token (the token is only in the email); when it was sent.
    email_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    email_token_sent_at = models.DateTimeField(null=True, blank=True)
    # sha256 of the "save this job" bookmarklet's token (shown once, inside the bookmarklet).
    bookmarklet_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    bookmarklet_token_created_at = models.DateTimeField(null=True, blank=True)
    # Set by the one-click unsubscribe (RFC 8058): no digest goes out after it.
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["digest_last_sent_on"],
                name="seeker_digest_due",
                condition=Q(digest_opt_in=True),
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def qualification_list(self) -> list[str]:
        return [line.strip(" -•*\t") for line in self.qualifications.splitlines() if line.strip()]


class JobApplication(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seeker_applications"
    )
    company = models.CharField(max_length=200)
    role = models.CharField(max_length=200)
    link = models.URLField(max_length=500, blank=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(max_length=254, blank=True)
    applied_on = models.DateField()
    source = models.CharField(
        max_length=100, blank=True, help_text="Where you found it: a job board, a referral…"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLIED)
    notes = models.TextField(blank=True)
    # The employer's first answer of any kind (an interview invitation counts).
    first_response_on = models.DateField(null=True, blank=True)
    # The last time the seeker heard anything; follow-ups are counted since then.
    last_news_on = models.DateField()
    # Bumped on every piece of news; follow-ups belong to one round of silence.
    news_round = models.PositiveIntegerField(default=0)
    # The live employer status, when `link` is a Heardback status page.
    employer_stage = models.CharField(max_length=20, blank=True)
    employer_stage_label = models.CharField(max_length=100, blank=True)
    employer_status = models.CharField(max_length=20, blank=True)
    employer_respond_by = models.DateTimeField(null=True, blank=True)
    employer_checked_at = models.DateTimeField(null=True, blank=True)
    employer_error = models.CharField(max_length=300, blank=True)
    # ISO 3166-2 code of where the job is (e.g. CA-ON): decides a legal duty to answer.
    region = models.CharField(
        max_length=10, blank=True, help_text="Where the job is, e.g. CA-ON for Ontario"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-applied_on", "-id"]
        indexes = [models.Index(fields=["owner", "status"], name="seeker_app_owner_status")]

    def __str__(self) -> str:
        return f"{self.role} at {self.company}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Interview(models.Model):
    application = models.ForeignKey(
        JobApplication, on_delete=models.CASCADE, related_name="interviews"
    )
    held_on = models.DateField()
    kind = models.CharField(
        max_length=20, choices=InterviewKind.choices, default=InterviewKind.VIDEO
    )
    interviewers = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)
    # "What are the next steps and when will I hear back?"
    next_steps = models.TextField(blank=True)
    promise_phrase = models.CharField(max_length=200, blank=True)
    promised_on = models.DateField(null=True, blank=True)
    promise_explained = models.CharField(max_length=300, blank=True)
    # True when nobody gave a date and the tracker assumed a week.
    promise_assumed = models.BooleanField(default=False)
    promised_by = models.CharField(max_length=200, blank=True)
    interesting_remark = models.TextField(blank=True)
    thank_you_text = models.TextField(blank=True)
    thank_you_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.held_on}"


class FollowUp(models.Model):
    """A follow-up draft; at most two per silence (see services.draft_follow_up)."""

    application = models.ForeignKey(
        JobApplication, on_delete=models.CASCADE, related_name="follow_ups"
    )
    round = models.PositiveIntegerField(default=0)
    number = models.PositiveSmallIntegerField()
    text = models.TextField()
    drafted_on = models.DateField()
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # The cap, held by the database too: one number per round, and only 1 or 2.
            models.UniqueConstraint(
                fields=["application", "round", "number"], name="seeker_followup_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1) & Q(number__lte=2), name="seeker_followup_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up {self.number}"


class Note(models.Model):
    """A pasted email or a note about the application (scanned for likely-no phrases)."""

    application = models.ForeignKey(JobApplication, on_delete=models.CASCADE, related_name="pasted")
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:60]


# --- Mail import: proposals the seeker confirms ----------------------------------------------


class MailKind(models.TextChoices):
    """What an employer's email says, as the classifier reads it (`mailread.py`)."""

    RECEIVED = "received", "Application received"
    INTERVIEW = "interview", "Interview invitation"
    PROMISE = "promise", "A promised date"
    REJECTION = "rejection", "Rejection"
    OFFER = "offer", "Offer"
    OTHER = "other", "Not hiring mail"


class ProposalState(models.TextChoices):
    PENDING = "pending", "Waiting for you"
    ACCEPTED = "accepted", "Applied"
    DISMISSED = "dismissed", "Dismissed"


class MailProposal(models.Model):
    """An update read from one email, waiting for the seeker's yes or no.

    Privacy: only what the proposal page shows is kept: the sender, the subject, the date and
    the one sentence that gave the update away (plus a status-page link when there was one).
    Never the body, never the attachments.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seeker_mail_proposals"
    )
    # None: hiring mail that matched no tracked application; offered as a new one.
    application = models.ForeignKey(
        JobApplication, on_delete=models.CASCADE, null=True, blank=True, related_name="proposals"
    )
    kind = models.CharField(max_length=20, choices=MailKind.choices)
    state = models.CharField(
        max_length=10, choices=ProposalState.choices, default=ProposalState.PENDING
    )
    # sha256 of the Message-ID (or of sender, date and subject): the same email imported
    # twice, from a file and from IMAP say, proposes once.
    message_key = models.CharField(max_length=64)
    sender = models.CharField(max_length=300)
    subject = models.CharField(max_length=300, blank=True)
    received_on = models.DateField()
    excerpt = models.CharField(max_length=500, blank=True)
    # An interview's date, or the date a promise reads as (with how it was read).
    event_on = models.DateField(null=True, blank=True)
    event_explained = models.CharField(max_length=300, blank=True)
    # For unmatched hiring mail: the new application we'd create.
    company = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=200, blank=True)
    status_link = models.URLField(max_length=500, blank=True)
    source = models.CharField(max_length=10, default="upload")  # upload | imap
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "message_key"], name="seeker_proposal_once")
        ]
        indexes = [models.Index(fields=["owner", "state"], name="seeker_proposal_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject[:40]}"


class MailAccount(models.Model):
    """A mailbox the network loop reads over IMAP (with an app password).

    The password is encrypted at rest with the same keys as the ATS bridges' secrets
    (`bridges.secrets`, Fernet, rotatable); deleting the row removes it.
    """

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seeker_mail_account"
    )
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=993)
    username = models.CharField(max_length=254)
    password_encrypted = models.TextField()
    folder = models.CharField(max_length=200, default="INBOX")
    # Where the last read stopped (IMAP UIDs only grow within one UIDVALIDITY).
    uid_validity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.username} at {self.host}"


class SavedJob(models.Model):
    """A job saved from its page (the bookmarklet or a pasted link), not yet applied to."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seeker_saved_jobs"
    )
    url = models.URLField(max_length=1000)
    title = models.CharField(max_length=300)
    company = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=300, blank=True)
    # ISO 3166-2 (e.g. CA-ON) when the posting said where it is; decides a duty to answer.
    region = models.CharField(max_length=10, blank=True)
    salary = models.CharField(max_length=200, blank=True)
    date_posted = models.DateField(null=True, blank=True)
    valid_through = models.DateField(null=True, blank=True)
    # How it was read: "json-ld", "title" (no JobPosting on the page) or "given" (the page
    # could not be fetched; the title the bookmarklet sent).
    read_from = models.CharField(max_length=10)
    note = models.CharField(max_length=300, blank=True)
    application = models.OneToOneField(
        JobApplication, on_delete=models.SET_NULL, null=True, blank=True, related_name="saved"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
