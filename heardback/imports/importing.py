"""Importing one chunk of checked rows, in the caller's transaction.

Idempotent, so a chunk done twice (after a crash, or by two workers) creates nothing twice:
a candidate is found by (org, email) before one is created, an application by (job,
candidate), and a job by its title. Set-based: a handful of queries and one multi-row
INSERT per kind of row, per chunk.

Each new application starts in its stage with a promise from that stage, counted from now.
If the admin asked for it, the candidate is told (the acknowledgement, with that promise)
through the one send path; otherwise nothing is queued and `last_contacted_at` is the
import time, so the max-silence watchdog speaks up within the org's window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from heardback.hiring import messages
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Candidate,
    Event,
    EventKind,
    Job,
    JobStatus,
    Member,
    Org,
    PromiseWatch,
    Stage,
)
from heardback.hiring.names import guess_greeting_name
from heardback.imports.checking import (
    APPLIED_AT,
    EMAIL,
    LANGUAGE,
    LINE,
    NAME,
    PHONE,
    STAGE,
    TIME_ZONE,
    TITLE,
    TITLE_KEY,
    candidates_by_email,
    jobs_by_title,
    quoted,
    stage_key,
)
from heardback.imports.models import ImportedApplication, ImportRun
from heardback.imports.rows import insert
from heardback.messaging.kinds import MessageKind


class ImportProblem(Exception):
    """A row that can no longer be imported: the org changed since the file was checked."""


@dataclass
class ChunkResult:
    jobs_created: int = 0
    candidates_created: int = 0
    applications_created: int = 0
    applications_existing: int = 0
    messages_queued: int = 0


@dataclass
class JobTarget:
    job: Job
    stages: dict[str, Stage]
    created: bool


@dataclass
class NewApplication:
    row: list[Any]
    job: Job
    candidate: Candidate | Person
    stage: Stage
    respond_by: datetime
    created_at: datetime
    pk: int = 0


def _member(org: Org, email: str) -> Member | None:
    return (
        Member.objects.filter(org=org, user__email__iexact=email)
        .select_related("user")
        .order_by("pk")
        .first()
    )


def _jobs(run: ImportRun, rows: list[list[Any]], actor: Member) -> dict[str, JobTarget]:
    """The open job for each title in the chunk, created if the org has none."""
    org = run.org
    first_rows: dict[str, list[Any]] = {}
    for row in rows:
        first_rows.setdefault(row[TITLE_KEY], row)
    known = jobs_by_title(org, [row[TITLE] for row in first_rows.values()])
    chosen: dict[str, tuple[Job, bool]] = {}
    for key, row in first_rows.items():
        jobs = known.get(key, [])
        open_jobs = [job for job in jobs if job.status == JobStatus.OPEN]
        if len(open_jobs) > 1:
            raise ImportProblem(
                f"Line {row[LINE]}: several open jobs are called {quoted(row[TITLE])} now."
            )
        if open_jobs:
            chosen[key] = (open_jobs[0], False)
            continue
        if jobs:
            raise ImportProblem(
                f"Line {row[LINE]}: the job {quoted(row[TITLE])} is no longer open."
            )
        owner_email = run.new_job_owners.get(key, "")
        owner = _member(org, owner_email) if owner_email else actor
        if owner is None:
            raise ImportProblem(
                f"Line {row[LINE]}: {quoted(owner_email)} is no longer a member, so they "
                f"can't own the new job {quoted(row[TITLE])}."
            )
        try:
            job = hiring.create_job(org=org, title=row[TITLE], owner=owner, actor=actor)
        except HiringError as error:
            raise ImportProblem(f"Line {row[LINE]}: {' '.join(error.messages)}") from error
        chosen[key] = (job, True)
    stages: dict[int, dict[str, Stage]] = {}
    pipelines = {job.pipeline_id for job, _created in chosen.values()}
    for stage in Stage.objects.filter(pipeline_id__in=pipelines).order_by("position"):
        stages.setdefault(stage.pipeline_id, {}).setdefault(stage_key(stage.name), stage)
    return {
        key: JobTarget(job=job, stages=stages.get(job.pipeline_id, {}), created=created)
        for key, (job, created) in chosen.items()
    }


@dataclass(slots=True)
class Person:
    """A candidate this chunk creates (lighter than a model instance; see `as_candidate`)."""

    org_id: int
    name: str
    email: str
    phone: str
    language: str
    time_zone: str
    created_at: datetime
    pk: int = 0

    def values(self) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "name": self.name,
            "greeting_name": guess_greeting_name(self.name),
            "email": self.email,
            "phone": self.phone,
            "language": self.language,
            "time_zone": self.time_zone,
            "created_at": self.created_at,
        }


def as_candidate(person: Candidate | Person) -> Candidate:
    if isinstance(person, Candidate):
        return person
    return Candidate(pk=person.pk, **person.values())


def _create_candidates(
    org: Org, rows: list[list[Any]], found: dict[str, Candidate | Person], now: datetime
) -> set[str]:
    """Create the candidates not found (the first row's details win), adding them to
    `found`; returns the keys of those created here."""
    new: dict[str, Person] = {}
    for row in rows:
        key = row[EMAIL].lower()
        if key in found or key in new:
            continue
        new[key] = Person(org.pk, row[NAME], row[EMAIL], row[PHONE], row[LANGUAGE],
                          row[TIME_ZONE], now)  # fmt: skip
    if not new:
        return set()
    try:
        with transaction.atomic():
            ids = insert(Candidate, [person.values() for person in new.values()], returning=True)
    except IntegrityError:
        # Someone applied through another door meanwhile: one at a time, theirs wins.
        created: set[str] = set()
        for key, person in new.items():
            try:
                with transaction.atomic():
                    [person.pk] = insert(Candidate, [person.values()], returning=True)
            except IntegrityError:
                existing = candidates_by_email(org, {person.email}).get(key)
                if existing is None:
                    raise
                found[key] = existing
            else:
                found[key] = person
                created.add(key)
        return created
    for person, pk in zip(new.values(), ids, strict=True):
        person.pk = pk
    found.update(new)
    return set(new)


def _application_values(org: Org, new: NewApplication, now: datetime) -> dict[str, Any]:
    return {
        "org_id": org.pk,
        "job_id": new.job.pk,
        "candidate_id": new.candidate.pk,
        "stage_id": new.stage.pk,
        "status": ApplicationStatus.ACTIVE.value,
        "respond_by": new.respond_by,
        "stage_entered_at": now,
        "last_contacted_at": now,
        "created_at": new.created_at,
        "promise_watch": PromiseWatch.PENDING.value,
    }


def import_rows(
    run: ImportRun, rows: list[list[Any]], *, actor: Member, now: datetime
) -> ChunkResult:
    """Import `rows` (one chunk) for `run`. Call inside a transaction."""
    org = run.org
    result = ChunkResult()
    targets = _jobs(run, rows, actor)
    result.jobs_created = sum(1 for target in targets.values() if target.created)
    candidates: dict[str, Candidate | Person] = dict(
        candidates_by_email(org, {row[EMAIL] for row in rows})
    )
    # Only candidates the org already had can have applications already.
    existing = (
        set(
            Application.objects.filter(
                org=org,
                job_id__in={target.job.pk for target in targets.values()},
                candidate_id__in={candidate.pk for candidate in candidates.values()},
            ).values_list("job_id", "candidate_id")
        )
        if candidates
        else set()
    )
    created_candidates = _create_candidates(org, rows, candidates, now)
    result.candidates_created = len(created_candidates)
    promises: dict[tuple[str, int], datetime] = {}
    applied: dict[str, datetime] = {}
    new: list[NewApplication] = []
    for row in rows:
        target = targets[row[TITLE_KEY]]
        candidate = candidates[row[EMAIL].lower()]
        if (target.job.pk, candidate.pk) in existing:
            result.applications_existing += 1
            continue
        existing.add((target.job.pk, candidate.pk))
        stage = target.stages.get(stage_key(row[STAGE]))
        if stage is None:
            raise ImportProblem(
                f"Line {row[LINE]}: the stage {quoted(row[STAGE])} of "
                f"{quoted(target.job.title)} no longer exists."
            )
        promise_key = (candidate.time_zone, stage.promise_business_days)
        if promise_key not in promises:
            sample = Application(
                org=org, job=target.job, candidate=as_candidate(candidate), stage=stage
            )
            promises[promise_key] = hiring.promise_for(sample, stage=stage, start=now)
        created_at = now
        if row[APPLIED_AT]:
            if row[APPLIED_AT] not in applied:
                applied[row[APPLIED_AT]] = datetime.fromisoformat(row[APPLIED_AT])
            created_at = applied[row[APPLIED_AT]]
        new.append(
            NewApplication(
                row=row,
                job=target.job,
                candidate=candidate,
                stage=stage,
                respond_by=promises[promise_key],
                created_at=created_at,
            )
        )
    result.applications_existing += _insert_applications(org, new, now)
    result.applications_created = len(new)
    _record(run, new, actor=actor, now=now)
    _tag(run, new, targets=targets, created_candidates=created_candidates)
    if run.tell_candidates and new:
        result.messages_queued = _tell(org, new, now)
    return result


def _insert_applications(org: Org, new: list[NewApplication], now: datetime) -> int:
    """Insert the new applications; returns how many turned out to exist already."""
    if not new:
        return 0
    try:
        with transaction.atomic():
            ids = insert(
                Application, [_application_values(org, a, now) for a in new], returning=True
            )
    except IntegrityError:
        # The candidate applied to the same job through another door meanwhile: theirs wins.
        inserted: list[NewApplication] = []
        for application in new:
            try:
                with transaction.atomic():
                    [application.pk] = insert(
                        Application, [_application_values(org, application, now)], returning=True
                    )
            except IntegrityError:
                continue
            inserted.append(application)
        skipped = len(new) - len(inserted)
        new[:] = inserted
        return skipped
    for application, pk in zip(new, ids, strict=True):
        application.pk = pk
    return 0


def _record(run: ImportRun, new: list[NewApplication], *, actor: Member, now: datetime) -> None:
    """Each application's timeline starts with "Applied", by the admin, from the import."""
    label = actor.display_name[:100]
    insert(
        Event,
        [
            {
                "org_id": run.org_id,
                "application_id": application.pk,
                "job_id": application.job.pk,
                "actor_id": actor.user_id,
                "actor_label": label,
                "kind": EventKind.APPLIED.value,
                "data": {"source": "import", "import_run": run.pk, "line": application.row[LINE]},
                "created_at": now,
            }
            for application in new
        ],
    )


def _tag(
    run: ImportRun,
    new: list[NewApplication],
    *,
    targets: dict[str, JobTarget],
    created_candidates: set[str],
) -> None:
    """Tag what this run created, for undo: one tag per application, naming the candidate
    and the job too on the first application that needed them created."""
    tags: list[dict[str, Any]] = []
    tagged_candidates: set[int] = set()
    tagged_jobs: set[int] = set()
    for application in new:
        candidate_id = job_id = None
        row = application.row
        if row[EMAIL].lower() in created_candidates and (
            application.candidate.pk not in tagged_candidates
        ):
            candidate_id = application.candidate.pk
            tagged_candidates.add(candidate_id)
        if targets[row[TITLE_KEY]].created and application.job.pk not in tagged_jobs:
            job_id = application.job.pk
            tagged_jobs.add(job_id)
        tags.append(
            {
                "run_id": run.pk,
                "line": row[LINE],
                "application_id": application.pk,
                "candidate_id": candidate_id,
                "job_id": job_id,
            }
        )
    insert(ImportedApplication, tags)


def _tell(org: Org, new: list[NewApplication], now: datetime) -> int:
    """The acknowledgement with the promise, through the one send path."""
    queued = 0
    told: list[Application] = []
    for item in new:
        application = Application(
            pk=item.pk,
            org=org,
            job=item.job,
            candidate=as_candidate(item.candidate),
            stage=item.stage,
            respond_by=item.respond_by,
            stage_entered_at=now,
            created_at=item.created_at,
            last_contacted_at=now,
        )
        message = hiring.tell_candidate(
            application,
            kind=MessageKind.ACKNOWLEDGEMENT,
            key=f"app:{application.pk}:ack",
            default=messages.ACKNOWLEDGEMENT,
            automated=True,
        )
        if message is not None:
            queued += 1
            told.append(application)
    Application.objects.bulk_update(told, ["last_contacted_at", "last_automated_at"])
    return queued
