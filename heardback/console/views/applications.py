"""The application page and its one-click decisions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from heardback import clock
from heardback.clock import dates
from heardback.compliance.models import AnswerDuty, Interview
from heardback.console import services
from heardback.console.access import ALL_ROLES, ConsoleRequest, application_for, console_view
from heardback.console.forms import DeclineForm, ExtendForm, HireForm, InterviewForm, NoteForm
from heardback.console.selectors import attachments_of
from heardback.console.views.common import attach_errors, error_text, member_of
from heardback.hiring import selectors as hiring_selectors
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, DeclineReason
from heardback.messaging.models import DeliveryEvent
from heardback.portal import uploads
from heardback.portal.models import Attachment
from heardback.promises import services as engine

# Served by kind, never by the file's own name or bytes: the upload check made sure each
# file is what its kind says.
CONTENT_TYPES: dict[str, str] = {
    Attachment.Kind.PDF: "application/pdf",
    Attachment.Kind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Attachment.Kind.ODT: "application/vnd.oasis.opendocument.text",
    Attachment.Kind.TXT: "text/plain; charset=utf-8",
}


def _back(application: Application) -> HttpResponse:
    return redirect("console:application", application_id=application.pk)


@console_view(*ALL_ROLES)
def detail(request: HttpRequest, application_id: int) -> HttpResponse:
    member = member_of(request)
    application = application_for(member, application_id)
    rows = hiring_selectors.timeline(application=application)
    message_ids = [row.pk for kind, row in rows if kind == "message"]
    deliveries: dict[int, list[DeliveryEvent]] = {}
    for event in DeliveryEvent.objects.filter(message_id__in=message_ids):
        deliveries.setdefault(event.message_id, []).append(event)
    policy = engine.get_policy(org=application.org)
    return render(
        request,
        "console/application.html",
        {
            "application": application,
            "candidate": application.candidate,
            "timeline": [(kind, row, deliveries.get(row.pk, [])) for kind, row in rows],
            "next_stage": hiring.next_stage(application) if application.is_active else None,
            "can_hire": not engine.hire_refusal(application),
            "stages": application.job.pipeline.stages.order_by("position"),
            "extend_form": ExtendForm(initial={"business_days": policy.extension_business_days}),
            "note_form": NoteForm(),
            "reasons": DeclineReason.choices,
            "attachments": attachments_of(application),
            "now": clock.now(),
            "interviews": Interview.objects.filter(
                org_id=application.org_id, application=application
            ),
            "duty": AnswerDuty.objects.filter(
                org_id=application.org_id, application=application
            ).first(),
            "interview_form": InterviewForm(),
        },
    )


@console_view(*ALL_ROLES)
@require_GET
def attachment(request: HttpRequest, application_id: int, attachment_id: int) -> FileResponse:
    """Download a candidate's CV: only for those who may see the application, always as a
    download (never shown inline, so a crafted file can't run as a page of ours)."""
    member = member_of(request)
    application = application_for(member, application_id)
    cv = attachments_of(application).filter(pk=attachment_id).first()
    if cv is None:
        raise Http404("No such file.")
    try:
        handle = uploads.path_of(cv).open("rb")
    except FileNotFoundError as error:
        raise Http404("This file is no longer stored.") from error
    ext = f".{cv.kind}"
    name = (
        cv.original_name if cv.original_name.lower().endswith(ext) else f"{cv.original_name}{ext}"
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type=CONTENT_TYPES.get(cv.kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Personal data: never kept by a shared cache or the browser's.
    response["Cache-Control"] = "private, no-store"
    return response


@console_view(*ALL_ROLES)
def decline(request: ConsoleRequest, application_id: int) -> HttpResponse:
    """Reason → template → editable preview → send now or after the delay."""
    member = member_of(request)
    application = application_for(member, application_id)
    policy = engine.get_policy(org=application.org)
    reason = request.POST.get("reason") or request.GET.get("reason") or DeclineReason.OTHER
    if reason not in DeclineReason.values:
        reason = DeclineReason.OTHER
    subject, body = services.decline_template(
        org_id=application.org_id, reason=reason, language=application.candidate.language
    )
    delay_default = policy.decline_delay_business_days
    initial = {
        "reason": reason,
        "subject": subject,
        "body": body,
        "when": "delay" if delay_default else "now",
        "delay": delay_default or 2,
    }
    # The live preview (htmx) posts the same form as it is typed: it must never send.
    sending = request.method == "POST" and request.POST.get("step") == "send" and not request.htmx
    form = DeclineForm(
        request.POST if request.method == "POST" and request.POST.get("step") != "reason" else None,
        initial=initial,
    )
    rendered = None
    problem = ""
    send_at = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        delay = 0 if data["when"] == "now" else (data["delay"] or delay_default or 1)
        try:
            rendered = hiring.preview_decline(
                application, reason=data["reason"], subject=data["subject"], body=data["body"]
            )
        except ValidationError as error:
            attach_errors(form, error)
        send_at = engine.decline_send_at(application, delay) if delay else None
        if rendered is not None and sending:
            try:
                engine.schedule_decline(
                    application=application,
                    reason=data["reason"],
                    actor=member,
                    delay_business_days=delay,
                    subject=data["subject"],
                    body=data["body"],
                )
            except ValidationError as error:
                attach_errors(form, error)
            else:
                messages.success(
                    request,
                    "Declined. The candidate has been told, kindly."
                    if delay == 0
                    else f"Decline held for {delay} business day(s). You can still cancel it.",
                )
                return _back(application)
    elif not form.is_bound:
        try:
            rendered = hiring.preview_decline(
                application, reason=reason, subject=subject, body=body
            )
        except ValidationError as error:
            # The org's saved decline template is broken: say so; the text is there to fix.
            problem = error_text(error)
        send_at = engine.decline_send_at(application, delay_default) if delay_default else None
    template = "console/_decline_preview.html" if request.htmx else "console/decline.html"
    return render(
        request,
        template,
        {
            "application": application,
            "form": form,
            "rendered": rendered,
            "reasons": DeclineReason.choices,
            "reason": reason,
            "problem": problem,
            # When the message goes: the hold line follows the "Send now" / hold choice.
            "send_at": send_at,
            "time_zone": application.org.time_zone,
        },
    )


@console_view(*ALL_ROLES)
@require_POST
def cancel_decline(request: HttpRequest, application_id: int) -> HttpResponse:
    member = member_of(request)
    application = application_for(member, application_id)
    try:
        engine.cancel_decline(application=application, actor=member)
        messages.success(request, "The decline is cancelled. Nothing was sent.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return _back(application)


@console_view(*ALL_ROLES)
def hire(request: HttpRequest, application_id: int) -> HttpResponse:
    """Hire with the decline's care: the message previewed, a confirmation, and a short hold
    that can be cancelled before "Welcome aboard" goes (docs/console.md, "Hire with care")."""
    member = member_of(request)
    application = application_for(member, application_id)
    hold_default = settings.HIRE_HOLD_MINUTES
    refusal = engine.hire_refusal(application)
    until = dates.format(
        engine.hire_send_at(hold_default), "time", time_zone=application.org.time_zone
    )
    until = f"{until} {application.org.time_zone}"
    if request.method == "POST":
        form = HireForm(request.POST, hold_minutes=hold_default, until=until)
        if refusal:
            messages.error(request, refusal)
            return _back(application)
        if form.is_valid():
            hold = 0 if form.cleaned_data["when"] == "now" else hold_default
            try:
                engine.schedule_hire(application=application, actor=member, hold_minutes=hold)
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(
                    request,
                    f"{application.candidate.name} is hired. Congratulations! "
                    + (
                        "The welcome message is on its way."
                        if hold == 0
                        else f"The welcome message is held for {hold} minutes: you can still "
                        "cancel the hire."
                    ),
                )
            return _back(application)
    else:
        form = HireForm(
            initial={"when": "hold" if hold_default else "now"},
            hold_minutes=hold_default,
            until=until,
        )
    return render(
        request,
        "console/hire.html",
        {
            "application": application,
            "form": form,
            "refusal": refusal,
            "preview": None if refusal else hiring.preview_hire(application),
            "hold_minutes": hold_default,
        },
    )


@console_view(*ALL_ROLES)
@require_POST
def cancel_hire(request: HttpRequest, application_id: int) -> HttpResponse:
    member = member_of(request)
    application = application_for(member, application_id)
    try:
        engine.cancel_hire(application=application, actor=member)
        messages.success(request, "The hire is cancelled. Nothing was sent.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return _back(application)


@console_view(*ALL_ROLES)
@require_POST
def extend(request: HttpRequest, application_id: int) -> HttpResponse:
    member = member_of(request)
    application = application_for(member, application_id)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Ask for between 1 and 20 more business days.")
        return _back(application)
    try:
        engine.extend_promise(
            application=application,
            business_days=form.cleaned_data["business_days"],
            actor=member,
            note=form.cleaned_data["note"],
        )
        messages.success(request, "The candidate has their new date, with an honest update.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return _back(application)


@console_view(*ALL_ROLES)
@require_POST
def note(request: HttpRequest, application_id: int) -> HttpResponse:
    member = member_of(request)
    application = application_for(member, application_id)
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("A note can't be empty.")
        hiring.add_note(application=application, text=form.cleaned_data["text"], actor=member)
        messages.success(request, "Note added.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return _back(application)
