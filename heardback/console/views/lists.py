"""The list views: every application (any status) with filters, sorting, keyset paging and
a CSV export of the same filter; every candidate; one candidate across the org's jobs."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from heardback import clock
from heardback.clock.business import zone
from heardback.console import listing
from heardback.console.access import ALL_ROLES, console_view
from heardback.console.forms import ApplicationFilterForm
from heardback.console.views.common import member_of
from heardback.hiring.models import Member
from heardback.imports.checking import spreadsheet_safe
from heardback.runtime.params import text_param

# The query-string keys the list understands; paging links and the export keep these.
FILTER_KEYS = (
    "q",
    "job",
    "stage",
    "status",
    "owner",
    "overdue",
    "unreachable",
    "applied_from",
    "applied_to",
    "changed_from",
    "changed_to",
    "sort",
)


def _read_filters(
    request: HttpRequest, member: Member
) -> tuple[ApplicationFilterForm, dict[str, Any], listing.ApplicationFilters | None]:
    choices = listing.filter_choices(member)
    text_param(request.GET, "q")  # a NUL anywhere is a 400 that names the parameter
    form = ApplicationFilterForm(
        request.GET,
        jobs=choices["jobs"],
        stages=choices["stages"],
        owners=choices["owners"],
        statuses=listing.STATUSES,
        sorts=listing.SORTS,
    )
    if not form.is_valid():
        return form, choices, None
    data = form.cleaned_data
    filters = listing.ApplicationFilters(
        job=form.jobs.get(data["job"]) if data["job"] is not None else None,
        stage=form.stages.get(data["stage"]) if data["stage"] is not None else None,
        status=data["status"] or "",
        owner=form.owners.get(data["owner"]) if data["owner"] is not None else None,
        overdue=data["overdue"],
        unreachable=data["unreachable"],
        applied_from=data["applied_from"],
        applied_to=data["applied_to"],
        changed_from=data["changed_from"],
        changed_to=data["changed_to"],
        query=data["q"],
        sort=data["sort"] or listing.DEFAULT_SORT,
    )
    return form, choices, filters


def _filter_query(params: QueryDict) -> str:
    """The current filter as a query string (no cursor): for paging, export and sorting."""
    kept = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        for value in params.getlist(key):
            if value:
                kept.appendlist(key, value)
    return kept.urlencode()


def _row_urls() -> dict[str, str]:
    """Each row's links are these plus an id and "/" (the URL patterns' own shape): three
    reverse() calls a page instead of three a row."""
    return {
        "application": reverse("console:applications"),
        "candidate": reverse("console:candidates"),
        "job": reverse("console:jobs"),
    }


@console_view(*ALL_ROLES)
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    now = clock.now()
    form, choices, filters = _read_filters(request, member)
    page = None
    cursor_error = ""
    if filters is not None:
        try:
            page = listing.application_page(
                member=member, filters=filters, now=now, after=form.cleaned_data["after"]
            )
        except listing.BadCursor as error:
            cursor_error = str(error)
    chosen_job = filters.job if filters is not None else None
    status = 200 if page is not None else 400
    return render(
        request,
        "console/application_list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "cursor_error": cursor_error,
            "jobs": choices["jobs"],
            "stage_groups": listing.stage_groups(choices["jobs"], choices["stages"], chosen_job),
            "owners": choices["owners"],
            "statuses": listing.STATUSES,
            "sorts": listing.SORTS,
            "filter_query": _filter_query(request.GET),
            "urls": _row_urls(),
            "now": now,
        },
        status=status,
    )


class _Echo:
    """A file-like object whose write hands back the line: csv.writer into a stream."""

    def write(self, value: str) -> str:
        return value


EXPORT_COLUMNS = [
    "Application id",
    "Candidate",
    "Email",
    "Phone",
    "Job",
    "Stage",
    "Status",
    "Applied",
    "Last change",
    "Respond by",
    "Owner",
    "Unreachable since",
    "Console link",
]


def _local(moment: datetime | None, time_zone: str) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment, zone(time_zone)).strftime("%Y-%m-%d %H:%M")


def export_row(row: listing.Row, *, time_zone: str, link: str) -> list[str]:
    """One CSV row; every text cell goes through `spreadsheet_safe`, so a name such as
    `=HYPERLINK(…)` is shown as text by a spreadsheet, never run as a formula."""
    cells = [
        str(row.pk),
        row.name,
        row.email,
        row.phone,
        row.job_title,
        row.stage_name,
        row.outcome,
        _local(row.created_at, time_zone),
        _local(row.last_change, time_zone),
        _local(row.respond_by, time_zone),
        row.owner,
        _local(row.unreachable_since, time_zone),
        f"{link}{row.pk}/",
    ]
    return [spreadsheet_safe(cell) for cell in cells]


@console_view(*ALL_ROLES)
@require_GET
def application_export(request: HttpRequest) -> HttpResponseBase:
    """The current filter as CSV, streamed a chunk at a time (no size limit, flat memory)."""
    member = member_of(request)
    now = clock.now()
    form, choices, filters = _read_filters(request, member)
    if filters is None:
        return render(
            request,
            "console/application_list.html",
            {
                "form": form,
                "filters": None,
                "page": None,
                "jobs": choices["jobs"],
                "stage_groups": listing.stage_groups(choices["jobs"], choices["stages"], None),
                "owners": choices["owners"],
                "statuses": listing.STATUSES,
                "sorts": listing.SORTS,
                "filter_query": "",
                "now": now,
            },
            status=400,
        )
    time_zone = member.org.time_zone
    # The application page's address without its id: one reverse() for the whole file.
    link = settings.SITE_URL.rstrip("/") + reverse("console:applications")
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # a BOM, so spreadsheets read the names as UTF-8
        yield writer.writerow(EXPORT_COLUMNS)
        for row in listing.iter_applications(member=member, filters=filters, now=now):
            yield writer.writerow(export_row(row, time_zone=time_zone, link=link))

    stamp = timezone.localtime(now, zone(time_zone)).strftime("%Y-%m-%d")
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="applications-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@console_view(*ALL_ROLES)
@require_GET
def candidate_list(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    query = text_param(request.GET, "q")
    after = text_param(request.GET, "after", max_length=30)
    try:
        page = listing.candidate_page(member=member, query=query, after=after)
        error = ""
    except listing.BadCursor as bad:
        page, error = None, str(bad)
    return render(
        request,
        "console/candidate_list.html",
        {"page": page, "query": query, "cursor_error": error},
        status=200 if page is not None else 400,
    )


@console_view(*ALL_ROLES)
@require_GET
def candidate_detail(request: HttpRequest, candidate_id: int) -> HttpResponse:
    member = member_of(request)
    candidate = listing.candidate_for(member, candidate_id)
    return render(
        request,
        "console/candidate.html",
        {
            "candidate": candidate,
            "applications": listing.applications_of(member, candidate),
            "now": clock.now(),
        },
    )
