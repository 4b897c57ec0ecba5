"""Reading the candidate's data (their export) and the org's erasure requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from heardback import clock
from heardback.hiring.models import Application, CoarseStage, Event, EventKind, Org
from heardback.messaging.models import Message
from heardback.portal.models import Attachment, SurveyResponse
from heardback.privacy.models import ErasureRequest, ErasureStatus, LegalHold

FORMAT = "heardback.candidate-data/1"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def attachments_of_candidate(application: Application) -> QuerySet[Attachment]:
    """Every CV the candidate sent this org (on any of their applications)."""
    return Attachment.objects.filter(
        org_id=application.org_id, application__candidate_id=application.candidate_id
    ).order_by("created_at", "pk")


def export(*, application: Application, token: str) -> dict[str, Any]:
    """Everything the org holds about the candidate behind `application`, as plain data.

    Covers all of the candidate's applications to this org (one person, one answer).
    Recruiters' internal notes are included: they are data about the candidate too.
    """
    candidate = application.candidate
    applications = (
        Application.objects.filter(org_id=application.org_id, candidate_id=candidate.pk)
        .select_related("job", "stage")
        .order_by("created_at", "pk")
    )
    out_apps = []
    for each in applications:
        events = Event.objects.filter(org_id=each.org_id, application=each).order_by(
            "created_at", "pk"
        )
        messages = Message.objects.filter(org_id=each.org_id, application_id=each.pk).order_by(
            "created_at", "pk"
        )
        survey = SurveyResponse.objects.filter(
            org_id=each.org_id, invitation__application=each
        ).first()
        out_apps.append(
            {
                "id": each.pk,
                "job": each.job.title,
                "status": each.status,
                "stage": CoarseStage(each.stage.coarse_stage).value if each.is_active else "closed",
                "applied_at": _iso(each.created_at),
                "respond_by": _iso(each.respond_by),
                "decided_at": _iso(each.decided_at),
                "decline_reason": each.decline_reason,
                "events": [
                    {
                        "kind": e.kind,
                        "label": EventKind(e.kind).label if e.kind in EventKind.values else e.kind,
                        "at": _iso(e.created_at),
                        "data": e.data,
                    }
                    for e in events
                ],
                "messages": [
                    {
                        "to": m.to_email,
                        "subject": m.subject,
                        "body": m.body_text,
                        "kind": m.kind,
                        "status": m.status,
                        "created_at": _iso(m.created_at),
                        "sent_at": _iso(m.sent_at),
                    }
                    for m in messages
                ],
                "survey_answer": None
                if survey is None
                else {
                    "kept_promises": survey.kept_promises,
                    "clarity": survey.clarity,
                    "treated_with_respect": survey.treated_with_respect,
                    "recommend": survey.nps,
                    "comment": survey.comment,
                    "at": _iso(survey.created_at),
                },
            }
        )
    return {
        "format": FORMAT,
        "exported_at": _iso(clock.now()),
        "employer": application.org.name,
        "candidate": {
            "name": candidate.name,
            "email": candidate.email,
            "phone": candidate.phone,
            "language": candidate.language,
            "time_zone": candidate.time_zone,
            "progress_updates_opt_out": candidate.progress_updates_opt_out,
            "first_seen_at": _iso(candidate.created_at),
        },
        "applications": out_apps,
        "files": [
            {
                "name": a.original_name,
                "kind": a.kind,
                "size": a.size,
                "sha256": a.sha256,
                "uploaded_at": _iso(a.created_at),
                "download": f"/s/{token}/my-data/files/{a.pk}/",
            }
            for a in attachments_of_candidate(application)
        ],
        "erasure_requests": [
            {
                "received_at": _iso(r.received_at),
                "answer_by": _iso(r.answer_by),
                "status": r.status,
                "answered_at": _iso(r.answered_at),
                "answer": r.answer_note,
            }
            for r in ErasureRequest.objects.filter(
                org_id=application.org_id, candidate_id=candidate.pk
            ).order_by("received_at")
        ],
    }


@dataclass(frozen=True)
class RequestRow:
    request: ErasureRequest
    hold: LegalHold | None
    days_left: int
    active_applications: int


def requests_for(*, org: Org, now: datetime) -> list[RequestRow]:
    """The org's erasure requests: open ones first, by deadline, then the answered ones."""
    rows = []
    requests = (
        ErasureRequest.objects.filter(org_id=org.pk)
        .select_related("candidate", "application__job")
        .order_by("-status", "answer_by")  # "open" sorts after "erased"/"refused": reversed
    )
    holds = {
        h.candidate_id: h
        for h in LegalHold.objects.filter(org_id=org.pk, released_at__isnull=True).order_by(
            "-placed_at"
        )
    }
    for request in requests:
        rows.append(
            RequestRow(
                request=request,
                hold=holds.get(request.candidate_id),
                days_left=(request.answer_by - now).days,
                active_applications=request.candidate.applications.filter(status="active").count(),
            )
        )
    rows.sort(key=lambda r: (r.request.status != ErasureStatus.OPEN, r.request.answer_by))
    return rows


def holds_for(*, org: Org) -> QuerySet[LegalHold]:
    return (
        LegalHold.objects.filter(org_id=org.pk, released_at__isnull=True)
        .select_related("candidate")
        .order_by("placed_at")
    )
