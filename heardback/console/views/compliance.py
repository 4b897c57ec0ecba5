"""The compliance page (open legal duties, met, late, overdue), the org's jurisdiction,
interviews on the application page, and the inspector's evidence exports."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from heardback import clock
from heardback.compliance import evidence, selectors
from heardback.compliance import services as compliance
from heardback.compliance.models import AnswerDuty, Interview, JobCompliance
from heardback.compliance.profiles import PROFILES, profile_for
from heardback.console.access import (
    ADMIN,
    ALL_ROLES,
    STAFF,
    application_for,
    console_view,
    job_for,
    visible_jobs,
)
from heardback.console.forms import (
    ComplianceSettingsForm,
    EvidenceExportForm,
    InterviewForm,
    JobJurisdictionForm,
)
from heardback.console.views.common import error_text, member_of


def _errors(form: Form) -> str:
    return "; ".join(
        f"{form.fields[name].label if name in form.fields else name}: "
        + " ".join(str(e) for e in errors)
        for name, errors in form.errors.items()
    )


@console_view(*ALL_ROLES)
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    now = clock.now()
    duties = selectors.duties(member.org).filter(
        application__job__in=visible_jobs(member).values("pk")
    )
    open_rows = list(duties.filter(answered_at__isnull=True).order_by("due_at", "id")[:500])
    groups: dict[tuple[str, str], list[tuple[AnswerDuty, int]]] = {}
    for duty in open_rows:
        job = duty.application.job
        key = (job.title, job.owner.display_name)
        # Whole days left (what a person counts on a calendar); below zero is overdue.
        days_left = math.floor((duty.due_at - now).total_seconds() / 86400)
        groups.setdefault(key, []).append((duty, days_left))
    settings = compliance.org_settings(member.org)
    jobs = list(visible_jobs(member).order_by("title"))
    overrides = dict(
        JobCompliance.objects.filter(org=member.org).values_list("job_id", "jurisdiction")
    )
    return render(
        request,
        "console/compliance.html",
        {
            "now": now,
            "counts": {
                "open": duties.filter(answered_at__isnull=True, due_at__gte=now).count(),
                "overdue": duties.filter(answered_at__isnull=True, due_at__lt=now).count(),
                "met": duties.filter(answered_at__isnull=False, answered_late=False).count(),
                "late": duties.filter(answered_late=True).count(),
            },
            "groups": sorted(groups.items()),
            "settings": settings,
            "settings_form": ComplianceSettingsForm(
                initial={
                    "jurisdiction": settings.jurisdiction,
                    "employee_count": settings.employee_count,
                    "notice_counts_as_answer": (
                        ""
                        if settings.notice_counts_as_answer is None
                        else ("yes" if settings.notice_counts_as_answer else "no")
                    ),
                }
            ),
            "jobs": [(job, profile_for(job), overrides.get(job.pk, "")) for job in jobs],
            "job_form": JobJurisdictionForm(),
            "export_form": EvidenceExportForm(),
            "profiles": PROFILES.values(),
            "is_admin": member.role in ADMIN,
        },
    )


@console_view(*ADMIN)
@require_POST
def save_settings(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    form = ComplianceSettingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect("console:compliance")
    data = form.cleaned_data
    try:
        compliance.set_org_settings(
            org=member.org,
            jurisdiction=data["jurisdiction"] or "",
            employee_count=data["employee_count"],
            notice_counts_as_answer={"yes": True, "no": False}.get(data["notice_counts_as_answer"]),
            actor=member,
        )
        messages.success(request, "Jurisdiction settings saved; every deadline was recomputed.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("console:compliance")


@console_view(*STAFF)
@require_POST
def job_jurisdiction(request: HttpRequest, job_id: int) -> HttpResponse:
    member = member_of(request)
    job = job_for(member, job_id)
    form = JobJurisdictionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a jurisdiction from the list.")
        return redirect("console:compliance")
    try:
        compliance.set_job_jurisdiction(
            job=job, jurisdiction=form.cleaned_data["jurisdiction"] or "", actor=member
        )
        messages.success(request, f"“{job.title}”: jurisdiction saved.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("console:compliance")


@console_view(*ALL_ROLES)
@require_POST
def log_interview(request: HttpRequest, application_id: int) -> HttpResponse:
    member = member_of(request)
    application = application_for(member, application_id)
    form = InterviewForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "The interview was not logged: " + _errors(form),
        )
        return redirect("console:application", application_id=application.pk)
    data = form.cleaned_data
    zone = ZoneInfo(application.org.time_zone or "UTC")
    local: datetime = data["starts_at"]
    starts_at = local.replace(tzinfo=None).replace(tzinfo=zone)
    try:
        compliance.log_interview(
            application=application,
            starts_at=starts_at,
            kind=data["kind"],
            interviewers=data["interviewers"],
            counts=not data["screen_only"],
            source="console",
            recorded_by=member.display_name,
            actor=member,
        )
        messages.success(request, "Interview logged.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("console:application", application_id=application.pk)


@console_view(*ALL_ROLES)
@require_POST
def cancel_interview(request: HttpRequest, application_id: int, interview_id: int) -> HttpResponse:
    member = member_of(request)
    application = application_for(member, application_id)
    interview = Interview.objects.filter(
        org_id=member.org_id, application=application, pk=interview_id
    ).first()
    if interview is None:
        messages.error(request, "No such interview.")
    else:
        compliance.cancel_interview(
            interview=interview, actor=member, recorded_by=member.display_name
        )
        messages.success(request, "Interview marked as cancelled; the deadline was recomputed.")
    return redirect("console:application", application_id=application.pk)


def _period(form: EvidenceExportForm, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    start = form.cleaned_data.get("start")
    end = form.cleaned_data.get("end")
    return (
        datetime.combine(start, time(0), tzinfo=zone) if start else None,
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone) if end else None,
    )


@console_view(*ALL_ROLES)
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """The inspector's CSV: one job or all, the applicants whose last interview falls in
    the period (dates in the org's time zone, both ends included)."""
    member = member_of(request)
    form = EvidenceExportForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            "Bad export request: " + _errors(form),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    job_id = form.cleaned_data.get("job")
    if job_id is not None:
        job_for(member, job_id)  # 404 unless the member may see it
    start, end = _period(form, ZoneInfo(member.org.time_zone or "UTC"))
    duties = selectors.duties_in_period(member.org, job_id=job_id, start=start, end=end).filter(
        application__job__in=visible_jobs(member).values("pk")
    )
    body = evidence.to_csv(evidence.gather(duties.iterator(chunk_size=500)), now=clock.now())
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"heardback-evidence-{member.org.slug}{f'-job-{job_id}' if job_id else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@console_view(*ALL_ROLES)
@require_GET
def applicant_evidence(request: HttpRequest, application_id: int) -> HttpResponse:
    """One applicant's evidence as a printable page (print it, or save it as PDF)."""
    member = member_of(request)
    application = application_for(member, application_id)
    duty = selectors.duties(member.org).filter(application=application).first()
    if duty is None:
        return render(
            request,
            "console/compliance_evidence.html",
            {"application": application, "item": None},
        )
    [item] = list(evidence.gather([duty]))
    now = clock.now()
    return render(
        request,
        "console/compliance_evidence.html",
        {
            "application": application,
            "item": item,
            "state": evidence.duty_state(duty, now),
            "profile": PROFILES.get(duty.profile_key),
            "now": now,
        },
    )
