"""Console forms. Labels are written for the people using them; errors say what to do."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from heardback.compliance.models import InterviewKind
from heardback.compliance.profiles import JURISDICTION_CHOICES
from heardback.hiring.models import DeclineReason, Member, Pipeline, Role


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    error_messages = {
        "invalid_login": "That email and password don't match an account. Please try again.",
        "inactive": "This account is switched off. Ask your admin to switch it back on.",
    }


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.RECRUITER)


class AcceptInviteForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=150)
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        min_length=10,
        help_text="At least 10 characters.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """`form.fields[name]`, narrowed: `fields` is typed as a plain Field, with no choices."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _member_choices(org_id: int) -> list[tuple[int, str]]:
    return [
        (m.pk, f"{m.display_name} ({m.get_role_display()})")
        for m in Member.objects.filter(org_id=org_id).select_related("user").order_by("id")
    ]


class JobForm(forms.Form):
    title = forms.CharField(label="Job title", max_length=200)
    location = forms.CharField(label="Location", max_length=200, required=False)
    description = forms.CharField(label="Description", widget=forms.Textarea, required=False)
    owner = forms.TypedChoiceField(label="Owner (decides on candidates)", coerce=int)
    template = forms.TypedChoiceField(label="Pipeline template", coerce=int)

    def __init__(self, *args: Any, org_id: int, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "owner").choices = _member_choices(org_id)
        if editing:
            del self.fields["template"]
        else:
            _choice_field(self, "template").choices = [
                (p.pk, p.name) for p in Pipeline.objects.filter(org_id=org_id, is_template=True)
            ]


class CloseOutTemplateForm(forms.Form):
    closeout_subject = forms.CharField(
        label="Close-out subject",
        max_length=300,
        required=False,
        help_text="Leave empty to use the default.",
    )
    closeout_body = forms.CharField(
        label="Close-out message",
        widget=forms.Textarea,
        required=False,
        help_text="Sent to every candidate still in the process when the job closes.",
    )


class TeamForm(forms.Form):
    member = forms.TypedChoiceField(label="Add to the team", coerce=int)

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "member").choices = _member_choices(org_id)


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(choices=DeclineReason.choices, widget=forms.HiddenInput)
    subject = forms.CharField(label="Subject", max_length=300)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 12}))
    when = forms.ChoiceField(
        label="When to send",
        choices=[("now", "Send now"), ("delay", "Hold it, then send")],
        widget=forms.RadioSelect,
        initial="delay",
    )
    delay = forms.IntegerField(
        label="Business days to hold it",
        min_value=1,
        max_value=5,
        required=False,
        # Said here too: with "Send now" this number is not used (the preview says when).
        help_text="Used only when the decline is held.",
    )


class HireForm(forms.Form):
    when = forms.ChoiceField(label="When to send the welcome", widget=forms.RadioSelect)

    def __init__(self, *args: Any, hold_minutes: int, until: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("now", "Send it now")]
        if hold_minutes:
            # Each choice says when the message goes, so nothing on the page contradicts it.
            label = f"Hold it for {hold_minutes} minutes"
            if until:
                label += f" (until about {until}), cancel any time until then"
            choices.insert(0, ("hold", label))
        _choice_field(self, "when").choices = choices


class ExtendForm(forms.Form):
    business_days = forms.IntegerField(
        label="How many more business days?", min_value=1, max_value=20, initial=3
    )
    note = forms.CharField(
        label="A line for the candidate (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note (only your team sees it)",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TemplateForm(forms.Form):
    subject = forms.CharField(label="Subject", max_length=300)
    body = forms.CharField(
        label="Message (plain text; the HTML version is made from it)",
        widget=forms.Textarea(attrs={"rows": 14}),
    )


class PolicyForm(forms.Form):
    max_silence_days = forms.IntegerField(
        label="Longest silence (days)",
        help_text="No active candidate goes longer than this without a message.",
    )
    min_gap_days = forms.IntegerField(
        label="Minimum gap between automatic updates (days)",
        help_text="Never two automatic updates to one candidate within this gap.",
    )
    nudge_lead_hours = forms.IntegerField(
        label="Remind the owner this many hours before a promise is due"
    )
    grace_hours = forms.IntegerField(
        label="Grace after a missed promise (hours)",
        help_text="Then the candidate automatically gets an honest “no decision yet”.",
    )
    extension_business_days = forms.IntegerField(
        label="An automatic update moves the promise by (business days)"
    )
    extension_cap = forms.IntegerField(label="Automatic updates per stage, at most")
    past_cap_action = forms.ChoiceField(label="After that", choices=[])
    decline_delay_business_days = forms.IntegerField(
        label="Hold declines for (business days, 0 to 5)",
        help_text="A held decline can be cancelled until it is sent.",
    )
    close_out_undo_hours = forms.IntegerField(label="A closed job can be reopened for (hours)")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "past_cap_action").choices = choices


LANGUAGE_CHOICES = settings.LANGUAGES


class InterviewForm(forms.Form):
    """An interview, in the org's local time (the view reads it in the org's time zone)."""

    starts_at = forms.DateTimeField(
        label="When (your organisation's local time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    kind = forms.ChoiceField(label="Kind", choices=InterviewKind.choices)
    interviewers = forms.CharField(label="Interviewers", max_length=500, required=False)
    screen_only = forms.BooleanField(
        label="Preliminary screen: does not count as an interview",
        required=False,
        help_text="It starts no legal deadline to answer the applicant.",
    )


class ComplianceSettingsForm(forms.Form):
    jurisdiction = forms.ChoiceField(
        label="Jurisdiction", choices=JURISDICTION_CHOICES, required=False
    )
    employee_count = forms.IntegerField(
        label="Employees today",
        min_value=0,
        max_value=10_000_000,
        required=False,
        help_text="Each job records this count on the day it is posted; Ontario's duties "
        "apply from 25.",
    )
    notice_counts_as_answer = forms.ChoiceField(
        label="Does the honest 'no decision yet' notice answer the duty?",
        choices=[
            ("", "As the jurisdiction's profile says (counsel's reading: yes)"),
            ("yes", "Yes"),
            ("no", "No: only a decision does (admins are told instead)"),
        ],
        required=False,
    )


class JobJurisdictionForm(forms.Form):
    jurisdiction = forms.ChoiceField(
        label="Jurisdiction of this job",
        choices=[("", "As the organisation"), *(c for c in JURISDICTION_CHOICES if c[0])],
        required=False,
    )


class EvidenceExportForm(forms.Form):
    job = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    start = forms.DateField(
        label="Last interview from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="until (inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class BrandingForm(forms.Form):
    """The org's face on candidate pages and emails (hiring.branding checks the values)."""

    name = forms.CharField(label="Name candidates see", max_length=200)
    reply_to = forms.EmailField(
        label="Contact address for candidates",
        required=False,
        max_length=254,
        help_text="Reply-To of every candidate email, and shown on their status page. "
        "A person should read it.",
    )
    sender_email = forms.EmailField(
        label="Sending address (From)",
        required=False,
        max_length=254,
        help_text="Used once the operator has verified its domain (SPF and DKIM); until then "
        "emails come from the platform's address under your name.",
    )
    brand_color = forms.CharField(
        label="Accent colour (buttons and links)",
        required=False,
        max_length=7,
        help_text="# and six hex digits, e.g. #0b5fff. Must be dark enough to read on white.",
        widget=forms.TextInput(attrs={"placeholder": "#0b5cad", "size": 8}),
    )
    brand_header_color = forms.CharField(
        label="Header colour",
        required=False,
        max_length=7,
        help_text="The band behind your logo; the text on it is chosen to stay readable.",
        widget=forms.TextInput(attrs={"placeholder": "#ffffff", "size": 8}),
    )
    logo = forms.FileField(
        label="Logo",
        required=False,
        help_text="PNG, JPEG or WebP, at most 1 MB; shown at most 600 x 200 pixels.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)


class ApplicationFilterForm(forms.Form):
    """The list view's filters, read from the query string. Ids are checked against what the
    member can see (`jobs`, `stages`, `owners`); anything else is an error next to its field,
    never a 500 and never a silently widened list."""

    q = forms.CharField(label="Name or email", required=False, max_length=100)
    job = forms.TypedChoiceField(label="Job", required=False, coerce=int, empty_value=None)
    stage = forms.TypedChoiceField(label="Stage", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label="Status", required=False)
    owner = forms.TypedChoiceField(label="Owner", required=False, coerce=int, empty_value=None)
    overdue = forms.BooleanField(label="Overdue", required=False)
    unreachable = forms.BooleanField(label="Unreachable", required=False)
    applied_from = forms.DateField(label="Applied from", required=False)
    applied_to = forms.DateField(label="Applied until", required=False)
    changed_from = forms.DateField(label="Last change from", required=False)
    changed_to = forms.DateField(label="Last change until", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False)
    after = forms.CharField(required=False, max_length=500)

    def __init__(
        self,
        data: Any,
        *,
        jobs: list[Any],
        stages: list[Any],
        owners: list[Any],
        statuses: dict[str, str],
        sorts: dict[str, str],
    ) -> None:
        super().__init__(data)
        self.jobs = {job.pk: job for job in jobs}
        self.stages = {stage.pk: stage for stage in stages}
        self.owners = {owner.pk: owner for owner in owners}
        bad_job = "That job is not one you can see. Choose one from the list."
        cast(forms.ChoiceField, self.fields["job"]).choices = [("", "All jobs")] + [
            (j.pk, j.title) for j in jobs
        ]
        self.fields["job"].error_messages["invalid_choice"] = bad_job
        cast(forms.ChoiceField, self.fields["stage"]).choices = [("", "Any stage")] + [
            (s.pk, s.name) for s in stages
        ]
        self.fields["stage"].error_messages["invalid_choice"] = (
            "That stage is not a stage of the jobs you can see. Choose one from the list."
        )
        cast(forms.ChoiceField, self.fields["owner"]).choices = [("", "Anyone")] + [
            (o.pk, o.display_name) for o in owners
        ]
        self.fields["owner"].error_messages["invalid_choice"] = (
            "That person owns none of the jobs you can see. Choose one from the list."
        )
        cast(forms.ChoiceField, self.fields["status"]).choices = list(statuses.items())
        self.fields["status"].error_messages["invalid_choice"] = (
            "Unknown status. Choose one from the list."
        )
        cast(forms.ChoiceField, self.fields["sort"]).choices = list(sorts.items())
        self.fields["sort"].error_messages["invalid_choice"] = (
            "Unknown order. Choose one from the list."
        )
        for name in ("applied_from", "applied_to", "changed_from", "changed_to"):
            self.fields[name].error_messages["invalid"] = (
                "Enter a date as YYYY-MM-DD, for example 2026-03-31."
            )
            self.fields[name].widget = forms.DateInput(attrs={"type": "date"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for start, end in (("applied_from", "applied_to"), ("changed_from", "changed_to")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, "This date is before the start date. Swap them or change one.")
        stage = data.get("stage")
        job = data.get("job")
        if (
            stage in self.stages
            and job in self.jobs
            and self.stages[stage].pipeline_id != self.jobs[job].pipeline_id
        ):
            self.add_error("stage", "That stage belongs to another job.")
        return data
