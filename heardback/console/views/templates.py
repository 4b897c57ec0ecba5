"""Message templates: stage updates, declines by reason (per language), close-out; each with
a live preview rendered against a real application of the org."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation

from heardback.console import services
from heardback.console.access import STAFF, console_view, stage_for, visible_applications
from heardback.console.forms import TemplateForm
from heardback.console.models import DeclineTemplate
from heardback.console.views.common import attach_errors, member_of
from heardback.hiring import messages as candidate_texts
from heardback.hiring.models import Application, DeclineReason, Job, Member, Pipeline
from heardback.messaging.rendering import Rendered, TemplateError
from heardback.runtime.params import id_param

LANGUAGES = dict(settings.LANGUAGES)
VARIABLES = [
    (name, description)
    for name, description in candidate_texts.VARIABLES.items()
    if name not in ("note", "survey_url")
]


def _sample(member: Member, request: HttpRequest, language: str = "") -> Application | None:
    """The application to preview against: the chosen one, else a recent one."""
    applications = visible_applications(member).order_by("-created_at")
    chosen_id = id_param(request.GET, "application") or id_param(request.POST, "application")
    if chosen_id is not None:
        chosen = applications.filter(pk=chosen_id).first()
        if chosen is not None:
            return chosen
    if language:
        same = applications.filter(candidate__language=language).first()
        if same is not None:
            return same
    return applications.first()


def _render(
    application: Application | None, subject: str, body: str
) -> tuple[Rendered | None, str]:
    if application is None:
        return None, ""
    try:
        return services.preview(application=application, subject=subject, body=body), ""
    except TemplateError as error:
        return None, str(error)


@console_view(*STAFF)
def template_list(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    own = {(t.reason, t.language): t for t in DeclineTemplate.objects.filter(org_id=member.org_id)}
    declines = [
        (value, label, [(code, name, own.get((value, code))) for code, name in LANGUAGES.items()])
        for value, label in DeclineReason.choices
    ]
    pipelines = Pipeline.objects.filter(org_id=member.org_id, is_template=True).prefetch_related(
        "stages"
    )
    return render(
        request,
        "console/templates.html",
        {
            "declines": declines,
            "pipelines": pipelines,
        },
    )


@console_view(*STAFF)
def decline_template(request: HttpRequest, reason: str, language: str) -> HttpResponse:
    member = member_of(request)
    if reason not in DeclineReason.values or language not in LANGUAGES:
        raise Http404("No such template.")
    subject, body = services.decline_template(
        org_id=member.org_id, reason=reason, language=language
    )
    form = TemplateForm(request.POST or None, initial={"subject": subject, "body": body})
    if request.method == "POST" and form.is_valid() and request.POST.get("reset") != "1":
        try:
            services.save_decline_template(
                actor=member,
                reason=reason,
                language=language,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, "Saved. New declines for this reason use it.")
            return redirect("console:templates")
    if request.method == "POST" and request.POST.get("reset") == "1":
        DeclineTemplate.objects.filter(
            org_id=member.org_id, reason=reason, language=language
        ).delete()
        messages.success(request, "Back to the default wording.")
        return redirect("console:templates")
    sample = _sample(member, request, language)
    rendered, render_error = _render(sample, subject, body)
    return render(
        request,
        "console/template_edit.html",
        {
            "form": form,
            "title": f"Decline: {DeclineReason(reason).label} ({LANGUAGES[language]})",
            "sample": sample,
            "rendered": rendered,
            "error": render_error,
            "variables": VARIABLES,
            "custom": DeclineTemplate.objects.filter(
                org_id=member.org_id, reason=reason, language=language
            ).exists(),
        },
    )


@console_view(*STAFF)
def stage_template(request: HttpRequest, stage_id: int) -> HttpResponse:
    member = member_of(request)
    stage = stage_for(member, stage_id)
    default = candidate_texts.stage_default(stage.coarse_stage)
    with translation.override(settings.LANGUAGE_CODE):
        subject = stage.subject_template or str(default.subject)
        body = stage.body_template or str(default.body)
    form = TemplateForm(request.POST or None, initial={"subject": subject, "body": body})
    if request.method == "POST" and form.is_valid():
        try:
            services.save_stage_template(
                stage=stage, subject=form.cleaned_data["subject"], body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, f"Saved. Moving a candidate into “{stage.name}” uses it.")
            job_id = Job.objects.filter(pipeline_id=stage.pipeline_id).values_list("pk", flat=True)
            if not stage.pipeline.is_template and job_id:
                return redirect("console:job_edit", job_id=job_id[0])
            return redirect("console:templates")
    sample = _sample(member, request)
    rendered, render_error = _render(sample, subject, body)
    return render(
        request,
        "console/template_edit.html",
        {
            "form": form,
            "title": f"Stage: {stage.name} ({stage.pipeline.name})",
            "sample": sample,
            "rendered": rendered,
            "error": render_error,
            "variables": VARIABLES,
            "note": "Written in your organisation's main language; candidates who chose another "
            "language get it as written here once you change it from the default.",
        },
    )


@console_view(*STAFF)
def template_preview(request: HttpRequest) -> HttpResponse:
    """The live preview (htmx): render the posted subject and body against an application."""
    member = member_of(request)
    sample = _sample(member, request)
    rendered, render_error = _render(
        sample, request.POST.get("subject", ""), request.POST.get("body", "")
    )
    return render(
        request,
        "console/_template_preview.html",
        {
            "sample": sample,
            "rendered": rendered,
            "error": render_error,
        },
    )
