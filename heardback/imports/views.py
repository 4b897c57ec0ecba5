"""The import pages (admins only): upload and check, the dry run's findings, confirm,
progress (htmx polling, like bulk actions), undo, and the list of every bad row."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from heardback.console.access import ADMIN, ConsoleRequest, console_view
from heardback.console.views.common import error_text, member_of
from heardback.imports import columns, selectors, services, storage
from heardback.imports.forms import StartForm, UploadForm
from heardback.imports.models import ImportStatus


@console_view(*ADMIN)
def index(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.check_upload(actor=member, upload=form.cleaned_data["file"])
        except services.ImportRefused as refused:
            form.add_error("file", refused.messages)
        else:
            return redirect("imports:detail", run_id=run.pk)
    return render(
        request,
        "imports/index.html",
        {
            "form": form,
            "runs": selectors.runs_of(member).order_by("-created_at")[:20],
            "columns": columns.COLUMNS,
        },
        status=400 if form.errors else 200,
    )


@console_view(*ADMIN)
def example(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(columns.EXAMPLE, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="heardback-import-example.csv"'
    return response


@console_view(*ADMIN)
def detail(request: ConsoleRequest, run_id: int) -> HttpResponse:
    member = member_of(request)
    run = selectors.run_for(member, run_id)
    context = {"run": run, "format": services.describe_format(run)}
    if request.htmx and run.status in (
        ImportStatus.RUNNING,
        ImportStatus.UNDOING,
        ImportStatus.DONE,
        ImportStatus.FAILED,
        ImportStatus.UNDONE,
    ):
        context["fault"] = selectors.open_fault(run)
        return render(request, "imports/_progress.html", context)
    if run.status == ImportStatus.READY:
        context["start_form"] = StartForm()
        context["preview"] = selectors.acknowledgement_preview(run)
    if run.is_active:
        context["fault"] = selectors.open_fault(run)
    return render(request, "imports/detail.html", context)


@console_view(*ADMIN)
@require_POST
def start(request: HttpRequest, run_id: int) -> HttpResponse:
    member = member_of(request)
    run = selectors.run_for(member, run_id)
    form = StartForm(request.POST)
    form.is_valid()
    try:
        services.start(
            run=run,
            actor=member,
            tell_candidates=bool(form.cleaned_data.get("tell_candidates")),
        )
    except services.ImportRefused as refused:
        messages.error(request, error_text(refused))
    return redirect("imports:detail", run_id=run.pk)


@console_view(*ADMIN)
@require_POST
def undo(request: HttpRequest, run_id: int) -> HttpResponse:
    member = member_of(request)
    run = selectors.run_for(member, run_id)
    try:
        services.undo(run=run, actor=member)
    except services.ImportRefused as refused:
        messages.error(request, error_text(refused))
    else:
        messages.success(
            request, "Undoing the import. Candidates who already got a message are kept."
        )
    return redirect("imports:detail", run_id=run.pk)


@console_view(*ADMIN)
def problems(request: HttpRequest, run_id: int) -> HttpResponseBase:
    """Every bad row (the page shows the first few), as CSV with spreadsheet-safe cells."""
    member = member_of(request)
    run = selectors.run_for(member, run_id)
    path = storage.problems_path(run.stored_name) if run.stored_name else None
    if path is None or not path.exists():
        raise Http404("No list of problems for this import.")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"import-{run.pk}-problems.csv",
        content_type="text/csv; charset=utf-8",
    )
    response["Cache-Control"] = "no-store"
    return response
