"""Jurisdiction profiles: the law as data.

A profile is everything Heardback needs to know about one jurisdiction's hiring rules from
one date on (the duty to answer interviewed applicants, the posting rules, how long records
are kept), with the sources it was read from. Another jurisdiction, or the same one after an
amendment, is a new entry in `PROFILES` (and its key in `JURISDICTIONS`), never new code.

`profile_for(job)` answers "which rules apply to this job?": the job's jurisdiction if it has
one, else its org's; none below the profile's employee threshold (counted on the day the job
was posted) or for a job posted before the profile took effect.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from heardback.hiring.models import Job


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    cites: str  # e.g. "ESA 2000, s. 8.5 (Part III.1)"


@dataclass(frozen=True)
class PostingRules:
    pay_required: bool
    max_range_width: Decimal | None  # 50000 for Ontario
    range_width_exempt_above: Decimal | None  # no width rule when pay/top of range is above
    ai_statement_required: bool
    vacancy_statement_required: bool
    forbidden_requirements: tuple[str, ...]  # matched case-insensitively


@dataclass(frozen=True)
class Profile:
    key: str  # "ontario-esa-2026"
    name: str  # "Ontario ESA (2026)"
    effective_from: date
    sources: tuple[Source, ...]
    min_employees: int
    answer_days_after_last_interview: int
    # Counsel's reading: an honest "no decision has been made yet" within the days satisfies
    # the duty to say *whether* a decision has been made. An org can turn it off.
    notice_counts_as_answer: bool
    record_retention_days: int
    posting: PostingRules


ESA = "https://www.ontario.ca/laws/statute/00e41"
O_REG_476_24 = "https://www.ontario.ca/laws/regulation/240476"
# The 45 days are read from law firms' summaries of the regulation (docs/compliance.md says
# exactly what could and could not be checked against the regulation's own text).
BENNETT_JONES = (
    "https://bennettjones.com/Blogs-Section/New-Regulations-Regarding-the-Hiring-Process-"
    "Key-Dates-and-Information-for-Ontario-Employers"
)

ONTARIO_ESA_2026 = Profile(
    key="ontario-esa-2026",
    name="Ontario ESA (2026)",
    effective_from=date(2026, 1, 1),
    sources=(
        Source(
            title="Employment Standards Act, 2000, S.O. 2000, c. 41, Part III.1 (Job Postings)",
            url=ESA,
            cites="ESA 2000, Part III.1 (in force 1 January 2026)",
        ),
        Source(
            title="O. Reg. 476/24: Rules and Exemptions re Job Postings",
            url=O_REG_476_24,
            cites="O. Reg. 476/24, s. 1 (fewer than 25 employees on the day of posting), "
            "s. 2 (definitions, read with s. 8.1 of the Act)",
        ),
        Source(
            title="Bennett Jones: New Regulations Regarding the Hiring Process (December 2024)",
            url=BENNETT_JONES,
            cites="45 days after the interview, or the last one if there are several",
        ),
    ),
    min_employees=25,
    answer_days_after_last_interview=45,
    notice_counts_as_answer=True,
    # Three years: 1,096 days covers any three years, leap day included (keeping a day
    # longer is harmless; purging a day early is not).
    record_retention_days=1096,
    posting=PostingRules(
        pay_required=True,
        max_range_width=Decimal("50000"),
        range_width_exempt_above=Decimal("200000"),
        ai_statement_required=True,
        vacancy_statement_required=True,
        forbidden_requirements=("canadian experience",),
    ),
)

# Heardback's own standard for employers no law binds who still want to promise an answer
# to everyone they interview: no posting rules, a 30-day answer. It is also the proof that a
# profile is data only: nothing in the code knows about either entry.
VOLUNTARY = Profile(
    key="voluntary",
    name="Voluntary answer duty (30 days)",
    effective_from=date(2000, 1, 1),
    sources=(),
    min_employees=0,
    answer_days_after_last_interview=30,
    notice_counts_as_answer=True,
    record_retention_days=365,
    posting=PostingRules(
        pay_required=False,
        max_range_width=None,
        range_width_exempt_above=None,
        ai_statement_required=False,
        vacancy_statement_required=False,
        forbidden_requirements=(),
    ),
)

PROFILES: dict[str, Profile] = {p.key: p for p in (ONTARIO_ESA_2026, VOLUNTARY)}

# A jurisdiction names the profiles that have applied there, oldest first; the one in force
# on the day a job was posted governs it. "" (no jurisdiction) has none.
JURISDICTIONS: dict[str, tuple[str, ...]] = {
    "ontario": ("ontario-esa-2026",),
    "voluntary": ("voluntary",),
}
JURISDICTION_CHOICES = [
    ("", "None"),
    ("ontario", "Ontario, Canada"),
    ("voluntary", "Voluntary (no law; Heardback's 30-day standard)"),
]


def profile_in_force(jurisdiction: str, on: date) -> Profile | None:
    """The profile of `jurisdiction` in force on `on`, or None."""
    found = None
    for key in JURISDICTIONS.get(jurisdiction, ()):
        profile = PROFILES[key]
        if profile.effective_from <= on:
            found = profile
    return found


def profile_for(job: Job) -> Profile | None:
    """The rules that govern `job`, or None when no profile applies.

    The job's jurisdiction overrides its org's; the employee count is the one recorded when
    the job was posted (the org's current count if none was recorded); the posting date is
    read in the org's time zone. The org's override of `notice_counts_as_answer` is applied
    to the profile returned.
    """
    from heardback.compliance.models import JobCompliance, OrgCompliance

    org_settings = OrgCompliance.objects.filter(org_id=job.org_id).first()
    job_settings = JobCompliance.objects.filter(job_id=job.pk).first() if job.pk else None
    jurisdiction = (job_settings.jurisdiction if job_settings else "") or (
        org_settings.jurisdiction if org_settings else ""
    )
    if not jurisdiction:
        return None
    posted_at: datetime = (job_settings.posted_at if job_settings else None) or job.created_at
    posted_on = posted_at.astimezone(ZoneInfo(job.org.time_zone or "UTC")).date()
    profile = profile_in_force(jurisdiction, posted_on)
    if profile is None:
        return None
    employees = job_settings.employee_count_at_posting if job_settings else None
    if employees is None and org_settings is not None:
        employees = org_settings.employee_count
    # An unknown count is treated as covered: missing a duty is worse than keeping one.
    if employees is not None and employees < profile.min_employees:
        return None
    if org_settings is not None and org_settings.notice_counts_as_answer is not None:
        profile = dataclasses.replace(
            profile, notice_counts_as_answer=org_settings.notice_counts_as_answer
        )
    return profile
