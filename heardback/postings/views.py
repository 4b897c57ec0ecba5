"""The job's posting in the console: its terms, the publish check, its versions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from heardback.compliance.profiles import profile_for
from heardback.console.access import ALL_ROLES, STAFF, console_view, job_for
from heardback.console.views.common import attach_errors, member_of
from heardback.postings import selectors, services
from heardback.postings.forms import PostingForm, from_bool, to_bool
from heardback.postings.models import PostingVersion


@console_view(*STAFF)
def posting(request: HttpRequest, job_id: int) -> HttpResponse:
    member = member_of(request)
    job = job_for(member, job_id)
    terms = services.terms_of(job)
    initial = {
        "pay_min": terms.pay_min,
        "pay_max": terms.pay_max,
        "pay_period": terms.pay_period,
        "currency": terms.currency,
        "uses_ai": from_bool(terms.uses_ai),
        "ai_details": terms.ai_details,
        "existing_vacancy": from_bool(terms.existing_vacancy),
    }
    form = PostingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_terms(
                job=job,
                actor=member,
                pay_min=data["pay_min"],
                pay_max=data["pay_max"],
                pay_period=data["pay_period"],
                currency=data["currency"],
                uses_ai=to_bool(data["uses_ai"]),
                ai_details=data["ai_details"],
                existing_vacancy=to_bool(data["existing_vacancy"]),
            )
            if request.POST.get("publish") == "1":
                version = services.publish(job=job, actor=member)
                messages.success(request, f"Published: version {version.version} is live.")
            else:
                messages.success(request, "Saved (not published).")
        except ValidationError as error:
            attach_errors(form, error)
        else:
            return redirect("postings:posting", job_id=job.pk)
    profile = profile_for(job)
    return render(
        request,
        "postings/posting.html",
        {
            "job": job,
            "form": form,
            "profile": profile,
            "problems": services.check_job(job) if request.method != "POST" else {},
            "live": selectors.live_version(job),
            "versions": PostingVersion.objects.filter(org_id=job.org_id, job=job).order_by(
                "-version"
            ),
        },
    )


@console_view(*ALL_ROLES)
def version(request: HttpRequest, job_id: int, version: int) -> HttpResponse:
    member = member_of(request)
    job = job_for(member, job_id)
    found = get_object_or_404(PostingVersion, org_id=member.org_id, job=job, version=version)
    return render(request, "postings/version.html", {"job": job, "version": found})
