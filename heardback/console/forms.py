"""Console forms. Labels are written for the people using them; errors say what to do."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

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
        self.fields["owner"].choices = _member_choices(org_id)
        if editing:
            del self.fields["template"]
        else:
            self.fields["template"].choices = [
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
        self.fields["member"].choices = _member_choices(org_id)


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
        label="Business days to hold it", min_value=1, max_value=5, required=False
    )


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
        self.fields["past_cap_action"].choices = choices


LANGUAGE_CHOICES = settings.LANGUAGES
