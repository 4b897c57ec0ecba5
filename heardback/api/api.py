"""The REST API, `/api/v1/`: thin handlers over the same services the console uses.

Every handler is scoped to the key's org (an id from another org is simply not found),
every change goes through the services that keep the no-ghost contract, and every answer
that isn't a success is a problem document (RFC 9457). GET answers carry an ETag and honour
`If-None-Match`; POSTs honour `Idempotency-Key` (see `idempotency.py`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from datetime import UTC, datetime
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from ninja import Field, NinjaAPI, Path, Query, Router, Schema, Status
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from heardback import clock
from heardback.api import problems
from heardback.api.keys import AUTHENTICATED, authenticate
from heardback.api.models import ApiKey, Scope
from heardback.api.openapi import describe_protocol
from heardback.api.schemas import (
    MAX_ID,
    ApplicationIn,
    ApplicationOut,
    CloseIn,
    CloseOutOut,
    DateTimeIn,
    DeclineIn,
    ExtendIn,
    Id,
    InterviewIn,
    InterviewOut,
    JobIn,
    JobOut,
    JobPatch,
    MessageOut,
    MetricsOut,
    MoveIn,
    NoteIn,
    NoteOut,
    Page,
    StageOut,
    Text,
)
from heardback.compliance import services as compliance
from heardback.compliance.models import AnswerDuty, Interview
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Job,
    JobStatus,
    Member,
    Stage,
)
from heardback.messaging.links import redacted
from heardback.messaging.models import DeliveryEvent, Message
from heardback.promises import services as engine
from heardback.reporting.selectors import hear_back_metrics
from heardback.web import limits
from heardback.web.client import client_key


class KeyAuth(HttpBearer):
    """`Authorization: Bearer hb_…`. Never logs what it was given."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        # The Idempotency-Key middleware may have looked this very token up already.
        found = getattr(request, AUTHENTICATED, None)
        if found is not None and hmac.compare_digest(found[0], token):
            key: ApiKey = found[1]
            return key
        return authenticate(token)


class KeyThrottle(AuthRateThrottle):
    """Per key, counted by heardback.web.limits like every other limit: one atomic count in
    the shared store per request, so every web process counts together (a read-then-write
    of a request history would let two processes both see room for one more).

    The rate is read on every request, so a changed setting applies at once; and nothing
    about one request is kept on this shared instance (requests run in threads), only the
    wait a refusal suggests, per thread, for `Retry-After`.
    """

    def __init__(self) -> None:
        super().__init__(settings.API_RATE_PER_KEY)
        self._refused = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        limit, window = limits.parse_rate(settings.API_RATE_PER_KEY)
        auth = getattr(request, "auth", None)
        # The key's public prefix (ApiKey.__str__); a request without a key counts by client.
        who = str(auth) if auth is not None else "client:" + client_key(request)
        verdict = limits.hit("api-key", who, limit=limit, window=window)
        if not verdict.allowed:
            self._refused.wait = float(verdict.retry_after)
        return verdict.allowed

    def wait(self) -> float | None:
        wait: float | None = getattr(self._refused, "wait", None)
        return wait


class HeardbackAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        describe_protocol(schema)
        return schema

    def create_response(
        self, request: HttpRequest, data: Any, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        """Every successful GET gets a strong ETag; a matching `If-None-Match` gets 304."""
        response = super().create_response(request, data, *args, **kwargs)
        if request.method != "GET" or response.status_code != 200:
            return response
        etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        response["ETag"] = etag
        wanted = request.headers.get("If-None-Match", "")
        if any(hmac.compare_digest(tag.strip(), etag) for tag in wanted.split(",") if tag):
            not_modified = HttpResponseNotModified()
            not_modified["ETag"] = etag
            return not_modified
        return response


api = HeardbackAPI(
    title="Heardback API",
    version="1.0.0",
    description=(
        "Drive Heardback from your own tools: jobs, applications and the decisions that "
        "keep every candidate's promise. Authenticate with `Authorization: Bearer hb_…` "
        "(keys are created by org admins in the console). Errors are RFC 9457 problem "
        "documents; POSTs accept an `Idempotency-Key` header; GETs carry ETags."
    ),
    auth=KeyAuth(),
    throttle=[KeyThrottle()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)


def key_of(request: HttpRequest) -> ApiKey:
    key = request.auth  # type: ignore[attr-defined]
    assert isinstance(key, ApiKey)
    return key


def need(request: HttpRequest, scope: str) -> ApiKey:
    key = key_of(request)
    if not key.allows(scope):
        raise PermissionDenied(f"This key's scope is “{key.scope}”; this needs “{scope}”.")
    return key


def acting_member(key: ApiKey) -> Member:
    """Changes made with a key are made in its creator's name."""
    return key.created_by


# Path ids: 64-bit, like the rows they name.
JobId = Annotated[int, Path(..., ge=1, le=MAX_ID)]
ApplicationId = Annotated[int, Path(..., ge=1, le=MAX_ID)]

# --- cursor pagination --------------------------------------------------------------------

MAX_LIMIT = 200
LIMIT = Field(50, description=f"Items per page, 1 to {MAX_LIMIT} (more is read as {MAX_LIMIT})")


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "id":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError) as error:
        raise HiringError({"cursor": ["This cursor is not one we gave out."]}) from error


def _page(rows: QuerySet[Any], *, cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
    """Keyset pagination by id: stable while rows are added, cheap at any depth."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        rows = rows.filter(pk__gt=_decode_cursor(cursor))
    found = list(rows.order_by("pk")[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return found, _encode_cursor(found[-1].pk) if more and found else None


# --- jobs ---------------------------------------------------------------------------------

jobs = Router(tags=["jobs"])


class JobPage(Page):
    items: list[JobOut]


class JobFilters(Schema):
    status: JobStatus | None = None
    cursor: Text | None = None
    limit: int = LIMIT


def _job_out(job: Job) -> dict[str, Any]:
    owner = job.owner
    return {
        "id": job.pk,
        "title": job.title,
        "slug": job.slug,
        "status": job.status,
        "location": job.location,
        "description": job.description,
        "owner": {"id": owner.pk, "name": owner.display_name, "email": owner.email},
        "created_at": job.created_at,
        "closed_at": job.closed_at,
    }


def _one(rows: QuerySet[Any]) -> Any:
    """The row, or None: for lookups by primary key (first() would also sort)."""
    return next(iter(rows[:1]), None)


def _job(key: ApiKey, job_id: int) -> Job:
    found: Job | None = _one(
        Job.objects.select_related("owner__user", "org").filter(org_id=key.org_id, pk=job_id)
    )
    if found is None:
        raise Http404
    return found


def _member_by_email(key: ApiKey, email: str) -> Member:
    if not email:
        return acting_member(key)
    member = (
        Member.objects.select_related("user")
        .filter(org_id=key.org_id, user__email__iexact=email.strip())
        .first()
    )
    if member is None:
        raise HiringError({"owner_email": ["No member of your organisation has that email."]})
    return member


@jobs.get("", response=JobPage, summary="List jobs")
def list_jobs(request: HttpRequest, filters: Query[JobFilters]) -> dict[str, Any]:
    key = need(request, Scope.READ)
    rows = Job.objects.filter(org_id=key.org_id).select_related("owner__user")
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    found, next_cursor = _page(rows, cursor=filters.cursor, limit=filters.limit)
    return {"items": [_job_out(j) for j in found], "next_cursor": next_cursor}


@jobs.post("", response={201: JobOut}, summary="Create a job from the org's first template")
def create_job(request: HttpRequest, payload: JobIn) -> Status[dict[str, Any]]:
    key = need(request, Scope.WRITE)
    job = hiring.create_job(
        org=key.org,
        title=payload.title,
        owner=_member_by_email(key, payload.owner_email),
        description=payload.description,
        location=payload.location,
        actor=acting_member(key),
    )
    return Status(201, _job_out(_job(key, job.pk)))


@jobs.get("/{job_id}", response=JobOut, summary="Get a job")
def get_job(request: HttpRequest, job_id: JobId) -> dict[str, Any]:
    key = need(request, Scope.READ)
    return _job_out(_job(key, job_id))


@jobs.patch("/{job_id}", response=JobOut, summary="Change a job's title, place, text or owner")
def update_job(request: HttpRequest, job_id: JobId, payload: JobPatch) -> dict[str, Any]:
    key = need(request, Scope.WRITE)
    job = _job(key, job_id)
    stages = {
        s.pk: (s.name, s.promise_business_days)
        for s in Stage.objects.filter(org_id=key.org_id, pipeline_id=job.pipeline_id)
    }
    engine.update_job(
        actor=acting_member(key),
        job=job,
        title=payload.title if payload.title is not None else job.title,
        location=payload.location if payload.location is not None else job.location,
        description=payload.description if payload.description is not None else job.description,
        owner=_member_by_email(key, payload.owner_email) if payload.owner_email else job.owner,
        stages=stages,
        closeout_subject=job.closeout_subject,
        closeout_body=job.closeout_body,
    )
    return _job_out(_job(key, job_id))


@jobs.post("/{job_id}/hold", response=JobOut, summary="Put a job on hold")
def hold_job(request: HttpRequest, job_id: JobId) -> dict[str, Any]:
    key = need(request, Scope.WRITE)
    engine.set_on_hold(actor=acting_member(key), job=_job(key, job_id), on_hold=True)
    return _job_out(_job(key, job_id))


@jobs.post("/{job_id}/resume", response=JobOut, summary="Resume a job on hold")
def resume_job(request: HttpRequest, job_id: JobId) -> dict[str, Any]:
    key = need(request, Scope.WRITE)
    engine.set_on_hold(actor=acting_member(key), job=_job(key, job_id), on_hold=False)
    return _job_out(_job(key, job_id))


@jobs.post(
    "/{job_id}/close",
    response={202: CloseOutOut},
    summary="Close or fill a job: every remaining candidate gets one kind, final message",
)
def close_job(request: HttpRequest, job_id: JobId, payload: CloseIn) -> Status[Any]:
    key = need(request, Scope.WRITE)
    close_out = engine.close_job(
        job=_job(key, job_id), actor=acting_member(key), outcome=payload.outcome
    )
    return Status(202, close_out)


@jobs.post("/{job_id}/reopen", response=JobOut, summary="Reopen a job within the undo window")
def reopen_job(request: HttpRequest, job_id: JobId) -> dict[str, Any]:
    key = need(request, Scope.WRITE)
    engine.reopen_job(job=_job(key, job_id), actor=acting_member(key))
    return _job_out(_job(key, job_id))


@jobs.get("/{job_id}/stages", response=list[StageOut], summary="A job's stages and promises")
def job_stages(request: HttpRequest, job_id: JobId) -> QuerySet[Stage]:
    key = need(request, Scope.READ)
    job = _job(key, job_id)
    return Stage.objects.filter(org_id=key.org_id, pipeline_id=job.pipeline_id).order_by("position")


# --- applications -------------------------------------------------------------------------

applications = Router(tags=["applications"])


class ApplicationPage(Page):
    items: list[ApplicationOut]


class ApplicationFilters(Schema):
    job_id: Id | None = None
    stage_id: Id | None = None
    status: ApplicationStatus | None = None
    overdue: bool | None = None
    updated_since: DateTimeIn | None = None
    cursor: Text | None = None
    limit: int = LIMIT


def _utc(moment: datetime | None) -> datetime | None:
    """Answers speak UTC, whether a value was just computed (in the candidate's zone) or read
    back from the database."""
    return moment.astimezone(UTC) if moment is not None else None


def _application_out(application: Application, now: datetime) -> dict[str, Any]:
    candidate = application.candidate
    return {
        "id": application.pk,
        "job_id": application.job_id,
        "candidate": {
            "id": candidate.pk,
            "name": candidate.name,
            "email": candidate.email,
            "phone": candidate.phone,
            "language": candidate.language,
            "time_zone": candidate.time_zone,
            "progress_updates_opt_out": candidate.progress_updates_opt_out,
            "unreachable": candidate.unreachable_since is not None,
        },
        "stage": {
            "id": application.stage_id,
            "name": application.stage.name,
            "coarse_stage": application.stage.coarse_stage,
        },
        "status": application.status,
        "respond_by": _utc(application.respond_by),
        "overdue": bool(
            application.is_active and application.respond_by and application.respond_by < now
        ),
        # A held hire shares the decline's hold (`pending_hire`); it is no pending decline.
        "pending_decline_at": None
        if application.pending_hire
        else _utc(application.pending_decline_at),
        "decline_reason": application.decline_reason,
        "created_at": _utc(application.created_at),
        "decided_at": _utc(application.decided_at),
        "last_contacted_at": _utc(application.last_contacted_at),
    }


def _applications(key: ApiKey) -> QuerySet[Application]:
    return Application.objects.filter(org_id=key.org_id).select_related("candidate", "stage")


def _application(key: ApiKey, application_id: int) -> Application:
    found: Application | None = _one(
        _applications(key).select_related("org", "job").filter(pk=application_id)
    )
    if found is None:
        raise Http404
    return found


@applications.get("", response=ApplicationPage, summary="List applications, filtered")
def list_applications(request: HttpRequest, filters: Query[ApplicationFilters]) -> dict[str, Any]:
    key = need(request, Scope.READ)
    now = clock.now()
    rows = _applications(key)
    if filters.job_id is not None:
        rows = rows.filter(job_id=filters.job_id)
    if filters.stage_id is not None:
        rows = rows.filter(stage_id=filters.stage_id)
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    if filters.overdue is not None:
        overdue = Q(status=ApplicationStatus.ACTIVE, respond_by__lt=now)
        rows = rows.filter(overdue) if filters.overdue else rows.exclude(overdue)
    if filters.updated_since is not None:
        since = filters.updated_since
        rows = rows.filter(
            Q(created_at__gte=since)
            | Q(stage_entered_at__gte=since)
            | Q(decided_at__gte=since)
            | Q(last_contacted_at__gte=since)
        )
    found, next_cursor = _page(rows, cursor=filters.cursor, limit=filters.limit)
    return {"items": [_application_out(a, now) for a in found], "next_cursor": next_cursor}


@applications.post(
    "",
    response={201: ApplicationOut, 200: ApplicationOut},
    summary="Apply: the candidate is acknowledged with a dated promise",
    description="Applying again with the same email to the same job returns the first "
    "application (200) and sends nothing new.",
)
def create_application(request: HttpRequest, payload: ApplicationIn) -> Status[Any]:
    key = need(request, Scope.WRITE)
    job = _job(key, payload.job_id)
    already = Application.objects.filter(
        org_id=key.org_id, job=job, candidate__email__iexact=payload.email.strip()
    ).exists()
    application = hiring.apply(
        job=job,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        language=payload.language,
        time_zone=payload.time_zone,
        actor=acting_member(key),
        source="api",
    )
    # The application as apply returned it: its candidate and stage are loaded.
    return Status(200 if already else 201, _application_out(application, clock.now()))


@applications.get("/{application_id}", response=ApplicationOut, summary="Get an application")
def get_application(request: HttpRequest, application_id: ApplicationId) -> dict[str, Any]:
    key = need(request, Scope.READ)
    return _application_out(_application(key, application_id), clock.now())


def _after(key: ApiKey, application_id: int) -> dict[str, Any]:
    return _application_out(_application(key, application_id), clock.now())


@applications.post("/{application_id}/move", response=ApplicationOut, summary="Move to a stage")
def move(request: HttpRequest, application_id: ApplicationId, payload: MoveIn) -> dict[str, Any]:
    key = need(request, Scope.WRITE)
    application = _application(key, application_id)
    stage: Stage | None = _one(Stage.objects.filter(org_id=key.org_id, pk=payload.stage_id))
    if stage is None:
        raise HiringError({"stage_id": ["No such stage in this job's pipeline."]})
    hiring.move_to_stage(application=application, stage=stage, actor=acting_member(key))
    return _after(key, application_id)


@applications.post(
    "/{application_id}/decline",
    response=ApplicationOut,
    summary="Decline, now or held for a cancellable delay",
)
def decline(
    request: HttpRequest, application_id: ApplicationId, payload: DeclineIn
) -> dict[str, Any]:
    key = need(request, Scope.WRITE)
    engine.schedule_decline(
        application=_application(key, application_id),
        reason=payload.reason,
        actor=acting_member(key),
        delay_business_days=payload.delay_business_days,
        subject=payload.subject,
        body=payload.body,
    )
    return _after(key, application_id)


@applications.post(
    "/{application_id}/decline/cancel",
    response=ApplicationOut,
    summary="Cancel a held decline before it is sent",
)
def cancel_decline(request: HttpRequest, application_id: ApplicationId) -> dict[str, Any]:
    key = need(request, Scope.WRITE)
    engine.cancel_decline(application=_application(key, application_id), actor=acting_member(key))
    return _after(key, application_id)


@applications.post("/{application_id}/hire", response=ApplicationOut, summary="Hire")
def hire(request: HttpRequest, application_id: ApplicationId) -> dict[str, Any]:
    key = need(request, Scope.WRITE)
    hiring.hire(application=_application(key, application_id), actor=acting_member(key))
    return _after(key, application_id)


@applications.post(
    "/{application_id}/withdraw",
    response=ApplicationOut,
    summary="Withdraw on the candidate's behalf",
)
def withdraw(request: HttpRequest, application_id: ApplicationId) -> dict[str, Any]:
    key = need(request, Scope.WRITE)
    hiring.withdraw(application=_application(key, application_id), actor=acting_member(key))
    return _after(key, application_id)


@applications.post(
    "/{application_id}/extend",
    response=ApplicationOut,
    summary="Need more time: move the promise and tell the candidate honestly",
)
def extend(
    request: HttpRequest, application_id: ApplicationId, payload: ExtendIn
) -> dict[str, Any]:
    key = need(request, Scope.WRITE)
    engine.extend_promise(
        application=_application(key, application_id),
        business_days=payload.business_days,
        actor=acting_member(key),
        note=payload.note,
    )
    return _after(key, application_id)


@applications.post(
    "/{application_id}/notes", response={201: NoteOut}, summary="Add a note for the team"
)
def add_note(request: HttpRequest, application_id: ApplicationId, payload: NoteIn) -> Status[Any]:
    key = need(request, Scope.WRITE)
    event = hiring.add_note(
        application=_application(key, application_id),
        text=payload.text,
        actor=acting_member(key),
    )
    return Status(201, {"id": event.pk, "text": event.data["text"], "created_at": event.created_at})


@applications.get(
    "/{application_id}/messages",
    response=list[MessageOut],
    summary="What the candidate was sent, with delivery status (links redacted)",
)
def application_messages(
    request: HttpRequest, application_id: ApplicationId
) -> list[dict[str, Any]]:
    key = need(request, Scope.READ)
    application = _application(key, application_id)
    rows = list(
        Message.objects.filter(org_id=key.org_id, application_id=application.pk).order_by("id")
    )
    deliveries: dict[int, list[DeliveryEvent]] = {}
    for event in DeliveryEvent.objects.filter(message_id__in=[m.pk for m in rows]):
        deliveries.setdefault(event.message_id, []).append(event)
    return [
        {
            "id": m.pk,
            "kind": m.kind,
            "subject": redacted(m.subject),
            "body_text": redacted(m.body_text),
            "status": m.status,
            "attempts": m.attempts,
            "last_error": m.last_error,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
            "deliveries": [
                {
                    "kind": d.kind,
                    "smtp_code": d.smtp_code,
                    "detail": d.detail,
                    "created_at": d.created_at,
                }
                for d in deliveries.get(m.pk, [])
            ],
        }
        for m in rows
    ]


def _interviews_out(application: Application, rows: list[Interview]) -> list[dict[str, Any]]:
    due = (
        AnswerDuty.objects.filter(org_id=application.org_id, application_id=application.pk)
        .values_list("due_at", flat=True)
        .first()
    )
    return [
        {
            "id": i.pk,
            "starts_at": _utc(i.starts_at),
            "kind": i.kind,
            "interviewers": i.interviewers,
            "counts": i.counts,
            "source": i.source,
            "external_ref": i.external_id,
            "cancelled_at": _utc(i.cancelled_at),
            "created_at": _utc(i.created_at),
            "legal_deadline": _utc(due),
        }
        for i in rows
    ]


@applications.post(
    "/{application_id}/interviews",
    response={200: InterviewOut, 201: InterviewOut},
    summary="Log an interview (it restarts the legal deadline to answer the applicant)",
)
def log_interview(
    request: HttpRequest, application_id: ApplicationId, payload: InterviewIn
) -> Status[Any]:
    key = need(request, Scope.WRITE)
    application = _application(key, application_id)
    member = acting_member(key)
    interview, created = compliance.log_interview(
        application=application,
        starts_at=payload.starts_at,
        kind=payload.kind,
        interviewers=payload.interviewers,
        counts=payload.counts,
        source="api",
        external_id=payload.external_ref,
        recorded_by=f"{member.display_name} (API key hb_{key.prefix})",
        actor=member,
    )
    return Status(201 if created else 200, _interviews_out(application, [interview])[0])


@applications.get(
    "/{application_id}/interviews",
    response=list[InterviewOut],
    summary="The application's interviews, with its legal deadline",
)
def list_interviews(request: HttpRequest, application_id: ApplicationId) -> list[dict[str, Any]]:
    key = need(request, Scope.READ)
    application = _application(key, application_id)
    rows = list(Interview.objects.filter(org_id=key.org_id, application=application))
    return _interviews_out(application, rows)


# --- metrics ------------------------------------------------------------------------------

metrics = Router(tags=["metrics"])


@metrics.get(
    "",
    response=MetricsOut,
    summary="Hear-back metrics (the dashboard's numbers), for the org or one job",
)
def get_metrics(
    request: HttpRequest, job_id: Annotated[int | None, Query(None, ge=1, le=MAX_ID)] = None
) -> dict[str, Any]:
    key = need(request, Scope.READ)
    if job_id is not None:
        _job(key, job_id)
    found = hear_back_metrics(org=key.org, now=clock.now(), job_id=job_id)
    silence = found.longest_silence
    return {
        "applications": found.applications,
        "active": found.active,
        "finished": found.finished,
        "heard_back": found.heard_back,
        "hear_back_rate": found.hear_back_rate,
        "promises_due": found.promises_due,
        "promises_met": found.promises_met,
        "promises_met_rate": found.promises_met_rate,
        "median_first_response_hours": found.median_first_response_hours,
        "p95_first_response_hours": found.p95_first_response_hours,
        "median_decision_hours": found.median_decision_hours,
        "p95_decision_hours": found.p95_decision_hours,
        "longest_silence_hours": silence.total_seconds() / 3600 if silence else None,
        "overdue_now": found.overdue_now,
    }


api.add_router("/jobs", jobs)
api.add_router("/applications", applications)
api.add_router("/metrics", metrics)
