"""What the public job page shows of a posting, and which jobs may be shown at all."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from heardback.compliance.profiles import PostingRules, profile_for
from heardback.hiring.models import Job
from heardback.postings.models import PayPeriod, PostingVersion


def live_version(job: Job) -> PostingVersion | None:
    return PostingVersion.objects.filter(
        org_id=job.org_id, job=job, taken_down_at__isnull=True
    ).first()


def may_be_shown(job: Job) -> bool:
    """A job under posting rules is public only once a checked version is published."""
    profile = profile_for(job)
    if profile is None or not has_rules(profile.posting):
        return True
    return live_version(job) is not None


def shown_of(jobs: list[Job], *, org_id: int) -> list[Job]:
    """The jobs of one org's board that may be shown (may_be_shown for each).

    Two queries for an org where no jurisdiction is set anywhere (the common case); a few
    per job otherwise.
    """
    from heardback.compliance.models import JobCompliance, OrgCompliance

    in_play = (
        OrgCompliance.objects.filter(org_id=org_id).exclude(jurisdiction="").exists()
        or JobCompliance.objects.filter(org_id=org_id).exclude(jurisdiction="").exists()
    )
    return [job for job in jobs if may_be_shown(job)] if in_play else jobs


def has_rules(rules: PostingRules) -> bool:
    return bool(
        rules.pay_required
        or rules.ai_statement_required
        or rules.vacancy_statement_required
        or rules.forbidden_requirements
    )


@dataclass(frozen=True)
class Statements:
    pay: str
    ai: str
    ai_details: str
    vacancy: str


def _amount(value: Decimal) -> str:
    return formats.number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


def statements(version: PostingVersion) -> Statements:
    """The posting's statements in the active language (call inside translation.override)."""
    hourly = version.pay_period == PayPeriod.HOUR
    low, high = version.pay_min, version.pay_max
    values = {"currency": version.currency}
    if low is not None and high is not None and low != high:
        values |= {"low": _amount(low), "high": _amount(high)}
        pay = (
            _("%(low)s to %(high)s %(currency)s an hour")
            if hourly
            else _("%(low)s to %(high)s %(currency)s a year")
        ) % values
    elif low is not None or high is not None:
        single = low if low is not None else high
        assert single is not None
        values["amount"] = _amount(single)
        pay = (
            _("%(amount)s %(currency)s an hour") if hourly else _("%(amount)s %(currency)s a year")
        ) % values
    else:
        pay = ""
    if version.uses_ai is None:
        ai = ""
    elif version.uses_ai:
        ai = _("We use artificial intelligence to screen, assess or select applicants.")
    else:
        ai = _("We do not use artificial intelligence to screen, assess or select applicants.")
    if version.existing_vacancy is None:
        vacancy = ""
    elif version.existing_vacancy:
        vacancy = _("This posting is for an existing vacancy.")
    else:
        vacancy = _("This posting is not for an existing vacancy.")
    return Statements(
        pay=pay,
        ai=ai,
        ai_details=version.ai_details if version.uses_ai else "",
        vacancy=vacancy,
    )
