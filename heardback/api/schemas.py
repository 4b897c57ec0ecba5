"""What the API reads and writes, with an example on every schema."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    JsonValue,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from heardback.hiring.models import CoarseStage, DeclineReason

# Ids are 64-bit, in both databases: anything larger is not an id of ours (and must not reach
# a query, where SQLite would overflow).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

LANGUAGES: list[JsonValue] = [code for code, _name in settings.LANGUAGES]

# Every text we accept can be stored: PostgreSQL refuses NUL characters. (Pydantic itself
# refuses lone surrogates, which JSON's \u escapes can spell but UTF-8 can't.)
NO_NUL = "^[^\\u0000]*$"


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


class _NoNulPattern:
    """Says in the schema what `_storable` checks, so generated clients and fuzzers know."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = NO_NUL
        return schema


Text = Annotated[str, AfterValidator(_storable), _NoNulPattern()]


def _rfc3339(value: Any) -> Any:
    """A date-time is written as one (pydantic would also read 0.5 as a Unix time)."""
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        raise ValueError("Use an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z")
    return value


def _in_utc(value: datetime) -> datetime:
    """In UTC (naive: read as UTC). PostgreSQL takes offsets up to ±15:59 only, and any
    offset is as good as another once converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("This date-time is out of range") from None


_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# When: an ISO 8601 date-time; without an offset it is read as UTC.
DateTimeIn = Annotated[datetime, BeforeValidator(_rfc3339), AfterValidator(_in_utc)]


class BodyIn(Schema):
    """A request body: a JSON object, read by key. (ninja reads the objects it answers with
    by attribute; a body must never be, or the JSON string "x" would offer `str.title` as a
    job's title.)"""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        # ninja's own validator runs first and wraps what it was given.
        given = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(given, dict):
            raise ValueError("Send a JSON object")
        return data


def _example(**values: Any) -> ConfigDict:
    example: dict[str, Any] = dict(values)
    return ConfigDict(json_schema_extra={"examples": [example]})


class MemberRef(Schema):
    id: int
    name: str
    email: str


class JobOut(Schema):
    model_config = _example(
        id=12,
        title="Robot Whisperer",
        slug="robot-whisperer",
        status="open",
        location="Berlin",
        description="",
        owner={"id": 3, "name": "Maya", "email": "maya@northwind.example"},
        created_at="2026-12-01T09:00:00Z",
        closed_at=None,
    )
    id: int
    title: str
    slug: str
    status: str
    location: str
    description: str
    owner: MemberRef
    created_at: datetime
    closed_at: datetime | None


class JobIn(BodyIn):
    model_config = _example(title="Robot Whisperer", location="Berlin", owner_email="")
    title: Text = Field(..., min_length=1, max_length=200)
    location: Text = Field("", max_length=200)
    description: Text = Field("", max_length=20_000)
    owner_email: Text = Field(
        "", max_length=254, description="A member of your org; empty: the key's creator"
    )


class JobPatch(BodyIn):
    model_config = _example(title="Senior Robot Whisperer")
    title: Text | None = Field(None, min_length=1, max_length=200)
    location: Text | None = Field(None, max_length=200)
    description: Text | None = Field(None, max_length=20_000)
    owner_email: Text | None = Field(None, max_length=254)


class CloseIn(BodyIn):
    model_config = _example(outcome="filled")
    outcome: Literal["closed", "filled"] = "closed"


class CloseOutOut(Schema):
    model_config = _example(id=4, outcome="filled", total=312, done=0, finished_at=None)
    id: int
    outcome: str
    total: int
    done: int
    finished_at: datetime | None


class StageOut(Schema):
    model_config = _example(
        id=40, name="Phone screen", position=1, coarse_stage="in_review", promise_business_days=5
    )
    id: int
    name: str
    position: int
    coarse_stage: CoarseStage
    promise_business_days: int


class CandidateOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    language: str
    time_zone: str
    progress_updates_opt_out: bool
    unreachable: bool


class StageRef(Schema):
    id: int
    name: str
    coarse_stage: CoarseStage


class ApplicationOut(Schema):
    model_config = _example(
        id=901,
        job_id=12,
        candidate={
            "id": 77,
            "name": "Ada Lovelace",
            "email": "ada@example.net",
            "phone": "",
            "language": "en",
            "time_zone": "Europe/London",
            "progress_updates_opt_out": False,
            "unreachable": False,
        },
        stage={"id": 40, "name": "Phone screen", "coarse_stage": "in_review"},
        status="active",
        respond_by="2026-12-08T17:00:00Z",
        overdue=False,
        pending_decline_at=None,
        decline_reason="",
        created_at="2026-12-01T09:00:00Z",
        decided_at=None,
        last_contacted_at="2026-12-01T09:00:01Z",
    )
    id: int
    job_id: int
    candidate: CandidateOut
    stage: StageRef
    status: str
    respond_by: datetime | None
    overdue: bool
    pending_decline_at: datetime | None
    decline_reason: str
    created_at: datetime
    decided_at: datetime | None
    last_contacted_at: datetime | None


class ApplicationIn(BodyIn):
    model_config = _example(
        job_id=12, name="Ada Lovelace", email="ada@example.net", language="en", time_zone=""
    )
    job_id: Id
    name: Text = Field(..., max_length=200)
    email: Text = Field(..., max_length=254, json_schema_extra={"format": "email"})
    phone: Text = Field("", max_length=40)
    language: str = Field(
        "en", max_length=8, json_schema_extra={"enum": LANGUAGES}, description="What they read"
    )
    time_zone: Text = Field(
        "", max_length=64, description="An IANA name, e.g. Europe/Berlin; empty: the org's"
    )

    @field_validator("language")
    @classmethod
    def _offered(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError("Choose one of: " + ", ".join(map(str, LANGUAGES)))
        return value


class MoveIn(BodyIn):
    model_config = _example(stage_id=41)
    stage_id: Id


class DeclineIn(BodyIn):
    model_config = _example(reason="other_candidate", delay_business_days=2)
    reason: DeclineReason
    delay_business_days: int | None = Field(None, ge=0, le=5, description="Empty: the org's policy")
    subject: Text = Field("", max_length=300, description="Empty: the org's template")
    body: Text = Field("", max_length=20_000)


class ExtendIn(BodyIn):
    model_config = _example(business_days=3, note="The hiring manager is travelling.")
    business_days: int = Field(..., ge=1, le=20)
    note: Text = Field("", max_length=500)


class NoteIn(BodyIn):
    model_config = _example(text="Strong portfolio; ask about the robotics project.")
    text: Text = Field(..., min_length=1, max_length=10_000)


class NoteOut(Schema):
    id: int
    text: str
    created_at: datetime


class DeliveryOut(Schema):
    kind: str
    smtp_code: int | None
    detail: str
    created_at: datetime


class MessageOut(Schema):
    model_config = _example(
        id=5001,
        kind="acknowledgement",
        subject="We received your application for Robot Whisperer",
        body_text="Hello Ada, … Your status page: https://hb.example/s/[private link]/",
        status="sent",
        attempts=1,
        last_error="",
        created_at="2026-12-01T09:00:01Z",
        sent_at="2026-12-01T09:00:02Z",
        deliveries=[],
    )
    id: int
    kind: str
    subject: str
    body_text: str = Field(description="As sent, with the candidate's private link redacted")
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    deliveries: list[DeliveryOut]


class MetricsOut(Schema):
    model_config = _example(
        applications=310,
        active=120,
        finished=190,
        heard_back=190,
        hear_back_rate=1.0,
        promises_due=400,
        promises_met=396,
        promises_met_rate=0.99,
        median_first_response_hours=20.5,
        p95_first_response_hours=70.0,
        median_decision_hours=160.0,
        p95_decision_hours=400.0,
        longest_silence_hours=96.0,
        overdue_now=2,
    )
    applications: int
    active: int
    finished: int
    heard_back: int
    hear_back_rate: float | None
    promises_due: int
    promises_met: int
    promises_met_rate: float | None
    median_first_response_hours: float | None
    p95_first_response_hours: float | None
    median_decision_hours: float | None
    p95_decision_hours: float | None
    longest_silence_hours: float | None
    overdue_now: int


class Page(Schema):
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page"
    )


INTERVIEW_KINDS = Literal["screen", "phone", "video", "onsite", "panel", "technical", "other"]


class InterviewIn(BodyIn):
    model_config = _example(
        starts_at="2026-12-01T15:00:00-05:00",
        kind="video",
        interviewers="Maya Chen, Omar Haddad",
        counts=True,
        external_ref="",
    )
    starts_at: DateTimeIn = Field(..., description="When it took place (with an offset)")
    kind: INTERVIEW_KINDS
    interviewers: Text = Field("", max_length=500)
    counts: bool = Field(
        True,
        description="false for a preliminary screen that the law does not count as an "
        "interview: it starts no legal deadline",
    )
    external_ref: Text = Field(
        "", max_length=200, description="Your system's id: sending it again logs nothing new"
    )


class InterviewOut(Schema):
    model_config = _example(
        id=77,
        starts_at="2026-12-01T20:00:00Z",
        kind="video",
        interviewers="Maya Chen, Omar Haddad",
        counts=True,
        source="api",
        external_ref="",
        cancelled_at=None,
        created_at="2026-12-01T21:00:00Z",
        legal_deadline="2027-01-16T05:00:00Z",
    )
    id: int
    starts_at: datetime
    kind: str
    interviewers: str
    counts: bool
    source: str
    external_ref: str
    cancelled_at: datetime | None
    created_at: datetime
    legal_deadline: datetime | None = Field(
        description="When the application's interviewed applicant must have been told whether "
        "a decision was made (last counting interview + the jurisdiction's days, end of that "
        "day in the org's time zone); null when no jurisdiction's duty applies"
    )
