"""Saving a posting's terms and publishing versions of it (see models.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from heardback import clock
from heardback.compliance import services as compliance
from heardback.compliance.profiles import profile_for
from heardback.hiring.models import Job, JobStatus, Member
from heardback.messaging.headers import single_line
from heardback.postings import rules
from heardback.postings.models import PayPeriod, PostingTerms, PostingVersion
from heardback.postings.selectors import live_version

# The application form's questions, in English (the portal owns the form and registers
# this at start-up, as it registers the link minter: postings sits below the portal).
QuestionsProvider = Callable[[], list[str]]
_questions: QuestionsProvider = list


def register_questions(provider: QuestionsProvider) -> None:
    global _questions
    _questions = provider


def form_questions() -> list[str]:
    return list(_questions())


def terms_of(job: Job) -> PostingTerms:
    found = PostingTerms.objects.filter(org_id=job.org_id, job=job).first()
    return found or PostingTerms(org_id=job.org_id, job=job, updated_at=clock.now())


def _posting(job: Job, terms: PostingTerms, *, title: str, description: str) -> rules.Posting:
    return rules.Posting(
        title=title,
        description=description,
        location=job.location,
        pay_min=terms.pay_min,
        pay_max=terms.pay_max,
        uses_ai=terms.uses_ai,
        existing_vacancy=terms.existing_vacancy,
        questions=tuple(form_questions()),
    )


def check_job(
    job: Job, *, title: str | None = None, description: str | None = None
) -> dict[str, list[str]]:
    """The publish check for `job` as it is (or with a proposed title and description)."""
    profile = profile_for(job)
    posting = _posting(
        job,
        terms_of(job),
        title=job.title if title is None else title,
        description=job.description if description is None else description,
    )
    return rules.check(profile.posting if profile else None, posting)


def save_terms(
    *,
    job: Job,
    actor: Member,
    pay_min: Decimal | None,
    pay_max: Decimal | None,
    pay_period: str,
    currency: str,
    uses_ai: bool | None,
    ai_details: str,
    existing_vacancy: bool | None,
) -> PostingTerms:
    if actor.org_id != job.org_id:
        raise PermissionDenied("That belongs to another organisation.")
    errors: dict[str, list[str]] = {}
    if pay_period not in PayPeriod.values:
        errors["pay_period"] = ["Choose a year or an hour."]
    currency = currency.strip().upper()
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        errors["currency"] = ["Write the currency as its three-letter code, e.g. CAD."]
    if errors:
        raise ValidationError(errors)
    terms = terms_of(job)
    terms.pay_min, terms.pay_max, terms.pay_period, terms.currency = (
        pay_min,
        pay_max,
        pay_period,
        currency,
    )
    terms.uses_ai, terms.existing_vacancy = uses_ai, existing_vacancy
    terms.ai_details = single_line(ai_details, max_length=500) if uses_ai else ""
    terms.updated_at = clock.now()
    terms.save()
    return terms


def _same(version: PostingVersion, job: Job, terms: PostingTerms, questions: list[str]) -> bool:
    return (
        version.title,
        version.location,
        version.description,
        version.pay_min,
        version.pay_max,
        version.pay_period,
        version.currency,
        version.uses_ai,
        version.ai_details,
        version.existing_vacancy,
        version.form_questions,
    ) == (
        job.title,
        job.location,
        job.description,
        terms.pay_min,
        terms.pay_max,
        terms.pay_period,
        terms.currency,
        terms.uses_ai,
        terms.ai_details,
        terms.existing_vacancy,
        questions,
    )


def publish(*, job: Job, actor: Member | None, now: datetime | None = None) -> PostingVersion:
    """Check the job's posting against its profile and publish it as a new version.

    Nothing changed since the live version: that version is returned, no new one. Raises
    ValidationError with the problems by field if the posting breaks its profile's rules.
    """
    if actor is not None and actor.org_id != job.org_id:
        raise PermissionDenied("That belongs to another organisation.")
    if job.status != JobStatus.OPEN:
        raise ValidationError("Only an open job can be published.")
    errors = check_job(job)
    if errors:
        raise ValidationError(errors)
    now = now or clock.now()
    terms = terms_of(job)
    questions = form_questions()
    with transaction.atomic():
        if not PostingVersion.objects.filter(org_id=job.org_id, job=job).exists():
            # The first publication is the posting in the law's sense: the compliance app
            # records the day and the employee count it is judged by (O. Reg. 476/24, s. 1).
            compliance.record_posting(job=job, at=now)
        profile = profile_for(job)
        live = (
            PostingVersion.objects.select_for_update()
            .filter(org_id=job.org_id, job=job, taken_down_at__isnull=True)
            .first()
        )
        if live is not None and _same(live, job, terms, questions):
            return live
        if live is not None:
            live.taken_down_at = now
            live.save(update_fields=["taken_down_at"])
        last = (
            PostingVersion.objects.filter(org_id=job.org_id, job=job)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        return PostingVersion.objects.create(
            org_id=job.org_id,
            job=job,
            version=(last or 0) + 1,
            title=job.title,
            location=job.location,
            description=job.description,
            pay_min=terms.pay_min,
            pay_max=terms.pay_max,
            pay_period=terms.pay_period,
            currency=terms.currency,
            uses_ai=terms.uses_ai,
            ai_details=terms.ai_details,
            existing_vacancy=terms.existing_vacancy,
            form_questions=questions,
            profile_key=profile.key if profile else "",
            published_at=now,
            published_by=actor.display_name if actor else "system",
        )


def take_down(*, job: Job, now: datetime | None = None) -> PostingVersion | None:
    """The live version, if any, is taken down (its date recorded; nothing else changes)."""
    live = live_version(job)
    if live is not None:
        live.taken_down_at = now or clock.now()
        live.save(update_fields=["taken_down_at"])
    return live


def take_down_closed(*, now: datetime, limit: int) -> int:
    """Scheduler step: a job that is no longer open is no longer posted; record the date.

    A step rather than a hook in the close/hold services, which belong to the engine: the
    date is at most one scheduler round late.
    """
    stale = list(
        PostingVersion.objects.filter(taken_down_at__isnull=True)
        .exclude(job__status=JobStatus.OPEN)
        .values_list("pk", flat=True)[:limit]
    )
    # One statement: only the takedown date is ever set on a version (its save() allows
    # nothing else), and a row no longer stale is left alone.
    PostingVersion.objects.filter(pk__in=stale, taken_down_at__isnull=True).update(
        taken_down_at=now
    )
    return len(stale)
