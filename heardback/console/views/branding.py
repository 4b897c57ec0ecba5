"""Org settings: the employer's face on candidate pages and emails (admins only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from heardback.console.access import ADMIN, console_view
from heardback.console.forms import BrandingForm
from heardback.console.views.common import attach_errors, member_of
from heardback.hiring import branding
from heardback.hiring.models import Org
from heardback.portal import branding as portal_branding


@console_view(*ADMIN)
def org_settings(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    org = Org.objects.get(pk=member.org_id)
    initial = {
        "name": org.name,
        "reply_to": org.reply_to,
        "sender_email": org.sender_email,
        "brand_color": org.brand_color,
        "brand_header_color": org.brand_header_color,
    }
    form = BrandingForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # All or nothing: a bad logo keeps the colours unsaved too, and the form says why.
            with transaction.atomic():
                branding.set_branding(
                    org=org,
                    name=data["name"],
                    reply_to=data["reply_to"],
                    brand_color=data["brand_color"],
                    brand_header_color=data["brand_header_color"],
                    sender_email=data["sender_email"],
                )
                if data.get("logo"):
                    portal_branding.set_logo(org=org, data=data["logo"].read())
                elif data["remove_logo"]:
                    portal_branding.remove_logo(org=org)
        except ValidationError as error:
            org.refresh_from_db()
            attach_errors(form, error)
        else:
            messages.success(request, "Saved. Candidates see the new look at once.")
            return redirect("console:org_settings")
    return render(
        request,
        "console/org_settings.html",
        {
            "form": form,
            "org": org,
            "sender_domain": branding.sender_domain(org),
            "from_address": branding.from_address(org),
            "reply_to_address": branding.reply_to_address(org),
            "logo_url": reverse("portal:brand_logo", args=[org.slug, org.logo]) if org.logo else "",
            "job_board_url": request.build_absolute_uri(
                reverse("portal:job_board", args=[org.slug])
            ),
        },
    )
