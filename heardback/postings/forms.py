"""The posting form in the job editor. Console forms are in English, like the console."""

from __future__ import annotations

from django import forms

from heardback.postings.models import PayPeriod

YES_NO = [("", "Not stated"), ("yes", "Yes"), ("no", "No")]


class PostingForm(forms.Form):
    pay_min = forms.DecimalField(
        label="Pay from", required=False, min_value=0, max_digits=12, decimal_places=2
    )
    pay_max = forms.DecimalField(
        label="Pay up to",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="One amount: fill in either. A range: both.",
    )
    pay_period = forms.ChoiceField(label="Per", choices=PayPeriod.choices, initial=PayPeriod.YEAR)
    currency = forms.CharField(label="Currency", max_length=3, initial="CAD")
    uses_ai = forms.ChoiceField(
        label="Is artificial intelligence used to screen, assess or select applicants?",
        choices=YES_NO,
        required=False,
    )
    ai_details = forms.CharField(
        label="How it is used (shown to candidates)", max_length=500, required=False
    )
    existing_vacancy = forms.ChoiceField(
        label="Is this posting for an existing vacancy?", choices=YES_NO, required=False
    )


def to_bool(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def from_bool(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")
