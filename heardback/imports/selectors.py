"""Reading imports: an org's runs, one run (scoped to the member's org), the preview of the
acknowledgement imported candidates would get, and the fault a stuck run is waiting on."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils import translation

from heardback import clock
from heardback.hiring import messages
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Candidate, Job, JobStatus, Member, Pipeline, Stage
from heardback.hiring.names import guess_greeting_name
from heardback.imports.models import ImportRun
from heardback.messaging.rendering import Rendered, TemplateError
from heardback.runtime.models import Fault


def runs_of(member: Member) -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(org_id=member.org_id).select_related("created_by__user")


def run_for(member: Member, run_id: int) -> ImportRun:
    run = runs_of(member).filter(pk=run_id).first()
    if run is None:
        raise Http404("No such import.")
    return run


def acknowledgement_preview(run: ImportRun, *, now: datetime | None = None) -> Rendered | None:
    """What the first candidate in the file would get if the admin ticks "tell the
    candidates": the real text, in their language, with the promise their stage makes."""
    sample = (run.summary or {}).get("sample")
    if not sample:
        return None
    org = run.org
    job = (
        Job.objects.filter(org=org, title__iexact=sample["job_title"], status=JobStatus.OPEN)
        .select_related("pipeline")
        .first()
    )
    if job is not None:
        stages = Stage.objects.filter(pipeline_id=job.pipeline_id)
    else:
        template = Pipeline.objects.filter(org=org, is_template=True).order_by("id").first()
        stages = Stage.objects.filter(pipeline=template) if template else Stage.objects.none()
    stage = (
        stages.filter(name=sample["stage"]).order_by("position").first()
        or stages.order_by("position").first()
    )
    if stage is None:
        return None
    candidate = Candidate(
        org=org,
        name=sample["name"],
        greeting_name=guess_greeting_name(sample["name"]),
        email=sample["email"],
        language=sample["language"],
        time_zone=sample["time_zone"],
    )
    application = Application(
        org=org,
        job=job or Job(org=org, title=sample["job_title"]),
        candidate=candidate,
        stage=stage,
    )
    application.respond_by = hiring.promise_for(application, stage=stage, start=now or clock.now())
    with translation.override(candidate.language):
        subject = str(messages.ACKNOWLEDGEMENT.subject)
        body = str(messages.ACKNOWLEDGEMENT.body)
    try:
        return messages.preview(application, subject=subject, body=body)
    except TemplateError:
        return None


def open_fault(run: ImportRun) -> Fault | None:
    """Why a run in progress is waiting, if a chunk failed (it is retried with backoff)."""
    return Fault.objects.filter(
        source="run_imports", item=f"import:{run.pk}", resolved_at__isnull=True
    ).first()
