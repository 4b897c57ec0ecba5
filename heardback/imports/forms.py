from __future__ import annotations

from django import forms

from heardback.imports import storage


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}),
        help_text=(
            f"One row per application; at most {storage.MAX_BYTES // (1024 * 1024)} MB. "
            "UTF-8, UTF-16 or Windows-1252; comma, semicolon or tab between cells."
        ),
    )


class StartForm(forms.Form):
    tell_candidates = forms.BooleanField(
        required=False,
        label="Tell the candidates",
        help_text=(
            "Each imported candidate gets the acknowledgement below, with the date their "
            "stage promises. Leave it unticked if your old system already wrote to them."
        ),
    )
