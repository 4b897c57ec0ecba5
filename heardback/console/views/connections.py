"""Connections to an ATS (admins only): add one, see where the ATS must send its events,
what arrived and what became of it, replay what failed, map the ATS's stage names to the
stages candidates see, and change the connection's settings.

A webhook secret is shown once, on the page that generated it (the generic bridge); a
secret pasted from the ATS is never shown again. Both pages that can show one are
`Cache-Control: no-store`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from heardback.bridges import selectors, services
from heardback.bridges.models import Connection, FinalMessageBy, Provider
from heardback.console.access import ADMIN, console_view
from heardback.console.views.common import attach_errors, member_of
from heardback.hiring.models import CoarseStage, Member

# Where each ATS keeps the form the URL and secret go into (docs/integrations.md has more).
WHERE_TO_PASTE = {
    Provider.GREENHOUSE: "Greenhouse: Configure → Dev Center → Web Hooks → Web Hooks. Paste "
    "the URL as the Endpoint URL, the same secret key as here, and create one web hook per "
    "event: Candidate has submitted application, Candidate has changed stage, Candidate or "
    "prospect rejected, Candidate or prospect unrejected, Candidate hired, Job updated.",
    Provider.ASHBY: "Ashby: Admin → Integrations → Webhooks → New. Paste the URL as the "
    "request URL and the same secret token as here, once per webhook type: "
    "applicationSubmit, applicationUpdate, candidateStageChange, candidateHire, jobUpdate.",
    Provider.WORKABLE: "Workable: subscribe the URL through Workable's API (POST "
    "/spi/v3/subscriptions) to candidate_created and candidate_moved. Workable signs with "
    "your account token or your app's secret: the one pasted here.",
    Provider.LEVER: "Lever: Settings → Integrations and API → Webhooks. Paste the URL for "
    "Candidate stage change, Candidate archive state change and Candidate hired, and the "
    "webhook's signature token here. Lever sends ids only: add API credentials below.",
    Provider.GENERIC: "Your own code or another ATS: POST JSON to the URL, signed with the "
    "secret (X-Heardback-Signature: sha256=<hex of HMAC-SHA256 of the body>).",
}
STAGE_CHOICES = [("", "— not mapped (use the keywords) —"), *CoarseStage.choices]


class NewConnectionForm(forms.Form):
    provider = forms.ChoiceField(label="ATS", choices=Provider.choices)
    name = forms.CharField(max_length=100, help_text="What you call it, e.g. “Greenhouse EU”")
    webhook_secret = forms.CharField(
        label="Webhook secret",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="The secret the ATS signs with: Greenhouse's secret key, Ashby's secret "
        "token, Workable's account token or app secret, Lever's signature token. "
        "For another ATS leave it empty: we generate one and show it once.",
    )
    api_credentials = forms.CharField(
        label="API credentials (optional)",
        required=False,
        max_length=5000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="For Lever (its events carry ids only) and for reconciling: the ATS's API "
        "key. Stored encrypted, never shown again.",
    )
    final_message_by = forms.ChoiceField(
        label="Who sends the final message?",
        choices=FinalMessageBy.choices,
        initial=FinalMessageBy.HEARDBACK,
        widget=forms.RadioSelect,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        provider, secret = cleaned.get("provider"), cleaned.get("webhook_secret", "").strip()
        if provider == Provider.GENERIC and secret:
            self.add_error("webhook_secret", "Leave it empty: we generate one for you.")
        elif provider and provider != Provider.GENERIC and not secret:
            self.add_error("webhook_secret", "Paste the secret you set in the ATS.")
        return cleaned


class SettingsForm(forms.Form):
    name = forms.CharField(max_length=100)
    final_message_by = forms.ChoiceField(
        label="Who sends the final message?",
        choices=FinalMessageBy.choices,
        widget=forms.RadioSelect,
    )
    enabled = forms.BooleanField(
        label="On: accept events from the ATS",
        required=False,
        help_text="Off: the URL answers 404 and the ATS retries later.",
    )
    webhook_secret = forms.CharField(
        label="New webhook secret",
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Only to change it; empty keeps the stored one.",
    )
    new_secret = forms.BooleanField(
        label="Generate a new secret (shown once; the old one stops working)", required=False
    )
    api_credentials = forms.CharField(
        label="New API credentials",
        required=False,
        max_length=5000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Only to change them; empty keeps the stored ones.",
    )

    def __init__(self, *args: Any, connection: Connection, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": connection.name,
                "final_message_by": connection.final_message_by,
                "enabled": connection.enabled,
            },
        )
        super().__init__(*args, **kwargs)
        if connection.provider != Provider.GENERIC:
            del self.fields["new_secret"]  # the ATS's secret is set in the ATS


class StageRowForm(forms.Form):
    ats_stage = forms.CharField(label="ATS stage name", required=False, max_length=100)
    coarse = forms.ChoiceField(label="Candidates see", choices=STAGE_CHOICES, required=False)


StageFormSet = forms.formset_factory(StageRowForm, extra=3, max_num=200, validate_max=True)


def _stage_formset(connection: Connection, data: Any = None) -> Any:
    initial = [
        {"ats_stage": name, "coarse": coarse}
        for name, coarse in sorted((connection.stage_map or {}).items())
    ]
    return StageFormSet(data, initial=initial, prefix="stages")


def _connection(member: Member, connection_id: int) -> Connection:
    connection = selectors.connection_for(org_id=member.org_id, connection_id=connection_id)
    if connection is None:
        raise Http404("No such connection.")
    return connection


def _no_store(response: HttpResponse) -> HttpResponse:
    # A page that may show a webhook secret must never be cached anywhere.
    response["Cache-Control"] = "no-store"
    return response


@console_view(*ADMIN)
def connections(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    form = NewConnectionForm(request.POST or None)
    created: Connection | None = None
    created_secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.create_connection(
                actor=member,
                provider=form.cleaned_data["provider"],
                name=form.cleaned_data["name"],
                webhook_secret=form.cleaned_data["webhook_secret"],
                api_credentials=form.cleaned_data["api_credentials"],
                final_message_by=form.cleaned_data["final_message_by"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if created.provider != Provider.GENERIC:
                messages.success(
                    request,
                    f"Connected. Now paste this page's URL into {created.get_provider_display()}.",
                )
                return redirect("console:connection", created.pk)
            created_secret = secret
            form = NewConnectionForm()
    return _no_store(
        render(
            request,
            "console/connections.html",
            {
                "form": form,
                "connections": selectors.connections_of(org_id=member.org_id),
                "created": created,
                "created_secret": created_secret,
                "created_url": services.endpoint_url(created) if created else "",
            },
            status=400 if form.errors else 200,
        )
    )


def _connection_page(
    request: HttpRequest,
    connection: Connection,
    *,
    settings_form: SettingsForm | None = None,
    stage_formset: Any = None,
    new_secret: str = "",
    status: int = 200,
) -> HttpResponse:
    return _no_store(
        render(
            request,
            "console/connection.html",
            {
                "connection": connection,
                "endpoint_url": services.endpoint_url(connection),
                "where_to_paste": WHERE_TO_PASTE.get(Provider(connection.provider), ""),
                "events": selectors.recent_events(connection=connection),
                "log_length": selectors.LOG_LENGTH,
                "signature_failures": selectors.signature_failures(connection=connection),
                "failures": selectors.failures(connection=connection),
                "stages_seen": selectors.stages_seen(connection=connection),
                "keyword_defaults": selectors.keyword_defaults(),
                "default_stage": CoarseStage.IN_REVIEW.label,
                "stage_formset": stage_formset or _stage_formset(connection),
                "settings_form": settings_form or SettingsForm(connection=connection),
                "new_secret": new_secret,
            },
            status=status,
        )
    )


@console_view(*ADMIN)
def connection(request: HttpRequest, connection_id: int) -> HttpResponse:
    member = member_of(request)
    return _connection_page(request, _connection(member, connection_id))


@require_POST
@console_view(*ADMIN)
def connection_settings(request: HttpRequest, connection_id: int) -> HttpResponse:
    member = member_of(request)
    found = _connection(member, connection_id)
    form = SettingsForm(request.POST, connection=found)
    if form.is_valid():
        try:
            new_secret = services.update_connection(
                actor=member,
                connection=found,
                name=form.cleaned_data["name"],
                final_message_by=form.cleaned_data["final_message_by"],
                enabled=form.cleaned_data["enabled"],
                webhook_secret=form.cleaned_data["webhook_secret"],
                api_credentials=form.cleaned_data["api_credentials"],
                new_secret=form.cleaned_data.get("new_secret", False),
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            if new_secret:
                # Shown here, once: no redirect, so it is never in a URL or a later page.
                return _connection_page(request, found, new_secret=new_secret)
            messages.success(request, "Saved.")
            return redirect("console:connection", found.pk)
    return _connection_page(request, found, settings_form=form, status=400)


@require_POST
@console_view(*ADMIN)
def connection_stages(request: HttpRequest, connection_id: int) -> HttpResponse:
    member = member_of(request)
    found = _connection(member, connection_id)
    formset = _stage_formset(found, request.POST)
    if formset.is_valid():
        mapping = {
            row["ats_stage"].strip(): row["coarse"]
            for row in formset.cleaned_data
            if row and row.get("ats_stage", "").strip() and row.get("coarse")
        }
        try:
            services.set_stage_map(actor=member, connection=found, mapping=mapping)
        except ValidationError as error:
            formset._non_form_errors = formset.error_class(error.messages)
        else:
            messages.success(
                request,
                "Stage mapping saved. It applies to the next events; candidates already "
                "moved keep their stage until the ATS moves them again.",
            )
            return redirect("console:connection", found.pk)
    return _connection_page(request, found, stage_formset=formset, status=400)


@require_POST
@console_view(*ADMIN)
def connection_replay(request: HttpRequest, connection_id: int, event_id: int) -> HttpResponse:
    member = member_of(request)
    found = _connection(member, connection_id)
    event = selectors.event_for(connection=found, event_id=event_id)
    if event is None:
        raise Http404("No such event.")
    if services.replay_event(actor=member, event=event):
        messages.success(request, "The event is back in the inbox; it is applied within a minute.")
    else:
        messages.info(request, "That event did not fail: there is nothing to replay.")
    return redirect("console:connection", found.pk)
