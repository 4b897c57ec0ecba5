"""Bulk actions: preview one template over a selection (or everything matching a filter),
confirm, then watch the progress bar while the scheduler works through it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from heardback import clock
from heardback.console import services
from heardback.console.access import STAFF, ConsoleRequest, bulk_for, console_view, job_for
from heardback.console.models import BulkKind
from heardback.console.selectors import FILTERS, board_applications
from heardback.console.views.common import error_text, member_of
from heardback.hiring.models import DeclineReason, Job, Member, Stage
from heardback.messaging.rendering import TemplateError
from heardback.runtime.params import id_param, text_param


def _selected_ids(request: HttpRequest, *, job: Job, member: Member) -> tuple[list[int], dict]:
    """The posted selection, or every active application matching the posted filter."""
    filter_key = request.POST.get("filter", "")
    filter_key = filter_key if filter_key in FILTERS else ""
    query = text_param(request.POST, "q")
    scope = {"filter": filter_key, "q": query, "all": request.POST.get("all") == "1"}
    if scope["all"]:
        ids = list(
            board_applications(job=job, now=clock.now(), filter_key=filter_key, query=query)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    else:
        raw = request.POST.getlist("ids")
        if len(raw) == 1 and "," in raw[0]:
            raw = raw[0].split(",")
        # ASCII digits only: "²" is a digit to str.isdigit, and int() refuses it.
        cleaned = (value.strip() for value in raw)
        ids = sorted({int(v) for v in cleaned if v.isascii() and v.isdigit() and len(v) < 19})
    return ids, scope


@console_view(*STAFF)
@require_POST
def bulk_new(request: HttpRequest, job_id: int) -> HttpResponse:
    """Step 1 (preview) and step 2 (confirm) of a bulk action."""
    member = member_of(request)
    job = job_for(member, job_id)
    ids, scope = _selected_ids(request, job=job, member=member)
    kind = request.POST.get("kind", BulkKind.DECLINE)
    kind = kind if kind in BulkKind.values else BulkKind.DECLINE
    reason = request.POST.get("reason", DeclineReason.OTHER)
    reason = reason if reason in DeclineReason.values else DeclineReason.OTHER
    stages = list(job.pipeline.stages.order_by("position"))
    stage_id = id_param(request.POST, "stage")
    stage = (
        Stage.objects.filter(org_id=member.org_id, pipeline_id=job.pipeline_id, pk=stage_id).first()
        if stage_id is not None
        else None
    )
    sample = (
        job.applications.filter(pk__in=ids[:1])
        .select_related("candidate", "job", "stage", "org")
        .first()
    )
    language = sample.candidate.language if sample else settings.LANGUAGE_CODE
    default_subject, default_body = services.decline_template(
        org_id=member.org_id, reason=reason, language=language
    )
    subject = request.POST.get("subject") or default_subject
    body = request.POST.get("body") or default_body
    if request.POST.get("step") == "reason":
        subject, body = default_subject, default_body
    error = ""
    rendered = None
    if sample is not None and kind == BulkKind.DECLINE:
        try:
            rendered = services.preview(application=sample, subject=subject, body=body)
        except TemplateError as problem:
            error = str(problem)
    if request.POST.get("step") == "confirm" and not error:
        edited = (subject.strip(), body.strip()) != (default_subject.strip(), default_body.strip())
        try:
            bulk = services.start_bulk(
                actor=member,
                job=job,
                application_ids=ids,
                kind=kind,
                stage=stage,
                reason=reason if kind == BulkKind.DECLINE else "",
                # An unedited default is sent in each candidate's own language.
                subject=subject if edited else "",
                body=body if edited else "",
            )
        except ValidationError as problem:
            error = error_text(problem)
        else:
            return redirect("console:bulk", bulk_id=bulk.pk)
    return render(
        request,
        "console/bulk_new.html",
        {
            "job": job,
            "ids": ids,
            "count": len(ids),
            "scope": scope,
            "kind": kind,
            "kinds": BulkKind.choices,
            "reason": reason,
            "reasons": DeclineReason.choices,
            "stages": stages,
            "stage": stage,
            "subject": subject,
            "body": body,
            "rendered": rendered,
            "sample": sample,
            "error": error,
            "ids_joined": "" if scope["all"] else ",".join(map(str, ids)),
        },
    )


@console_view(*STAFF)
def bulk_detail(request: ConsoleRequest, bulk_id: int) -> HttpResponse:
    member = member_of(request)
    bulk = bulk_for(member, bulk_id)
    template = "console/_bulk_progress.html" if request.htmx else "console/bulk.html"
    return render(request, template, {"bulk": bulk, "job": bulk.job})


@console_view(*STAFF)
@require_POST
def bulk_cancel(request: HttpRequest, bulk_id: int) -> HttpResponse:
    """Stop a bulk action after the chunk in progress; what is done stays done."""
    member = member_of(request)
    bulk = bulk_for(member, bulk_id)
    stopped = services.stop_bulk(bulk=bulk)
    if stopped:
        messages.success(request, "Stopped. Candidates already handled keep their messages.")
    else:
        messages.error(request, "It had already finished.")
    return redirect("console:bulk", bulk_id=bulk.pk)
