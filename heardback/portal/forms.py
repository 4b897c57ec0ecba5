"""Forms for the job board and the status page. Errors speak to the candidate, kindly."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from heardback.portal import uploads
from heardback.portal.models import KeptPromises

_LINE_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_PHONE = re.compile(r"[0-9+()\-./ ]*")


def _language_choices() -> list[tuple[str, str]]:
    return [(code, name) for code, name in settings.LANGUAGES]


def clean_name(value: str) -> str:
    value = value.strip()
    if _LINE_OR_CONTROL.search(value):
        raise ValidationError(_("Please write your name on a single line."), code="newline")
    if "<" in value or ">" in value:
        raise ValidationError(
            _("Please leave out the characters < and > from your name."), code="markup"
        )
    if not value:
        raise ValidationError(_("Please tell us your name."), code="required")
    return value


def clean_phone(value: str) -> str:
    value = value.strip()
    if not _PHONE.fullmatch(value):
        raise ValidationError(
            _("A phone number can contain digits, spaces and + ( ) - . / only."), code="phone"
        )
    return value


class ApplyForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Please tell us your name.")},
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send every update here, including the final answer."),
        error_messages={
            "required": _("Please enter your email address, so we can tell you how it goes."),
            "invalid": _("Please enter a valid email address, like name@example.com."),
        },
    )
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    language = forms.ChoiceField(
        label=_("Preferred language for our messages"), choices=_language_choices
    )
    cv = forms.FileField(
        label=_("Your CV (optional)"),
        required=False,
        help_text=_("PDF, Word (.docx), OpenDocument (.odt) or text (.txt), up to 5 MB."),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that this employer stores my application to consider me for this job. "
            "It is deleted when the process is over, unless I am hired."
        ),
        error_messages={"required": _("We can only consider your application with your consent.")},
    )
    time_zone = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # The honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_name(self) -> str:
        return clean_name(self.cleaned_data["name"])

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def clean_cv(self) -> object:
        upload = self.cleaned_data.get("cv")
        if upload:
            uploads.check_upload(upload)
        return upload


class ContactForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        error_messages={
            "required": _("Please enter your email address, so we can tell you how it goes."),
            "invalid": _("Please enter a valid email address, like name@example.com."),
        },
    )
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    language = forms.ChoiceField(
        label=_("Preferred language for our messages"), choices=_language_choices
    )

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])


SCALE_5 = [(n, str(n)) for n in range(1, 6)]
SCALE_11 = [(n, str(n)) for n in range(11)]


class SurveyForm(forms.Form):
    kept_promises = forms.ChoiceField(
        label=_("Did we keep our promises about when you would hear from us?"),
        choices=[
            (KeptPromises.YES, _("Yes")),
            (KeptPromises.MOSTLY, _("Mostly")),
            (KeptPromises.NO, _("No")),
        ],
        widget=forms.RadioSelect,
    )
    clarity = forms.TypedChoiceField(
        label=_("How clear were our messages? (1: confusing, 5: very clear)"),
        choices=SCALE_5,
        coerce=int,
        widget=forms.RadioSelect,
    )
    treated_with_respect = forms.TypedChoiceField(
        label=_("Did you feel treated with respect? (1: not at all, 5: very much)"),
        choices=SCALE_5,
        coerce=int,
        widget=forms.RadioSelect,
    )
    nps = forms.TypedChoiceField(
        label=_(
            "How likely are you to recommend applying here to a friend? "
            "(0: not at all, 10: certainly)"
        ),
        choices=SCALE_11,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
