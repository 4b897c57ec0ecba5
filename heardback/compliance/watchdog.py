"""The scheduler step that keeps every legal deadline like a promise.

Each round, per org: record decisions made since the last round; remind the job owner
`REMIND_LEAD` before a deadline, nudge them with decision links `NUDGE_LEAD` before it; and
`NOTICE_LEAD` before it, if nobody decided, tell the candidate honestly that no decision has
been made yet (or, where the org's counsel holds that only a decision answers the duty,
escalate to its admins). Selections read only open duties through partial indexes; each
duty is then handled in its own transaction after re-reading it under a row lock and
re-checking it is still due (compare-and-set), as the promise watchdog does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction

from heardback.compliance import services, team_mail
from heardback.compliance.models import AnswerDuty, DutyWatch
from heardback.compliance.profiles import profile_for
from heardback.hiring.models import Application, ApplicationStatus, Member, Role
from heardback.promises.services import send_pending_decline
from heardback.runtime.isolation import ItemGuard

REMIND_LEAD = timedelta(days=10)
NUDGE_LEAD = timedelta(days=5)
# Two days leave room for a deferred delivery to be retried (and a bounce to be seen)
# before the deadline itself.
NOTICE_LEAD = timedelta(days=2)


def _orgs_with_open_duties() -> list[int]:
    return sorted(
        set(AnswerDuty.objects.filter(answered_at__isnull=True).values_list("org_id", flat=True))
        | set(AnswerDuty.objects.filter(decided_at__isnull=True).values_list("org_id", flat=True))
    )


def _claim(duty_id: int, check: Callable[[AnswerDuty], bool]) -> AnswerDuty | None:
    duty = (
        AnswerDuty.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related(
            "application__org", "application__job__owner__user", "application__candidate"
        )
        .filter(pk=duty_id)
        .first()
    )
    if duty is None or not check(duty):
        return None
    return duty


def _record_decisions(org_id: int, limit: int) -> int:
    """Duties whose application was decided since: record when the candidate was told."""
    ids = list(
        AnswerDuty.objects.filter(org_id=org_id, decided_at__isnull=True)
        .exclude(application__status=ApplicationStatus.ACTIVE)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    done = 0
    for duty_id in ids:
        with transaction.atomic():
            duty = _claim(duty_id, lambda d: d.decided_at is None)
            if duty is None:
                continue
            application = duty.application
            if services.record_decision(duty, application, profile_for(application.job)):
                done += 1
    return done


def _advance(
    org_id: int, *, states: set[str], until: datetime, to_state: str, limit: int
) -> dict[int, tuple[Member, list[team_mail.Item]]]:
    ids = list(
        AnswerDuty.objects.filter(
            org_id=org_id,
            answered_at__isnull=True,
            due_at__lte=until,
            watch__in=sorted(states),
            application__status=ApplicationStatus.ACTIVE,
        )
        .order_by("due_at")
        .values_list("id", flat=True)[:limit]
    )
    by_owner: dict[int, tuple[Member, list[team_mail.Item]]] = {}
    for duty_id in ids:
        with transaction.atomic():
            duty = _claim(
                duty_id,
                lambda d: d.answered_at is None and d.watch in states and d.due_at <= until,
            )
            if duty is None:
                continue
            AnswerDuty.objects.filter(pk=duty.pk).update(watch=to_state)
        owner = duty.application.job.owner
        by_owner.setdefault(owner.pk, (owner, []))[1].append((duty.application, duty))
    return by_owner


def _tell_candidates(org_id: int, *, now: datetime, limit: int) -> tuple[int, list[team_mail.Item]]:
    ids = list(
        AnswerDuty.objects.filter(
            org_id=org_id,
            answered_at__isnull=True,
            due_at__lte=now + NOTICE_LEAD,
            notice_at__isnull=True,
            application__status=ApplicationStatus.ACTIVE,
        )
        .exclude(watch=DutyWatch.ESCALATED)
        .order_by("due_at")
        .values_list("id", flat=True)[:limit]
    )
    done = 0
    escalate: list[team_mail.Item] = []
    for duty_id in ids:
        with transaction.atomic():
            duty = _claim(
                duty_id,
                lambda d: (
                    d.answered_at is None
                    and d.notice_at is None
                    and d.watch != DutyWatch.ESCALATED
                    and d.due_at <= now + NOTICE_LEAD
                ),
            )
            if duty is None:
                continue
            application = Application.objects.select_for_update().get(pk=duty.application_id)
            if application.status != ApplicationStatus.ACTIVE:
                continue  # decided meanwhile: the decision sweep records it
            profile = profile_for(application.job)
            if profile is None:
                services.recompute_duty(application)
                continue
            if application.pending_decline_at is not None:
                # A decision was made and is held for its undo window: "no decision yet"
                # would be untrue, so the decline goes now (the sweep records it).
                send_pending_decline(application=application)
                done += 1
                continue
            if profile.notice_counts_as_answer:
                services.send_legal_notice(application, duty)
                services._settle(duty, profile)
            else:
                duty.watch = DutyWatch.ESCALATED
                escalate.append((application, duty))
            duty.save()
            done += 1
    return done, escalate


def keep_answer_duties(*, now: datetime, limit: int) -> int:
    guard = ItemGuard("keep_answer_duties", now=now)
    handled = 0
    for org_id in _orgs_with_open_duties():
        if guard.out_of_time:
            break

        def run(org_id: int = org_id) -> int:
            done = _record_decisions(org_id, limit)
            reminded = _advance(
                org_id,
                states={DutyWatch.PENDING},
                until=now + REMIND_LEAD,
                to_state=DutyWatch.REMINDED,
                limit=limit,
            )
            for owner, items in reminded.values():
                team_mail.send_reminder(owner, items)
            nudged = _advance(
                org_id,
                states={DutyWatch.PENDING, DutyWatch.REMINDED},
                until=now + NUDGE_LEAD,
                to_state=DutyWatch.NUDGED,
                limit=limit,
            )
            for owner, items in nudged.values():
                team_mail.send_nudge(owner, items)
            told, escalate = _tell_candidates(org_id, now=now, limit=limit)
            if escalate:
                for admin in Member.objects.filter(org_id=org_id, role=Role.ADMIN).select_related(
                    "user"
                ):
                    with transaction.atomic():
                        team_mail.send_escalation(admin, escalate)
            return (
                done
                + sum(len(i) for _o, i in reminded.values())
                + sum(len(i) for _o, i in nudged.values())
                + told
            )

        handled += (
            guard.run(f"org:{org_id}", partial(run, org_id), org_id=org_id, label="legal deadlines")
            or 0
        )
    return handled
