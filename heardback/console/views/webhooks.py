"""Outbound webhooks: admins add endpoints (the signing secret is shown once, on the page
that creates it), enable and disable them, read each one's delivery log, replay a delivery
and send a test event. Nothing here calls another server: the network loop sends."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from heardback.console.access import ADMIN, console_view
from heardback.console.views.common import attach_errors, member_of
from heardback.hiring.models import Member
from heardback.webhooks import selectors, services
from heardback.webhooks.events import EventType
from heardback.webhooks.models import WebhookEndpoint


class NewEndpointForm(forms.Form):
    url = forms.CharField(
        label="Address",
        max_length=2000,
        help_text="Where to POST, e.g. https://hr.example.com/hooks/heardback",
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="Optional: what listens there"
    )
    events = forms.MultipleChoiceField(
        choices=EventType.choices,
        initial=EventType.values,
        widget=forms.CheckboxSelectMultiple,
        help_text="What to send",
    )


def _endpoint(member: Member, endpoint_id: int) -> WebhookEndpoint:
    endpoint = selectors.endpoint_for(org_id=member.org_id, endpoint_id=endpoint_id)
    if endpoint is None:
        raise Http404("No such endpoint.")
    return endpoint


@console_view(*ADMIN)
def webhooks(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    form = NewEndpointForm(request.POST or None)
    created: tuple[WebhookEndpoint, str] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_endpoint(
                actor=member,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            form = NewEndpointForm()
    response = render(
        request,
        "console/webhooks.html",
        {
            "form": form,
            "endpoints": selectors.endpoints_of(org_id=member.org_id).order_by("-created_at"),
            "created": created[0] if created else None,
            "created_secret": created[1] if created else "",
            "disable_after_days": settings.WEBHOOK_DISABLE_AFTER_DAYS,
        },
        status=400 if form.errors else 200,
    )
    # The one page that ever shows a signing secret must never be cached anywhere.
    response["Cache-Control"] = "no-store"
    return response


@console_view(*ADMIN)
def webhook(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    member = member_of(request)
    endpoint = _endpoint(member, endpoint_id)
    labels = dict(EventType.choices)
    return render(
        request,
        "console/webhook.html",
        {
            "endpoint": endpoint,
            "events": [labels.get(event, event) for event in endpoint.events],
            "deliveries": selectors.delivery_log(endpoint=endpoint),
            "log_length": selectors.LOG_LENGTH,
        },
    )


@require_POST
@console_view(*ADMIN)
def webhook_enable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    member = member_of(request)
    endpoint = services.enable(actor=member, endpoint=_endpoint(member, endpoint_id))
    messages.success(request, f"Webhooks to {endpoint.url} are on again.")
    return redirect("console:webhook", endpoint.pk)


@require_POST
@console_view(*ADMIN)
def webhook_disable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    member = member_of(request)
    endpoint = services.disable(actor=member, endpoint=_endpoint(member, endpoint_id))
    messages.success(request, f"Nothing more is sent to {endpoint.url} until you enable it.")
    return redirect("console:webhook", endpoint.pk)


@require_POST
@console_view(*ADMIN)
def webhook_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    member = member_of(request)
    endpoint = _endpoint(member, endpoint_id)
    services.send_test(actor=member, endpoint=endpoint)
    messages.success(request, _queued(endpoint, "A test event"))
    return redirect("console:webhook", endpoint.pk)


@require_POST
@console_view(*ADMIN)
def webhook_replay(request: HttpRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    member = member_of(request)
    endpoint = _endpoint(member, endpoint_id)
    delivery = selectors.delivery_for(endpoint=endpoint, delivery_id=delivery_id)
    if delivery is None:
        raise Http404("No such delivery.")
    services.replay(actor=member, delivery=delivery)
    messages.success(request, _queued(endpoint, f"The {delivery.event_type} event"))
    return redirect("console:webhook", endpoint.pk)


def _queued(endpoint: WebhookEndpoint, what: str) -> str:
    if not endpoint.enabled:
        return f"{what} is queued; it goes out once you enable the endpoint."
    return f"{what} is queued and goes out within a minute; it shows in the log below."
