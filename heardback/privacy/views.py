"""The candidate's data rights on their status page, and the recruiters' side in the console.

Candidate side: the status link is the only key. There is no console route to a
candidate's export: staff see what they always saw (the application, its CV), and the
export (everything in one file) is for the person it describes.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from heardback import clock
from heardback.console.access import ADMIN, STAFF, console_view
from heardback.console.views.common import error_text, member_of
from heardback.hiring.models import Candidate
from heardback.portal import tokens, uploads
from heardback.portal.models import Attachment
from heardback.portal.views import _not_found, _private, _render, form_key, rate_limited
from heardback.privacy import selectors, services
from heardback.privacy.models import ErasureRequest, LegalHold

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "txt": "text/plain; charset=utf-8",
}

# --- the candidate's side -------------------------------------------------------------------


@require_GET
@rate_limited("status")
def my_data(request: HttpRequest, token: str) -> HttpResponse:
    application = tokens.lookup(token)
    if application is None:
        return _not_found(request)
    payload = selectors.export(application=application, token=token)
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="my-application-data.json"'
    return _private(response)


@require_GET
@rate_limited("status")
def my_file(request: HttpRequest, token: str, attachment_id: int) -> HttpResponseBase:
    application = tokens.lookup(token)
    if application is None:
        return _not_found(request)
    cv = selectors.attachments_of_candidate(application).filter(pk=attachment_id).first()
    return _not_found(request) if cv is None else _download(request, cv)


@require_GET
@rate_limited("status")
def my_cv(request: HttpRequest, token: str) -> HttpResponseBase:
    """The CV sent with this application (the status page's link), else their latest one."""
    application = tokens.lookup(token)
    if application is None:
        return _not_found(request)
    sent = selectors.attachments_of_candidate(application)
    cv = sent.filter(application=application).last() or sent.last()
    if cv is None:
        return _private(
            _render(
                request,
                "privacy/no_cv.html",
                {"token": token},
                language=application.candidate.language,
                status=404,
            )
        )
    return _download(request, cv)


def _download(request: HttpRequest, cv: Attachment) -> HttpResponseBase:
    try:
        handle = uploads.path_of(cv).open("rb")
    except FileNotFoundError:
        return _not_found(request)
    ext = f".{cv.kind}"
    name = (
        cv.original_name if cv.original_name.lower().endswith(ext) else f"{cv.original_name}{ext}"
    )
    response = FileResponse(
        handle,
        as_attachment=True,  # never inline: a crafted file must not run as one of our pages
        filename=name,
        content_type=CONTENT_TYPES.get(cv.kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"  # personal data: no shared or browser cache
    response["X-Robots-Tag"] = "noindex, nofollow"
    response._has_been_logged = True  # type: ignore[attr-defined]  # the path holds a token
    return response


@csrf_exempt  # like the status page: the token in the path and form_key(token) protect it
@require_http_methods(["GET", "POST", "HEAD"])
@rate_limited("status")
def erasure(request: HttpRequest, token: str) -> HttpResponse:
    application = tokens.lookup(token)
    if application is None:
        return _not_found(request)
    language = application.candidate.language
    if request.method == "POST":
        if not constant_time_compare(request.POST.get("form_key", ""), form_key(token)):
            return _private(
                _render(
                    request,
                    "portal/form_expired.html",
                    {"token": token},
                    language=language,
                    status=403,
                )
            )
        if request.POST.get("confirm") == "yes":
            services.request_erasure(application=application)
            return _private(redirect(f"/s/{token}/?done=erasure#top"))
    return _private(
        _render(
            request,
            "privacy/erasure_confirm.html",
            {
                "token": token,
                "form_key": form_key(token),
                "org_name": application.org.name,
            },
            language=language,
        )
    )


# --- the console side ---------------------------------------------------------------------


@console_view(*STAFF)
def requests(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    now = clock.now()
    return render(
        request,
        "privacy/requests.html",
        {
            "rows": selectors.requests_for(org=member.org, now=now),
            "holds": selectors.holds_for(org=member.org),
            "policy": services.policy_for(member.org),
            "is_admin": member.role in ADMIN,
        },
    )


def _request_of(request: HttpRequest, request_id: int) -> ErasureRequest:
    member = member_of(request)
    return get_object_or_404(ErasureRequest, org_id=member.org_id, pk=request_id)


@console_view(*STAFF)
@require_POST
def erase(request: HttpRequest, request_id: int) -> HttpResponse:
    member = member_of(request)
    found = _request_of(request, request_id)
    try:
        services.carry_out_erasure(request=found, actor=member)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request, "Erased: the personal data is gone; the record stays, anonymised."
        )
    return redirect("privacy:requests")


@console_view(*STAFF)
@require_POST
def refuse(request: HttpRequest, request_id: int) -> HttpResponse:
    member = member_of(request)
    found = _request_of(request, request_id)
    try:
        services.refuse_erasure(request=found, actor=member, note=request.POST.get("note", ""))
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "Answered: the data is kept while the legal hold lasts.")
    return redirect("privacy:requests")


@console_view(*STAFF)
@require_POST
def hold(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    email = request.POST.get("email", "").strip()
    candidate = Candidate.objects.filter(org_id=member.org_id, email__iexact=email).first()
    if candidate is None:
        messages.error(request, "No candidate of your organisation has that email address.")
        return redirect("privacy:requests")
    try:
        services.place_hold(
            candidate=candidate, actor=member, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, f"Legal hold placed on {candidate.name}'s data.")
    return redirect("privacy:requests")


@console_view(*STAFF)
@require_POST
def release(request: HttpRequest, hold_id: int) -> HttpResponse:
    member = member_of(request)
    found = get_object_or_404(LegalHold, org_id=member.org_id, pk=hold_id)
    services.release_hold(hold=found, actor=member)
    messages.success(request, "Legal hold released.")
    return redirect("privacy:requests")


@console_view(*ADMIN)
@require_POST
def policy(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    raw = request.POST.get("months_after_decision", "").strip()
    try:
        if not (raw.isascii() and raw.isdigit()):
            raise ValidationError("Write the number of months, e.g. 6.")
        services.set_policy(
            org=member.org,
            actor=member,
            months_after_decision=int(raw),
            include_hired=request.POST.get("include_hired") == "on",
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, "Retention policy saved.")
    return redirect("privacy:requests")
