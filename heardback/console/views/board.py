"""The pipeline board: a column per stage, filters, and moving a candidate with a preview."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from heardback import clock
from heardback.console.access import ALL_ROLES, application_for, console_view, job_for
from heardback.console.selectors import FILTERS, board_applications, board_columns
from heardback.console.views.common import error_text, member_of
from heardback.console.views.jobs import latest_close_out
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Role, Stage
from heardback.runtime.params import id_param, text_param

# A column's page is `col<stage id>=<n>` in the query string, so each column pages on its
# own and the filter, the search and the other columns' pages are kept.
COLUMN_PAGE_PREFIX = "col"


def _column_pages(params: QueryDict) -> dict[int, int]:
    """Stage id to page number; a malformed key or page is the first page (a stale or
    hand-edited link still shows the board)."""
    pages = {}
    for key in params:
        suffix = key[len(COLUMN_PAGE_PREFIX) :]
        if key.startswith(COLUMN_PAGE_PREFIX) and suffix.isascii() and suffix.isdigit():
            page = id_param(params, key)
            if page is not None:
                pages[int(suffix)] = page
    return pages


def _with_page(params: QueryDict, stage_id: int, page: int) -> str:
    changed = params.copy()
    key = f"{COLUMN_PAGE_PREFIX}{stage_id}"
    if page <= 1:
        changed.pop(key, None)
    else:
        changed[key] = str(page)
    return "?" + changed.urlencode()


def _list_link(job_id: int, stage_id: int, filter_key: str, query: str) -> str:
    """The list view showing this column: same job, stage and (where the list has the
    same filter) the board's filter and search."""
    params = QueryDict(mutable=True)
    params.update({"job": str(job_id), "stage": str(stage_id), "status": "active"})
    if filter_key in ("overdue", "unreachable"):
        params[filter_key] = "1"
    if query:
        params["q"] = query
    return reverse("console:applications") + "?" + params.urlencode()


@console_view(*ALL_ROLES)
def board(request: HttpRequest, job_id: int) -> HttpResponse:
    member = member_of(request)
    job = job_for(member, job_id)
    now = clock.now()
    filter_key = request.GET.get("filter", "")
    if filter_key not in FILTERS:
        filter_key = ""
    query = text_param(request.GET, "q")
    applications = board_applications(job=job, now=now, filter_key=filter_key, query=query)
    columns = board_columns(job=job, applications=applications, pages=_column_pages(request.GET))
    links = {
        column.stage.pk: {
            "previous": _with_page(request.GET, column.stage.pk, column.page - 1),
            "next": _with_page(request.GET, column.stage.pk, column.page + 1),
            "list": _list_link(job.pk, column.stage.pk, filter_key, query),
        }
        for column in columns
    }
    return render(
        request,
        "console/board.html",
        {
            "job": job,
            "columns": columns,
            "links": links,
            "total": sum(c.count for c in columns),
            "filters": FILTERS,
            "filter_key": filter_key,
            "query": query,
            "close_out": latest_close_out(job.pk, job.org_id),
            "can_bulk": member.role in (Role.ADMIN, Role.RECRUITER),
            "now": now,
        },
    )


def stage_message_preview(application: Application, stage: Stage) -> tuple[str, str, str] | None:
    """(subject, text, problem): what moving into `stage` would send, or None when the
    candidate sees no change. Rendered by the path the move sends by (`hiring.preview_move`):
    the candidate's language throughout, the new promise in their date style; if the stage's
    own template fails, the built-in text the candidate would really get, and the problem."""
    preview = hiring.preview_move(application, stage)
    if preview is None:
        return None
    return preview.subject, preview.text, preview.problem


@console_view(*ALL_ROLES)
def move(request: HttpRequest, application_id: int) -> HttpResponse:
    """GET: preview the move into ?stage=; POST: do it."""
    member = member_of(request)
    application = application_for(member, application_id)
    raw = request.POST.get("stage") or request.GET.get("stage") or ""
    stage_id = id_param(request.POST, "stage") or id_param(request.GET, "stage")
    stage = (
        Stage.objects.filter(
            org_id=member.org_id, pipeline_id=application.job.pipeline_id, pk=stage_id
        ).first()
        if stage_id is not None
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
