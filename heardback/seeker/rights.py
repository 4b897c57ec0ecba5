"""Knowing their rights: where the law gives interviewed candidates a date to hear back.

Ontario's Employment Standards Act, as amended by the Working for Workers Four Act, 2024
(with O. Reg. 476/24), requires employers with 25 or more employees to tell a candidate they
interviewed for a publicly advertised job whether they were hired, within 45 days of the
last interview, for postings from 1 January 2026.

The companion shows that date on the application and, once it has passed with no news,
offers a follow-up that mentions it, politely and as a fact, within the usual cap of two
follow-ups. It never threatens, and it never tells the employer anything for the seeker.

`duty_for(region)` is the one place that knows the rules: it reads the employer side's
jurisdiction profiles (`heardback.compliance.profiles`), so a seeker is shown the very
numbers an employer's compliance page keeps. `PLACES` only says which jurisdiction a region
code is and how a follow-up names its law.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from heardback.compliance.profiles import JURISDICTIONS, PROFILES

from .models import OPEN_STATUSES, Interview, JobApplication


@dataclass(frozen=True)
class Duty:
    region: str  # ISO 3166-2
    place: str
    days: int  # calendar days after the last interview
    effective: date  # for postings from this day
    min_employees: int
    law: str  # the short name, as a follow-up may cite it
    source: str  # where the rule is written, for the seeker who wants to check


@dataclass(frozen=True)
class Place:
    jurisdiction: str  # a key of compliance.profiles.JURISDICTIONS
    name: str
    law: str


PLACES: dict[str, Place] = {
    "CA-ON": Place(
        jurisdiction="ontario", name="Ontario", law="Ontario's Employment Standards Act"
    ),
}


def duty_for(region: str) -> Duty | None:
    """The duty to answer where the job is, if there is one: the jurisdiction's newest
    profile (the application's date is checked against its effective date by the caller)."""
    place = PLACES.get(region.strip().upper()) if region else None
    if place is None:
        return None
    keys = JURISDICTIONS.get(place.jurisdiction, ())
    if not keys:
        return None
    profile = PROFILES[keys[-1]]
    return Duty(
        region=region.strip().upper(),
        place=place.name,
        days=profile.answer_days_after_last_interview,
        effective=profile.effective_from,
        min_employees=profile.min_employees,
        law=place.law,
        source="; ".join(f"{source.title} ({source.url})" for source in profile.sources),
    )


@dataclass(frozen=True)
class LegalAnswer:
    duty: Duty
    last_interview: date
    due_on: date
    passed: bool  # the date has passed with no news since the last interview


def answer_due(
    *, application: JobApplication, interviews: Sequence[Interview], today: date
) -> LegalAnswer | None:
    """The date by which the employer must answer, for an open application whose job is in a
    place with a duty to answer and that reached an interview; None otherwise. The posting's
    date isn't known here, so the application's date stands in for it (a posting can't be
    younger than the application)."""
    duty = duty_for(application.region)
    if duty is None or application.status not in OPEN_STATUSES:
        return None
    held = [i.held_on for i in interviews if i.held_on <= today]
    if not held or application.applied_on < duty.effective:
        return None
    last = max(held)
    due_on = last + timedelta(days=duty.days)
    return LegalAnswer(
        duty=duty,
        last_interview=last,
        due_on=due_on,
        passed=today > due_on and application.last_news_on <= last,
    )


def follow_up_sentence(answer: LegalAnswer) -> str:
    """One factual, polite sentence for a follow-up once the date has passed."""
    return (
        f"I understand that under {answer.duty.law}, employers let interviewed candidates "
        f"know whether a decision has been made within {answer.duty.days} days of the last "
        f"interview; for me that date was {answer.due_on.day} {answer.due_on:%B %Y}. I'd be "
        "grateful for an update either way."
    )
