"""API keys: admins create them (the secret is shown once, on the page that creates it) and
revoke them; the list shows each key's prefix, scope and when it was last used."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from heardback.api import keys
from heardback.api.models import Scope
from heardback.console.access import ADMIN, console_view
from heardback.console.views.common import attach_errors, member_of


class NewKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “Our ATS sync”")
    scope = forms.ChoiceField(choices=Scope.choices, initial=Scope.READ)
    expires_at = forms.DateTimeField(
        required=False,
        help_text="Optional, e.g. 2027-06-30 18:00 (UTC); empty: until revoked",
    )


@console_view(*ADMIN)
def api_keys(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    form = NewKeyForm(request.POST or None)
    created_secret = ""
    if request.method == "POST" and form.is_valid():
        try:
            _key, created_secret = keys.create_key(
                actor=member,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            form = NewKeyForm()
    response = render(
        request,
        "console/api_keys.html",
        {
            "form": form,
            "keys": keys.keys_of(org_id=member.org_id).order_by("-created_at"),
            "created_secret": created_secret,
            "api_base": f"{settings.SITE_URL}/api/v1",
        },
        status=400 if form.errors else 200,
    )
    # The one page that ever shows the secret must never be cached anywhere.
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@console_view(*ADMIN)
def revoke_api_key(request: HttpRequest, key_id: int) -> HttpResponse:
    member = member_of(request)
    key = keys.keys_of(org_id=member.org_id).filter(pk=key_id).first()
    if key is None:
        raise Http404
    keys.revoke_key(actor=member, key=key)
    messages.success(request, f"The key “{key.name}” no longer works.")
    return redirect("console:api_keys")
