"""Forms for the job board and the status page. Errors speak to the candidate, kindly."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from heardback.hiring import names
from heardback.messaging.headers import clean_person_name
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
    # The shared cleaner: invisible and direction-changing characters go, links are refused
    # (here first, so the answer comes in the candidate's language, next to the field).
    return clean_person_name(value, max_length=200)


def clean_greeting_name(value: str) -> str:
    """Optional: empty means "guess it from my name" (`hiring.names`)."""
    value = value.strip()
    if not value:
        return ""
    return clean_name(value)[: names.MAX_LENGTH]


def greeting_name_field() -> forms.CharField:
    return forms.CharField(
        label=_("The name we should greet you by"),
        help_text=_("We use it in every message, as in “Hello Ana”. You can change it later."),
        max_length=names.MAX_LENGTH,
        required=False,
        # The form's script fills it in from the name as it is typed, with the same rules
        # as the server's guess (the titles listed here are never used as a first name).
        widget=forms.TextInput(
            attrs={
                "autocomplete": "nickname",
                "data-titles": " ".join(sorted(names.TITLES)),
                "data-dotted-titles": " ".join(sorted(names.DOTTED_TITLES)),
            }
        ),
    )


def clean_phone(value: str) -> str:
    value = value.strip()
    if not _PHONE.fullmatch(value):
        raise ValidationError(
            _("A phone number can contain digits, spaces and + ( ) - . / only."), code="phone"
        )
    return value


# What the apply form's consent promises comes from the org's retention policy, which the
# privacy app (above the portal) owns: it registers how to read it (privacy.apps).
RetentionLookup = Callable[[int], tuple[int, bool]]  # org id -> (months, hired included)
_retention: RetentionLookup = lambda org_id: (6, False)  # noqa: E731 - replaced at start-up


def register_retention_lookup(lookup: RetentionLookup) -> None:
    global _retention
    _retention = lookup


def consent_label(org_id: int) -> str:
    """The consent text, saying exactly what the retention step and the status page do."""
    months, hired_too = _retention(org_id)
    if hired_too:
        erased = ngettext(
            "My name, contact details and CV are erased %(months)s month after the final "
            "decision, unless a legal hold applies.",
            "My name, contact details and CV are erased %(months)s months after the final "
            "decision, unless a legal hold applies.",
            months,
        )
    else:
        erased = ngettext(
            "If I am not hired, my name, contact details and CV are erased %(months)s month "
            "after the final decision, unless a legal hold applies.",
            "If I am not hired, my name, contact details and CV are erased %(months)s months "
            "after the final decision, unless a legal hold applies.",
            months,
        )
    return " ".join(
        [
            gettext(
                "I agree that this employer stores my application to consider me for this job."
            ),
            erased % {"months": months},
            gettext(
                "The record of my application and of what I was told is kept without my name. "
                "From my status page I can download my data or ask for erasure at any time."
            ),
        ]
    )


class ApplyForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Please tell us your name.")},
    )
    greeting_name = greeting_name_field()
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
        # The label says what the retention policy of this employer does: see consent_label.
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

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Lazy, like the other labels: the form is often built before the page's language
        # is switched on, and the text must come out in the language it is rendered in.
        self.fields["consent"].label = lazy(consent_label, str)(org_id)

    def clean_name(self) -> str:
        return clean_name(self.cleaned_data["name"])

    def clean_greeting_name(self) -> str:
        return clean_greeting_name(self.cleaned_data["greeting_name"])

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def clean_cv(self) -> object:
        upload = self.cleaned_data.get("cv")
        if upload:
            uploads.check_upload(upload)
        return upload


def apply_questions() -> list[str]:
    """What the apply form asks a candidate, in English (for posting snapshots and checks)."""
    from django.utils import translation

    with translation.override("en"):
        form = ApplyForm(org_id=0)
        return [
            str(field.label)
            for name, field in form.fields.items()
            if field.label and name not in ("website", "consent")
        ]


class StatusLinkForm(forms.Form):
    """The "email me my status link again" form, on the job page and the thank-you page."""

    email = forms.EmailField(
        label=_("The address you applied with"),
        max_length=254,
        error_messages={
            "required": _("Please enter the email address you applied with."),
            "invalid": _("Please enter a valid email address, like name@example.com."),
        },
    )


class ContactForm(forms.Form):
    greeting_name = greeting_name_field()
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

    def clean_greeting_name(self) -> str:
        return clean_greeting_name(self.cleaned_data["greeting_name"])


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
