"""Forms for the job-seeker companion. Validation only; writes go through services."""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.password_validation import validate_password

from heardback.clock.business import is_valid_time_zone

from .models import InterviewKind, JobApplication, SeekerProfile, Status


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every zone the business-day clock accepts, by region, "Europe/London" as
    "Europe / London"; the old aliases (US/Eastern, Etc/GMT+3 …) are left out of the list."""
    names = sorted(
        name
        for name in available_timezones()
        if "/" in name
        and not name.startswith(
            ("Etc/", "SystemV/", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/")
        )
        and is_valid_time_zone(name)
    )
    return [("UTC", "UTC"), *((name, name.replace("/", " / ").replace("_", " ")) for name in names)]


class TimeZoneField(forms.ChoiceField):
    """A select of valid zones; a value posted from outside the list is refused here too."""

    def __init__(self, **kwargs: Any) -> None:
        for model_only in ("max_length", "empty_value"):  # given when built for a model field
            kwargs.pop(model_only, None)
        kwargs.setdefault("label", "Time zone")
        kwargs.setdefault(
            "error_messages", {"invalid_choice": "Please choose your time zone from the list."}
        )
        super().__init__(choices=time_zone_choices, **kwargs)

    def valid_value(self, value: Any) -> bool:
        # Any zone the clock accepts (a profile saved before the list existed keeps its own).
        return isinstance(value, str) and is_valid_time_zone(value)


class SignUpForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=200)
    email = forms.EmailField(label="Email")
    password = forms.CharField(label="Password", widget=forms.PasswordInput, min_length=8)
    country = forms.CharField(
        label="Country (for public holidays)", max_length=2, required=False,
        help_text="Two letters, e.g. GB, DE, US. Leave empty for weekends only.",
    )  # fmt: skip
    time_zone = TimeZoneField(
        initial="UTC",
        help_text="Your browser's zone is chosen for you when it can tell.",
        widget=forms.Select(attrs={"data-guess-time-zone": ""}),
    )

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
        field_classes = {"time_zone": TimeZoneField}


# Asked at sign-up already: right after it, the profile page asks only for the rest.
SIGN_UP_FIELDS = ("full_name", "email", "country", "time_zone")


class ProfileRestForm(ProfileForm):
    """The profile's remaining fields, for the first visit after signing up."""

    class Meta(ProfileForm.Meta):
        fields = [f for f in ProfileForm.Meta.fields if f not in SIGN_UP_FIELDS]


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = JobApplication
        fields = ["company", "role", "link", "contact_name", "contact_email", "applied_on",
                  "source", "region", "notes"]  # fmt: skip
        widgets = {
            "applied_on": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "link": "Link (the job ad, or the employer's Heardback status page)",
            "region": "Where the job is (region code)",
        }

    def clean_region(self) -> str:
        region: str = self.cleaned_data.get("region", "").strip().upper()
        if region and not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", region):
            raise forms.ValidationError("A code like CA-ON (Ontario) or DE-BE (Berlin).")
        return region


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


class MailUploadForm(forms.Form):
    file = forms.FileField(
        label="An email (.eml) or a mailbox (.mbox)",
        help_text="Only mail from the companies you track, or that looks like hiring mail, is "
        "read; nothing changes until you confirm it.",
    )


class MailAccountForm(forms.Form):
    host = forms.CharField(label="IMAP server", max_length=253, help_text="e.g. imap.gmail.com")
    port = forms.IntegerField(label="Port", min_value=1, max_value=65535, initial=993)
    username = forms.CharField(label="Username", max_length=254, help_text="Usually your address")
    password = forms.CharField(
        label="App password", max_length=200, widget=forms.PasswordInput(render_value=False),
        help_text="Make an app password for Heardback in your mail account's security "
        "settings; you can revoke it there, or remove it here, at any time.",
    )  # fmt: skip
    folder = forms.CharField(label="Folder", max_length=200, initial="INBOX")

    def clean_host(self) -> str:
        host: str = self.cleaned_data["host"].strip().lower().rstrip(".")
        if not host or any(c in host for c in "/@: \t"):
            raise forms.ValidationError("Just the server's name, like imap.example.com.")
        return host


class SaveJobForm(forms.Form):
    url = forms.CharField(
        label="The job's web address", max_length=1000,
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
    )  # fmt: skip
