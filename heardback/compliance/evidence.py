"""Evidence for an inspector: for each interviewed applicant, what they were told, when,
through which channel, the exact text, and what the mail server said on taking it.

One row per message to the candidate from their first counting interview on (and one row
with no message for an applicant nobody has written to since). The stored text keeps a
placeholder where the private status link went: the export shows it as "[private link]",
so an export never carries a live token.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from heardback.compliance.models import AnswerDuty, Interview
from heardback.messaging.links import redacted
from heardback.messaging.models import DeliveryEvent, Message

COLUMNS = (
    "job",
    "application_id",
    "candidate",
    "email",
    "interviews",
    "last_interview_at",
    "legal_deadline",
    "duty",
    "answered_at",
    "decided_at",
    "message_id",
    "message_kind",
    "queued_at",
    "sent_at",
    "channel",
    "to",
    "subject",
    "text",
    "delivery_status",
    "delivery_evidence",
)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def duty_state(duty: AnswerDuty, now: datetime) -> str:
    if duty.answered_at is not None:
        return "late" if duty.answered_late else "met"
    return "overdue" if duty.due_at < now else "open"


@dataclass
class Told:
    message: Message
    deliveries: list[DeliveryEvent] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return redacted(self.message.subject)

    @property
    def text(self) -> str:
        return redacted(self.message.body_text)

    @property
    def evidence(self) -> str:
        return " | ".join(
            f"{d.created_at.isoformat()} {d.kind} {d.smtp_code or ''} {d.detail}".replace("  ", " ")
            for d in self.deliveries
        )


@dataclass
class ApplicantEvidence:
    duty: AnswerDuty
    interviews: list[Interview]
    told: list[Told]


def gather(duties: Iterable[AnswerDuty]) -> Iterator[ApplicantEvidence]:
    """Evidence per duty, read in chunks (three queries per 500 applicants)."""
    batch: list[AnswerDuty] = []
    for duty in duties:
        batch.append(duty)
        if len(batch) == 500:
            yield from _gather(batch)
            batch = []
    if batch:
        yield from _gather(batch)


def _gather(duties: list[AnswerDuty]) -> Iterator[ApplicantEvidence]:
    app_ids = [d.application_id for d in duties]
    interviews: dict[int, list[Interview]] = {}
    for interview in Interview.objects.filter(application_id__in=app_ids).order_by(
        "starts_at", "id"
    ):
        interviews.setdefault(interview.application_id, []).append(interview)
    first_counting = {
        app_id: min(
            (i.starts_at for i in rows if i.counts and i.cancelled_at is None), default=None
        )
        for app_id, rows in interviews.items()
    }
    messages: dict[int, list[Told]] = {}
    rows = Message.objects.filter(application_id__in=app_ids).order_by("created_at", "id")
    by_id: dict[int, Told] = {}
    for message in rows:
        start = first_counting.get(message.application_id or 0)
        if start is None or message.created_at < start:
            continue
        told = Told(message)
        by_id[message.pk] = told
        messages.setdefault(message.application_id or 0, []).append(told)
    for event in DeliveryEvent.objects.filter(message_id__in=list(by_id)).order_by(
        "created_at", "id"
    ):
        by_id[event.message_id].deliveries.append(event)
    for duty in duties:
        yield ApplicantEvidence(
            duty=duty,
            interviews=interviews.get(duty.application_id, []),
            told=messages.get(duty.application_id, []),
        )


def csv_rows(evidence: Iterable[ApplicantEvidence], *, now: datetime) -> Iterator[list[str]]:
    yield list(COLUMNS)
    for item in evidence:
        duty = item.duty
        application = duty.application
        interviews = "; ".join(
            f"{i.starts_at.isoformat()} {i.kind}"
            + ("" if i.counts else " (screen, does not count)")
            + (" (cancelled)" if i.cancelled_at else "")
            + (f" with {i.interviewers}" if i.interviewers else "")
            for i in item.interviews
        )
        common = [
            application.job.title,
            str(application.pk),
            application.candidate.name,
            application.candidate.email,
            interviews,
            _iso(duty.last_interview_at),
            _iso(duty.due_at),
            duty_state(duty, now),
            _iso(duty.answered_at),
            _iso(duty.decided_at),
        ]
        if not item.told:
            yield common + [""] * (len(COLUMNS) - len(common))
        for told in item.told:
            message = told.message
            yield [
                *common,
                str(message.pk),
                message.kind,
                _iso(message.created_at),
                _iso(message.sent_at),
                "email",
                message.to_email,
                told.subject,
                told.text,
                message.status,
                told.evidence,
            ]


def to_csv(evidence: Iterable[ApplicantEvidence], *, now: datetime) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv_rows(evidence, now=now):
        writer.writerow([_no_formula(cell) for cell in row])
    return out.getvalue()


def _no_formula(cell: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe (the names and
    texts in it were typed by candidates and recruiters)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
