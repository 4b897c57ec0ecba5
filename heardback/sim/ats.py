"""A pretend Greenhouse for the simulator: the season's events enter through the bridge.

With `heardback simulate --via greenhouse`, applications, stage changes, rejections, hires
and job closings are posted as signed Greenhouse web hooks to the org's connection endpoint
(in-process, through Django's request handling), and the scheduler's bridge step turns them
into the contract — exactly as a real ATS would drive Heardback.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from datetime import datetime
from typing import Any

from django.test import Client

from heardback.bridges.models import AtsLink, Connection
from heardback.bridges.services import create_connection
from heardback.hiring.models import CoarseStage, Job, Member

SECRET = "simulated-greenhouse-secret"  # noqa: S105 — a pretend ATS in a scratch database
# An ATS stage name for each stage a candidate sees (mapped back by the bridge's keywords).
STAGE_NAMES = {
    CoarseStage.RECEIVED: "Application Review",
    CoarseStage.IN_REVIEW: "Recruiter Screen",
    CoarseStage.INTERVIEW: "Onsite Interview",
    CoarseStage.OFFER: "Offer",
}
NEXT = {
    CoarseStage.RECEIVED: CoarseStage.IN_REVIEW,
    CoarseStage.IN_REVIEW: CoarseStage.INTERVIEW,
    CoarseStage.INTERVIEW: CoarseStage.OFFER,
}


class PretendGreenhouse:
    def __init__(self, *, admin: Member, jobs: list[Job]) -> None:
        self.connection: Connection
        self.connection, _secret = create_connection(
            actor=admin, provider="greenhouse", name="Simulated Greenhouse", webhook_secret=SECRET
        )
        self.client = Client()
        self.url = f"/hooks/greenhouse/{self.connection.pk}/"
        self.ids = itertools.count(1)
        self.jobs = {job.pk: job for job in jobs}
        # Our pretend ATS's own state: application id → (job, email, name, coarse stage).
        self.applications: dict[str, dict[str, Any]] = {}
        for job in jobs:  # the jobs already exist on both sides
            AtsLink.objects.create(
                connection=self.connection, kind=AtsLink.Kind.JOB, external_id=f"J{job.pk}",
                local_id=job.pk,
            )  # fmt: skip

    def _post(self, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        digest = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        response = self.client.post(
            self.url,
            raw,
            content_type="application/json",
            headers={"Signature": f"sha256 {digest}", "Greenhouse-Event-ID": str(next(self.ids))},
        )
        if response.status_code not in (200, 202):
            raise RuntimeError(f"the bridge refused a simulated event: {response.status_code}")

    def _application_event(self, action: str, ats_id: str, now: datetime, **state: Any) -> None:
        known = self.applications[ats_id]
        known.update(state)
        job: Job = known["job"]
        application = {
            "id": ats_id,
            "status": known.get("status", "active"),
            "last_activity_at": now.isoformat(),
            "current_stage": {"name": STAGE_NAMES[known["stage"]]},
            "candidate": {
                "first_name": known["name"],
                "last_name": "",
                "email_addresses": [{"value": known["email"]}],
            },
            "jobs": [{"id": f"J{job.pk}", "name": job.title, "status": "open"}],
        }
        if known.get("reason"):
            application["rejection_reason"] = {"name": known["reason"]}
        self._post({"action": action, "payload": {"application": application}})

    def apply(self, *, job: Job, name: str, email: str, now: datetime) -> str:
        ats_id = f"A{next(self.ids)}"
        self.applications[ats_id] = {
            "job": job, "email": email, "name": name, "stage": CoarseStage.RECEIVED,
        }  # fmt: skip
        self._application_event("new_candidate_application", ats_id, now)
        return ats_id

    def ats_id_of(self, application_id: int) -> str | None:
        link = AtsLink.objects.filter(
            connection=self.connection, kind=AtsLink.Kind.APPLICATION, local_id=application_id
        ).first()
        return link.external_id if link else None

    def advance(self, ats_id: str, now: datetime) -> None:
        stage = NEXT.get(self.applications[ats_id]["stage"])
        if stage is not None:
            self._application_event("candidate_stage_change", ats_id, now, stage=stage)

    def reject(self, ats_id: str, now: datetime, reason: str) -> None:
        self._application_event("reject_candidate", ats_id, now, status="rejected", reason=reason)

    def hire(self, ats_id: str, now: datetime) -> None:
        self._application_event("hire_candidate", ats_id, now, status="hired")

    def close_job(self, job: Job, now: datetime) -> None:
        self._post(
            {
                "action": "job_updated",
                "payload": {
                    "job": {
                        "id": f"J{job.pk}",
                        "name": job.title,
                        "status": "closed",
                        "updated_at": now.isoformat(),
                    }
                },
            }
        )
