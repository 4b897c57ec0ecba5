"""Deliveries as each ATS sends them, written from its documented payloads (the field lists
and examples in the vendors' webhook references; docs/integrations.md names them), with
the fields Heardback does not read left in, so the readers are tested against the real
shape and not a trimmed one.

Every builder takes the same story: an application's id, its state ("active", "rejected",
"hired"), the ATS's stage name, the ATS's time in minutes after `T0`, and the candidate.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

# The ATS's clock starts before Heardback's frozen Monday morning (10:00 UTC).
T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(minutes: int) -> str:
    return at(minutes).strftime("%Y-%m-%dT%H:%M:%SZ")


def hexdigest(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Story:
    """One application's state at one moment of the ATS's clock."""

    app_id: int
    state: str = "active"  # active | rejected | hired
    stage: str = "Application Review"
    minute: int = 0
    email: str = ""
    first_name: str = "Grace"
    last_name: str = "Hopper"
    reason: str = ""
    job_id: int = 4242
    job_title: str = "Compiler Engineer"
    action: str = ""  # the provider's own event name, when it matters

    @property
    def address(self) -> str:
        return self.email or f"candidate{self.app_id}@example.net"


class Provider(Protocol):
    name: str
    has_job_events: bool

    def application(self, story: Story) -> dict[str, Any]: ...

    def job_closed(self, job_id: int, minute: int, title: str = "") -> dict[str, Any]: ...

    def headers(self, body: bytes, secret: str) -> dict[str, str]: ...

    def delivery_id(self) -> dict[str, str]: ...


# --- Greenhouse: developers.greenhouse.io/webhooks.html ------------------------------------


class Greenhouse:
    name = "greenhouse"
    has_job_events = True
    ACTIONS = {
        "active": "candidate_stage_change",
        "rejected": "reject_candidate",
        "hired": "hire_candidate",
    }

    def _candidate(self, story: Story) -> dict[str, Any]:
        return {
            "id": 900_000 + story.app_id,
            "first_name": story.first_name,
            "last_name": story.last_name,
            "title": None,
            "company": None,
            "created_at": iso(0),
            "external_id": None,
            "photo_url": None,
            "url": f"https://app.greenhouse.io/people/{900_000 + story.app_id}",
            "is_private": False,
            "can_email": True,
            "phone_numbers": [{"value": "330-281-8004", "type": "home"}],
            "email_addresses": [{"value": story.address, "type": "personal"}],
            "addresses": [],
            "website_addresses": [],
            "social_media_addresses": [],
            "educations": [],
            "employments": [],
            "recruiter": None,
            "coordinator": None,
            "attachments": [],
            "tags": [],
            "custom_fields": {},
        }

    def _job(self, story: Story) -> dict[str, Any]:
        return {
            "id": story.job_id,
            "name": story.job_title,
            "requisition_id": None,
            "notes": None,
            "confidential": False,
            "job_post_id": 553282,
            "status": "open",
            "created_at": iso(-600),
            "opened_at": iso(-600),
            "closed_at": None,
            "departments": [],
            "offices": [],
            "custom_fields": {},
        }

    def application(self, story: Story) -> dict[str, Any]:
        action = story.action or self.ACTIONS[story.state]
        if story.state == "hired":
            # The documented hire payload: no status, stage nor activity time; an offer.
            return {
                "action": action,
                "payload": {
                    "application": {
                        "id": story.app_id,
                        "opening": {"opening_id": "1234-56", "custom_fields": []},
                        "credited_to": None,
                        "source": {"id": 25, "public_name": "Monster"},
                        "url": f"https://app.greenhouse.io/people/1?application_id={story.app_id}",
                        "candidate": self._candidate(story),
                        "jobs": [{k: v for k, v in self._job(story).items() if k != "status"}],
                        "custom_fields": {},
                        "offer": {
                            "id": 506409,
                            "version": 2,
                            "created_at": iso(story.minute - 30),
                            "sent_at": at(story.minute).date().isoformat(),
                            "resolved_at": iso(story.minute),
                            "starts_at": "2027-01-04",
                            "custom_fields": {},
                        },
                    }
                },
            }
        rejected = story.state == "rejected"
        return {
            "action": action,
            "payload": {
                "application": {
                    "id": story.app_id,
                    "rejected_at": iso(story.minute) if rejected else None,
                    "prospect": False,
                    "status": story.state,
                    "applied_at": iso(0),
                    "last_activity_at": iso(story.minute),
                    "url": f"https://app.greenhouse.io/people/1?application_id={story.app_id}",
                    "source": {"id": 27, "public_name": "LinkedIn"},
                    "credited_to": None,
                    "rejection_reason": (
                        {
                            "id": 14,
                            "name": story.reason or "Too Junior",
                            "type": {"id": 3, "name": "Wrong skill set"},
                        }
                        if rejected
                        else None
                    ),
                    "rejection_details": None,
                    "current_stage": {"id": 71416, "name": story.stage, "interviews": []},
                    "custom_fields": {},
                    "candidate": self._candidate(story),
                    "jobs": [self._job(story)],
                }
            },
        }

    def job_closed(self, job_id: int, minute: int, title: str = "") -> dict[str, Any]:
        return {
            "action": "job_updated",
            "payload": {
                "job": {
                    "id": job_id,
                    "name": title or "Compiler Engineer",
                    "requisition_id": None,
                    "notes": "<p>Looking for the best!</p>",
                    "confidential": False,
                    "job_post_id": 88010,
                    "status": "closed",
                    "created_at": iso(-600),
                    "opened_at": iso(-600),
                    "closed_at": iso(minute),
                    "departments": [],
                    "offices": [],
                    "hiring_team": {
                        "hiring_managers": [],
                        "sourcers": [],
                        "recruiters": [],
                        "coordinators": [],
                    },
                    "openings": [],
                    "custom_fields": {},
                }
            },
        }

    def headers(self, body: bytes, secret: str) -> dict[str, str]:
        return {"Signature": f"sha256 {hexdigest(secret, body)}"}

    def delivery_id(self) -> dict[str, str]:
        return {"Greenhouse-Event-ID": str(uuid.uuid4())}


# --- Ashby: developers.ashbyhq.com (webhooks, Common Payload Data) --------------------------


class Ashby:
    name = "ashby"
    has_job_events = True
    ACTIONS = {
        "active": "candidateStageChange",
        "rejected": "applicationUpdate",
        "hired": "candidateHire",
    }
    STATUS = {"active": "Active", "rejected": "Archived", "hired": "Hired"}

    def application(self, story: Story) -> dict[str, Any]:
        rejected = story.state == "rejected"
        return {
            "webhookActionId": str(uuid.uuid4()),
            "action": story.action or self.ACTIONS[story.state],
            "data": {
                "application": {
                    "id": f"app-{story.app_id}",
                    "createdAt": iso(0),
                    "updatedAt": iso(story.minute),
                    "status": self.STATUS[story.state],
                    "customFields": [],
                    "candidate": {
                        "id": f"cand-{story.app_id}",
                        "name": f"{story.first_name} {story.last_name}",
                        "primaryEmailAddress": {
                            "value": story.address,
                            "type": "Personal",
                            "isPrimary": True,
                        },
                        "primaryPhoneNumber": None,
                    },
                    "currentInterviewStage": {
                        "id": f"stage-{story.stage}",
                        "title": story.stage,
                        "type": "Active",
                        "orderInInterviewPlan": 1,
                        "interviewStageGroupId": "group-1",
                        "interviewPlanId": "plan-1",
                    },
                    "source": {"id": "src-1", "title": "Careers page", "isArchived": False},
                    "archiveReason": (
                        {
                            "id": "reason-1",
                            "text": story.reason or "Not enough experience",
                            "reasonType": "RejectedByOrg",
                            "isArchived": False,
                        }
                        if rejected
                        else None
                    ),
                    "archivedAt": iso(story.minute) if rejected else None,
                    "job": {
                        "id": f"job-{story.job_id}",
                        "title": story.job_title,
                        "locationId": "loc-1",
                        "departmentId": "dep-1",
                    },
                    "creditedToUser": None,
                    "hiringTeam": [],
                    "appliedViaJobPostingId": None,
                }
            },
        }

    def job_closed(self, job_id: int, minute: int, title: str = "") -> dict[str, Any]:
        return {
            "webhookActionId": str(uuid.uuid4()),
            "action": "jobUpdate",
            "data": {
                "job": {
                    "id": f"job-{job_id}",
                    "title": title or "Compiler Engineer",
                    "confidential": False,
                    "status": "Closed",
                    "employmentType": "FullTime",
                    "locationId": "loc-1",
                    "departmentId": "dep-1",
                    "defaultInterviewPlanId": "plan-1",
                    "interviewPlanIds": ["plan-1"],
                    "customFields": [],
                    "jobPostingIds": [],
                    "customRequisitionId": None,
                    "hiringTeam": [],
                    "updatedAt": iso(minute),
                }
            },
        }

    def headers(self, body: bytes, secret: str) -> dict[str, str]:
        return {"Ashby-Signature": f"sha256={hexdigest(secret, body)}"}

    def delivery_id(self) -> dict[str, str]:
        return {}  # Ashby's id is in the body (webhookActionId)


# --- Workable: workable.readme.io/reference/webhooks (a Candidate object) -------------------


class Workable:
    name = "workable"
    has_job_events = False  # candidate_created and candidate_moved only

    def application(self, story: Story) -> dict[str, Any]:
        return {
            "id": f"w{story.app_id}",
            "name": f"{story.first_name} {story.last_name}",
            "firstname": story.first_name,
            "lastname": story.last_name,
            "headline": "Compiler person",
            "account": {"subdomain": "initech", "name": "Initech"},
            "job": {"shortcode": f"J{story.job_id}", "title": story.job_title},
            "stage": "Hired" if story.state == "hired" else story.stage,
            "disqualified": story.state == "rejected",
            "disqualification_reason": (story.reason or "Experience")
            if story.state == "rejected"
            else None,
            "hired_at": iso(story.minute) if story.state == "hired" else None,
            "sourced": False,
            "profile_url": f"https://initech.workable.com/backend/candidates/w{story.app_id}",
            "address": "Berlin",
            "phone": "+49 30 1234567",
            "email": story.address,
            "domain": "linkedin.com",
            "created_at": iso(0),
            "updated_at": iso(story.minute),
        }

    def job_closed(self, job_id: int, minute: int, title: str = "") -> dict[str, Any]:
        raise NotImplementedError("Workable sends no job events")

    def headers(self, body: bytes, secret: str) -> dict[str, str]:
        return {"X-Workable-Signature": hexdigest(secret, body)}

    def delivery_id(self) -> dict[str, str]:
        return {}


# --- The generic bridge: heardback/bridges/providers/generic.py -----------------------------


class Generic:
    name = "generic"
    has_job_events = True

    def application(self, story: Story) -> dict[str, Any]:
        return {
            "event_id": str(uuid.uuid4()),
            "occurred_at": iso(story.minute),
            "job": {"id": f"J{story.job_id}", "title": story.job_title, "status": "open"},
            "application": {
                "id": f"A{story.app_id}",
                "status": story.state,
                "stage": story.stage,
                "rejection_reason": story.reason,
                "candidate": {
                    "email": story.address,
                    "name": f"{story.first_name} {story.last_name}",
                },
            },
        }

    def job_closed(self, job_id: int, minute: int, title: str = "") -> dict[str, Any]:
        return {
            "event_id": str(uuid.uuid4()),
            "occurred_at": iso(minute),
            "job": {"id": f"J{job_id}", "title": title or "Compiler Engineer", "status": "closed"},
        }

    def headers(self, body: bytes, secret: str) -> dict[str, str]:
        return {"X-Heardback-Signature": f"sha256={hexdigest(secret, body)}"}

    def delivery_id(self) -> dict[str, str]:
        return {"X-Heardback-Event-Id": str(uuid.uuid4())}


# --- Lever: hire.lever.co/developer/documentation (webhooks) --------------------------------


def lever_event(
    *, event: str, opportunity: str, triggered_at: int, secret: str, token: str = ""
) -> dict[str, Any]:
    """A Lever delivery: ids only, signed in the body (HMAC-SHA256 of token + triggeredAt)."""
    token = token or uuid.uuid4().hex
    return {
        "triggeredAt": triggered_at,
        "event": event,
        "signature": hexdigest(secret, f"{token}{triggered_at}".encode()),
        "token": token,
        "data": {
            "opportunityId": opportunity,
            "contactId": f"contact-{opportunity}",
            "fromStageId": "lead-new",
            "toStageId": "applicant-new",
        },
    }


PROVIDERS: dict[str, Provider] = {
    "greenhouse": Greenhouse(),
    "ashby": Ashby(),
    "workable": Workable(),
    "generic": Generic(),
}


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()
