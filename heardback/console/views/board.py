"""The pipeline board: a column per stage, filters, and moving a candidate with a preview."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from heardback import clock
from heardback.console.access import ALL_ROLES, application_for, console_view, job_for
from heardback.console.selectors import FILTERS, board_applications, board_columns
from heardback.console.services import preview
from heardback.console.views.common import error_text, member_of
from heardback.console.views.jobs import latest_close_out
from heardback.hiring import messages as candidate_texts
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Role, Stage


@console_view(*ALL_ROLES)
def board(request: HttpRequest, job_id: int) -> HttpResponse:
    member = member_of(request)
    job = job_for(member, job_id)
    now = clock.now()
    filter_key = request.GET.get("filter", "")
    if filter_key not in FILTERS:
        filter_key = ""
    query = request.GET.get("q", "")[:100]
    applications = board_applications(job=job, now=now, filter_key=filter_key, query=query)
    columns = board_columns(job=job, applications=applications)
    return render(
        request,
        "console/board.html",
        {
            "job": job,
            "columns": columns,
            "total": sum(c.count for c in columns),
            "filters": FILTERS,
            "filter_key": filter_key,
            "query": query,
            "close_out": latest_close_out(job.pk, job.org_id),
            "can_bulk": member.role in (Role.ADMIN, Role.RECRUITER),
            "now": now,
        },
    )


def stage_message_preview(application: Application, stage: Stage) -> tuple[str, str] | None:
    """What moving into `stage` would send, or None when the candidate sees no change."""
    if stage.coarse_stage == application.stage.coarse_stage:
        return None
    default = candidate_texts.STAGE_UPDATES[stage.coarse_stage]
    start = clock.now()
    respond_by = hiring.promise_for(application, stage=stage, start=start)
    short, long = candidate_texts.format_respond_by(
        respond_by,
        time_zone=application.candidate.time_zone,
        language=application.candidate.language,
    )
    original_stage = application.stage
    application.stage = stage  # render with the new stage's name, without saving
    try:
        rendered = preview(
            application=application,
            subject=str(stage.subject_template or default.subject),
            body=str(stage.body_template or default.body),
            respond_by=short,
            respond_by_long=long,
        )
    finally:
        application.stage = original_stage
    return rendered.subject, rendered.text


@console_view(*ALL_ROLES)
def move(request: HttpRequest, application_id: int) -> HttpResponse:
    """GET: preview the move into ?stage=; POST: do it."""
    member = member_of(request)
    application = application_for(member, application_id)
    raw = request.POST.get("stage") or request.GET.get("stage") or ""
    stage = (
        Stage.objects.filter(
            org_id=member.org_id, pipeline_id=application.job.pipeline_id, pk=int(raw)
        ).first()
        if raw.isdigit()
        else None
    )
    if stage is None:
        next_up = hiring.next_stage(application)
        if next_up is None or raw:
            raise Http404("No such stage for this job.")
        stage = next_up
    if request.method == "POST":
        try:
            hiring.move_to_stage(application=application, stage=stage, actor=member)
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, f"{application.candidate.name} moved to {stage.name}.")
        return redirect(_safe_next(request, application))
    return render(
        request,
        "console/move.html",
        {
            "application": application,
            "stage": stage,
            "preview": stage_message_preview(application, stage),
            "stages": application.job.pipeline.stages.order_by("position"),
            "next": request.GET.get("next", ""),
        },
    )


def _safe_next(request: HttpRequest, application: Application) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("console:board", kwargs={"job_id": application.job_id})
