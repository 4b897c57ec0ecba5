"""Forms for the job-seeker companion. Validation only; writes go through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password

from heardback.clock.business import is_valid_time_zone

from .models import InterviewKind, JobApplication, SeekerProfile, Status


class SignUpForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=200)
    email = forms.EmailField(label="Email")
    password = forms.CharField(label="Password", widget=forms.PasswordInput, min_length=8)
    country = forms.CharField(
        label="Country (for public holidays)", max_length=2, required=False,
        help_text="Two letters, e.g. GB, DE, US. Leave empty for weekends only.",
    )  # fmt: skip
    time_zone = forms.CharField(label="Time zone", max_length=64, initial="UTC")

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        if not is_valid_time_zone(value):
            raise forms.ValidationError("Use a time zone name such as Europe/London.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password"):
            try:
                validate_password(data["password"])
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


class LoginForm(forms.Form):
    email = forms.EmailField(label="Email")
    password = forms.CharField(label="Password", widget=forms.PasswordInput)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = SeekerProfile
        fields = ["full_name", "email", "phone", "links", "qualifications", "country",
                  "subdivision", "time_zone", "digest_opt_in"]  # fmt: skip
        labels = {"digest_opt_in": "Email me a short daily digest of what needs me"}
        widgets = {"qualifications": forms.Textarea(attrs={"rows": 4})}

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        if not is_valid_time_zone(value):
            raise forms.ValidationError("Use a time zone name such as Europe/London.")
        return value


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = JobApplication
        fields = ["company", "role", "link", "contact_name", "contact_email", "applied_on",
                  "source", "notes"]  # fmt: skip
        widgets = {
            "applied_on": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"link": "Link (the job ad, or the employer's Heardback status page)"}


class InterviewForm(forms.Form):
    held_on = forms.DateField(
        label="Interview date", widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(choices=InterviewKind.choices, initial=InterviewKind.VIDEO)
    interviewers = forms.CharField(label="Interviewer(s)", max_length=300, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    next_steps = forms.CharField(
        label="What are the next steps?", widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )  # fmt: skip
    promise_phrase = forms.CharField(
        label="When will you hear back? (their words)", max_length=200, required=False,
        help_text="e.g. “within two weeks”, “by Friday”, “early next month”",
    )  # fmt: skip
    promised_on = forms.DateField(
        label="…or the exact date", required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    promised_by = forms.CharField(label="Who said it", max_length=200, required=False)
    interesting_remark = forms.CharField(
        label="Something interesting they said",
        widget=forms.Textarea(attrs={"rows": 2}), required=False,
        help_text="Your thank-you note will mention it: it's what makes a note memorable.",
    )  # fmt: skip


class NoteTextForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), max_length=20000)


class PasteForm(forms.Form):
    text = forms.CharField(
        label="Paste an email or write a note", widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
    )  # fmt: skip


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file")
