"""The retention step: anonymise candidates whose personal data the org no longer needs.

A candidate is due when none of their applications is still active, the last final
decision is older than the org's `months_after_decision`, no legal hold is open, and (unless
the policy includes them) they were not hired. What is kept is the anonymised record (see
services.anonymise_candidate), which the law's record keeping needs and which holds no one.

`report()` answers the same question without changing anything: the dry run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.db.models.functions import Coalesce

from heardback.hiring.models import ApplicationStatus, Candidate, Org
from heardback.privacy import services
from heardback.privacy.models import Anonymisation, LegalHold, RetentionPolicy
from heardback.runtime.isolation import ItemGuard


@dataclass(frozen=True)
class Due:
    org_id: int
    org_name: str
    candidate_id: int
    last_decision: datetime
    held: bool  # an open legal hold keeps it (reported, never anonymised)


def _candidates(org: Org, policy: RetentionPolicy, *, now: datetime) -> list[Due]:
    cutoff = services.subtract_months(now, policy.months_after_decision)
    open_holds = LegalHold.objects.filter(
        org_id=org.pk, candidate_id=OuterRef("pk"), released_at__isnull=True
    )
    rows = (
        Candidate.objects.filter(org_id=org.pk)
        .exclude(Exists(Anonymisation.objects.filter(candidate_id=OuterRef("pk"))))
        .annotate(
            active=Count("applications", filter=Q(applications__status=ApplicationStatus.ACTIVE)),
            hired=Count("applications", filter=Q(applications__status=ApplicationStatus.HIRED)),
            last=Max(
                Coalesce("applications__decided_at", "applications__stage_entered_at"),
            ),
            held=Exists(open_holds),
        )
        .filter(active=0, last__lt=cutoff)
        .order_by("last", "pk")
        .values_list("pk", "last", "held", "hired")
    )
    return [
        Due(org.pk, org.name, pk, last, held)
        for pk, last, held, hired in rows
        if policy.include_hired or not hired
    ]


def report(*, now: datetime, org: Org | None = None) -> list[Due]:
    """Who the step would anonymise now (and who a legal hold keeps). Changes nothing."""
    found: list[Due] = []
    for each in Org.objects.filter(pk=org.pk) if org else Org.objects.order_by("pk"):
        found += _candidates(each, services.policy_for(each), now=now)
    return found


def records_kept_until(candidate_id: int, org_id: int) -> tuple[datetime, str] | None:
    """Until when the law wants the (anonymised) record of this candidate kept, and whose
    rule that is: the latest decision + the job's profile's record retention, if any."""
    from datetime import timedelta

    from heardback.compliance.profiles import profile_for
    from heardback.hiring.models import Application

    found: tuple[datetime, str] | None = None
    for application in Application.objects.filter(
        org_id=org_id, candidate_id=candidate_id
    ).select_related("job__org"):
        profile = profile_for(application.job)
        if profile is None:
            continue
        start = application.decided_at or application.stage_entered_at
        until = start + timedelta(days=profile.record_retention_days)
        if found is None or until > found[0]:
            found = (until, profile.name)
    return found


def anonymise_expired(*, now: datetime, limit: int) -> int:
    """Scheduler step: anonymise up to `limit` due candidates; returns how many."""
    guard = ItemGuard("anonymise_expired", now=now)
    done = 0
    for due in report(now=now):
        if done >= limit or guard.out_of_time:
            break
        if due.held:
            continue
        candidate = Candidate.objects.get(org_id=due.org_id, pk=due.candidate_id)
        result = guard.run(
            f"candidate:{due.candidate_id}",
            partial(
                services.anonymise_candidate,
                candidate=candidate,
                reason=Anonymisation.Reason.RETENTION,
                actor_label="retention policy",
                now=now,
            ),
            org_id=due.org_id,
            label="removing a candidate's personal data",
        )
        if result is not None:
            done += 1
    return done


def scrub_sent_confirmations(*, now: datetime, limit: int) -> int:
    """Scheduler step: remove the address from erasure confirmations that have been sent."""
    guard = ItemGuard("scrub_sent_confirmations", now=now)
    done = 0
    pending = Anonymisation.objects.filter(pending_message_id__isnull=False).select_related(
        "candidate"
    )
    for anonymisation in pending.order_by("pk")[:limit]:
        if guard.out_of_time:
            break
        scrubbed = guard.run(
            f"anonymisation:{anonymisation.pk}",
            partial(services.scrub_sent_confirmation, anonymisation),
            org_id=anonymisation.org_id,
            label="removing the address from an erasure confirmation",
        )
        done += bool(scrubbed)
    return done
