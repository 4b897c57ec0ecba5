"""The hear-back dashboard, and the policy page with the public report card switch."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from heardback import clock
from heardback.clock import dates
from heardback.console.access import (
    ADMIN,
    ALL_ROLES,
    console_view,
    visible_applications,
    visible_jobs,
)
from heardback.console.charts import bar_chart
from heardback.console.forms import PolicyForm
from heardback.console.selectors import survey_results
from heardback.console.views.common import attach_errors, error_text, member_of
from heardback.hiring.models import Member, Org, Role
from heardback.portal import selectors as portal
from heardback.portal import services as portal_services
from heardback.promises import services as engine
from heardback.promises.models import PastCapAction
from heardback.promises.policy import EDITABLE_FIELDS, policy_values
from heardback.reporting import selectors as reporting
from heardback.runtime.params import id_param


@console_view(*ALL_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    now = clock.now()
    org = member.org
    jobs = visible_jobs(member).order_by("title")
    job_id = id_param(request.GET, "job")
    job = jobs.filter(pk=job_id).first() if job_id is not None else None
    owners = Member.objects.filter(org_id=org.pk, owned_jobs__isnull=False).distinct()
    owner_id = id_param(request.GET, "owner")
    owner = owners.filter(pk=owner_id).first() if owner_id is not None else None
    if member.role == Role.HIRING_MANAGER and job is None:
        owner = member  # a hiring manager's dashboard is about their own jobs
    scoped_job_id = job.pk if job else None
    metrics = reporting.hear_back_metrics(now=now, org=org, job_id=scoped_job_id, owner=owner)
    series = reporting.weekly_series(now=now, weeks=12, org=org, job_id=scoped_job_id, owner=owner)
    labels = [dates.format(point.week_start, "day_month") for point in series]
    rate_chart = bar_chart(
        [None if p.hear_back_rate is None else p.hear_back_rate * 100 for p in series],
        labels,
        maximum=100,
        fmt="{:.0f}%",
    )
    volume_chart = bar_chart([float(p.received) for p in series], labels)
    decision_chart = bar_chart(
        [None if p.median_decision_hours is None else p.median_decision_hours / 24 for p in series],
        labels,
        fmt="{:.1f}",
    )
    applications = visible_applications(member)
    if job is not None:
        applications = applications.filter(job=job)
    return render(
        request,
        "console/dashboard.html",
        {
            "metrics": metrics,
            "series": series,
            "rate_chart": rate_chart,
            "volume_chart": volume_chart,
            "decision_chart": decision_chart,
            "act_today": reporting.needs_action_today(applications=applications, now=now, org=org),
            "jobs": jobs,
            "job": job,
            "owners": owners if member.role != Role.HIRING_MANAGER else [],
            "owner": owner,
            "now": now,
            # Org-wide whatever the filter: answers are not tied to a job in the summary,
            # and there are too few of them to split.
            "survey": survey_results(org=org, now=now),
        },
    )


@console_view(*ADMIN)
def policy(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    current = engine.get_policy(org=member.org)
    form = PolicyForm(
        request.POST or None, initial=policy_values(current), choices=PastCapAction.choices
    )
    if request.method == "POST" and form.is_valid():
        try:
            engine.update_policy(
                org=member.org,
                actor=member,
                **{name: form.cleaned_data[name] for name in EDITABLE_FIELDS},
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, "Policy saved. It applies from now on.")
            return redirect("console:policy")
    return render(
        request,
        "console/policy.html",
        {"form": form, **_report_card_context(member.org)},
        status=400 if form.errors else 200,
    )


def _report_card_context(org: Org) -> dict[str, object]:
    """Whether the card is public, and the absolute addresses other sites link and embed."""
    card_path = reverse("portal:report_card", kwargs={"org_slug": org.slug})
    badge_path = reverse("portal:badge", kwargs={"org_slug": org.slug})
    card_url = f"{settings.SITE_URL}{card_path}"
    badge_url = f"{settings.SITE_URL}{badge_path}"
    # Built here so the org's name is escaped inside the attribute of the copied HTML.
    snippet = format_html(
        '<a href="{}"><img src="{}" alt="{}"></a>',
        card_url,
        badge_url,
        f"{org.name} hears back: see our record",
    )
    return {
        "report_card_public": portal.is_public(org=org),
        "report_card_url": card_url,
        "badge_url": badge_url,
        "badge_snippet": snippet,
        "min_finished": portal.MIN_FINISHED,
    }


@console_view(*ADMIN)
@require_POST
def report_card(request: HttpRequest) -> HttpResponse:
    """Publish or hide the public report card and badge (an admin's choice, recorded)."""
    member = member_of(request)
    choice = request.POST.get("public")
    if choice not in {"on", "off"}:
        messages.error(request, "Please choose whether to publish the report card or hide it.")
        return redirect("console:policy")
    try:
        portal_services.set_report_card_public(org=member.org, public=choice == "on", actor=member)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("console:policy")
    if choice == "on":
        messages.success(request, "Your report card is public. Candidates can see your record.")
    else:
        # The badge is served with an hour's public cache, so say so rather than promise more.
        messages.success(
            request,
            "Your report card is hidden. Its page is offline now; a badge already shown on "
            "another site may take up to an hour to disappear.",
        )
    return redirect(f"{reverse('console:policy')}#report-card")
