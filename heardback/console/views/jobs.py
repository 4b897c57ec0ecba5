"""Jobs: list, create from a pipeline template, edit, hold, close with a preview, undo."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from heardback import clock
from heardback.compliance.profiles import profile_for
from heardback.console import services
from heardback.console.access import (
    ALL_ROLES,
    STAFF,
    ConsoleRequest,
    console_view,
    job_for,
    visible_jobs,
)
from heardback.console.forms import CloseOutTemplateForm, JobForm, TeamForm
from heardback.console.models import JobTeam
from heardback.console.views.common import attach_errors, error_text, member_of
from heardback.hiring import services as hiring
from heardback.hiring.messages import close_out_default
from heardback.hiring.models import ApplicationStatus, JobStatus, Member, Pipeline
from heardback.postings import selectors as postings_selectors
from heardback.postings import services as postings
from heardback.promises import services as engine
from heardback.promises.models import CloseOut


@console_view(*ALL_ROLES)
def job_list(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    now = clock.now()
    active = Q(applications__status=ApplicationStatus.ACTIVE)
    jobs = (
        visible_jobs(member)
        .annotate(
            active_count=Count("applications", filter=active),
            overdue_count=Count(
                "applications", filter=active & Q(applications__respond_by__lt=now)
            ),
        )
        .order_by("status", "-created_at")
    )
    status = request.GET.get("status", "")
    if status in JobStatus.values:
        jobs = jobs.filter(status=status)
    return render(
        request,
        "console/jobs.html",
        {
            "jobs": jobs,
            "status": status,
            "statuses": JobStatus.choices,
        },
    )


@console_view(*STAFF)
def job_new(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    form = JobForm(request.POST or None, org_id=member.org_id, initial={"owner": member.pk})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = Member.objects.filter(org_id=member.org_id, pk=data["owner"]).first()
        template = Pipeline.objects.filter(
            org_id=member.org_id, pk=data["template"], is_template=True
        ).first()
        try:
            if owner is None or template is None:
                raise ValidationError("Please choose an owner and a template from your team.")
            job = hiring.create_job(
                org=member.org,
                title=data["title"],
                owner=owner,
                template=template,
                description=data["description"],
                location=data["location"],
                actor=member,
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            profile = profile_for(job)
            if profile is not None and postings_selectors.has_rules(profile.posting):
                # Under posting rules the job is public only once its posting is published.
                messages.success(
                    request,
                    f"“{job.title}” is created. Publish its posting to put it on your job board.",
                )
                return redirect("postings:posting", job_id=job.pk)
            messages.success(request, f"“{job.title}” is open for applications.")
            return redirect("console:board", job_id=job.pk)
    return render(request, "console/job_form.html", {"form": form, "creating": True})


@console_view(*STAFF)
def job_edit(request: HttpRequest, job_id: int) -> HttpResponse:
    member = member_of(request)
    job = job_for(member, job_id)
    stages = list(job.pipeline.stages.order_by("position"))
    initial = {
        "title": job.title,
        "location": job.location,
        "description": job.description,
        "owner": job.owner_id,
    }
    form = JobForm(request.POST or None, org_id=member.org_id, editing=True, initial=initial)
    closeout = CloseOutTemplateForm(
        request.POST or None,
        initial={
            "closeout_subject": job.closeout_subject,
            "closeout_body": job.closeout_body,
        },
    )
    stage_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and closeout.is_valid():
        owner = Member.objects.filter(org_id=member.org_id, pk=form.cleaned_data["owner"]).first()
        stage_values: dict[int, tuple[str, int]] = {}
        for stage in stages:
            raw_days = request.POST.get(f"stage-{stage.pk}-days", "")
            stage_values[stage.pk] = (
                request.POST.get(f"stage-{stage.pk}-name", stage.name),
                int(raw_days) if raw_days.strip().isascii() and raw_days.strip().isdigit() else 0,
            )
        try:
            if owner is None:
                raise ValidationError({"owner": ["Please choose an owner from your team."]})
            live = postings_selectors.live_version(job)
            if live is not None:
                # A published posting changes only to a version that passes its rules.
                problems = postings.check_job(
                    job,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                )
                if problems:
                    raise ValidationError(
                        {
                            field if field in ("title", "description") else "posting": errs
                            for field, errs in problems.items()
                        }
                    )
            engine.update_job(
                actor=member,
                job=job,
                owner=owner,
                stages=stage_values,
                title=form.cleaned_data["title"],
                location=form.cleaned_data["location"],
                description=form.cleaned_data["description"],
                closeout_subject=closeout.cleaned_data["closeout_subject"],
                closeout_body=closeout.cleaned_data["closeout_body"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                stage_errors = error.message_dict.pop("stages", [])
                body_errors = error.message_dict.get("closeout_body", [])
                for message in body_errors:
                    closeout.add_error("closeout_body", message)
                for field, errs in error.message_dict.items():
                    if field in form.fields:
                        form.add_error(field, errs)
                    elif field == "posting":
                        form.add_error(None, [f"Posting: {e} (see the posting page)" for e in errs])
            else:
                form.add_error(None, error.messages)
        else:
            if live is not None:
                version = postings.publish(job=job, actor=member)
                if version.pk != live.pk:
                    messages.success(request, f"Saved, and published as version {version.version}.")
                else:
                    messages.success(request, "Saved.")
            else:
                messages.success(request, "Saved.")
            return redirect("console:board", job_id=job.pk)
        for stage in stages:
            stage.name, stage.promise_business_days = stage_values[stage.pk]
    # The default wording, shown (not pre-filled) so an empty field keeps per-language texts.
    default = close_out_default("closed")
    default_subject, default_body = default.subject, default.body
    return render(
        request,
        "console/job_form.html",
        {
            "form": form,
            "closeout_default": (str(default_subject), str(default_body)),
            "closeout": closeout,
            "job": job,
            "stages": stages,
            "stage_errors": stage_errors,
            "team": JobTeam.objects.filter(job=job).select_related("member__user"),
            "team_form": TeamForm(org_id=member.org_id),
        },
    )


@console_view(*STAFF)
@require_POST
def job_team(request: HttpRequest, job_id: int) -> HttpResponse:
    member = member_of(request)
    job = job_for(member, job_id)
    form = TeamForm(request.POST, org_id=member.org_id)
    if form.is_valid():
        other = Member.objects.get(org_id=member.org_id, pk=form.cleaned_data["member"])
        services.add_to_team(actor=member, job=job, member=other)
        messages.success(request, f"{other.display_name} is on the team for {job.title}.")
    else:
        messages.error(request, "Please choose someone from your organisation.")
    return redirect("console:job_edit", job_id=job.pk)


@console_view(*STAFF)
@require_POST
def job_hold(request: HttpRequest, job_id: int) -> HttpResponse:
    member = member_of(request)
    job = job_for(member, job_id)
    on_hold = request.POST.get("hold") == "1"
    try:
        engine.set_on_hold(actor=member, job=job, on_hold=on_hold)
        messages.success(
            request,
            "On hold: no new applications. Candidates keep their dates."
            if on_hold
            else "Open for applications again.",
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("console:board", job_id=job.pk)


@console_view(*STAFF)
def job_close(request: ConsoleRequest, job_id: int) -> HttpResponse:
    """Show how many candidates get the close-out message and what it says; then close."""
    member = member_of(request)
    job = job_for(member, job_id)
    outcome = request.POST.get("outcome") or request.GET.get("outcome") or "closed"
    if outcome not in {"closed", "filled"}:
        outcome = "closed"
    if request.method == "POST":
        try:
            engine.close_job(job=job, actor=member, outcome=outcome)
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request, f"“{job.title}” is {outcome}. The candidates' messages are on their way."
            )
        return redirect("console:board", job_id=job.pk)
    count, subject, text = engine.close_out_preview(job=job, outcome=outcome)
    sample = engine.close_out_sample(job=job)
    return render(
        request,
        # Switching the outcome (htmx) fetches just the preview of the chosen one.
        "console/_closeout_preview.html" if request.htmx else "console/job_close.html",
        {
            "job": job,
            "count": count,
            "subject": subject,
            "text": text,
            "outcome": outcome,
            "sample_name": sample.candidate.name if sample else "",
            "sample_language": dict(settings.LANGUAGES).get(sample.candidate.language, "")
            if sample
            else "",
        },
    )


@console_view(*STAFF)
@require_POST
def job_reopen(request: HttpRequest, job_id: int) -> HttpResponse:
    member = member_of(request)
    job = job_for(member, job_id)
    try:
        engine.reopen_job(job=job, actor=member)
        messages.success(request, "The job is open again, and its candidates are back in process.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("console:board", job_id=job.pk)


def latest_close_out(job_id: int, org_id: int) -> CloseOut | None:
    return (
        CloseOut.objects.filter(org_id=org_id, job_id=job_id, reopened_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
