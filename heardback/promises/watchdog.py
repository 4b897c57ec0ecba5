"""The watchdog: the scheduler steps that keep every promise, even when nobody acts.

Each step finds what is due with an indexed query (so a sweep costs what is due, not what
exists), then acts on each application in its own short transaction after re-reading it
under a row lock and re-checking that it is still due: a compare-and-set, so several
schedulers can run at once and never act twice.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q

from heardback.hiring import messages
from heardback.hiring import services as hiring
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    DeclineReason,
    EventKind,
    Member,
    Org,
    PromiseWatch,
    Role,
)
from heardback.messaging.kinds import MessageKind
from heardback.promises import team_mail
from heardback.promises.models import OrgPolicy, PastCapAction
from heardback.promises.policy import get_policy
from heardback.promises.services import extend_locked, send_pending_decline
from heardback.runtime.isolation import ItemGuard, once_per_round

SILENCE_MARGIN = timedelta(days=1)  # speak up a day before the max-silence window closes


_rounds = itertools.count()


def _policies() -> Iterable[tuple[Org, OrgPolicy]]:
    """Every org with its policy, in one query (a policy is created on first use).

    Each round starts with a different org, so when a step runs out of its time budget
    it is never the same orgs that wait for the next round.
    """
    orgs: list[Org] = once_per_round(
        "watchdog:orgs", lambda: list(Org.objects.select_related("policy").order_by("id"))
    )
    if not orgs:
        return
    start = next(_rounds) % len(orgs)
    for org in orgs[start:] + orgs[:start]:
        try:
            policy = org.policy
        except OrgPolicy.DoesNotExist:
            policy = get_policy(org=org)
        yield org, policy


def _watch_candidates(org: Org, watch: Iterable[str], due: Q, limit: int) -> list[int]:
    """Due applications in the given watch states, oldest promise first.

    One indexed range scan per state (org, state, respond_by): an IN over the states would
    make the planner read every nudged application still inside its grace period again on
    every sweep.
    """
    ids: list[int] = []
    for state in sorted(watch):
        if len(ids) >= limit:
            break
        ids += (
            Application.objects.filter(
                due,
                org=org,
                status=ApplicationStatus.ACTIVE,
                pending_decline_at__isnull=True,
                promise_watch=state,
            )
            .order_by("respond_by")
            .values_list("id", flat=True)[: limit - len(ids)]
        )
    return ids


def _claim(application_id: int, check: Callable[[Application], bool]) -> Application | None:
    """Lock one application and re-check it is still due; None if another scheduler won."""
    application = (
        Application.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("org", "job__owner__user", "candidate", "stage")
        .filter(pk=application_id, status=ApplicationStatus.ACTIVE)
        .first()
    )
    if application is None or not check(application):
        return None
    return application


def _watch_is_due(
    application: Application, states: set[str], after: datetime | None, until: datetime
) -> bool:
    return (
        application.promise_watch in states
        and application.pending_decline_at is None
        and application.respond_by is not None
        and (after is None or after < application.respond_by)
        and application.respond_by <= until
    )


def _advance_watch(
    org: Org,
    *,
    states: set[str],
    after: datetime | None,
    until: datetime,
    to_state: str,
    limit: int,
) -> dict[int, tuple[Member, list[Application]]]:
    """Move each due promise of `org` from `states` to `to_state`, one compare-and-set each.

    Returns the applications this scheduler claimed, grouped by job owner for one digest.
    """
    due = Q(respond_by__lte=until) & (Q(respond_by__gt=after) if after is not None else Q())
    by_owner: dict[int, tuple[Member, list[Application]]] = {}
    for application_id in _watch_candidates(org, states, due, limit):
        with transaction.atomic():
            application = _claim(application_id, lambda a: _watch_is_due(a, states, after, until))
            if application is None:
                continue
            Application.objects.filter(pk=application.pk).update(promise_watch=to_state)
        owner = application.job.owner
        by_owner.setdefault(owner.pk, (owner, []))[1].append(application)
    return by_owner


def remind_owners(*, now: datetime, limit: int) -> int:
    """Remind each job owner, `nudge_lead_hours` before a promise falls due."""
    guard = ItemGuard("remind_owners", now=now)
    handled = 0
    for org, policy in _policies():
        if guard.out_of_time:
            break

        def remind(org: Org = org, policy: OrgPolicy = policy) -> int:
            by_owner = _advance_watch(
                org,
                states={PromiseWatch.PENDING},
                after=now,
                until=now + timedelta(hours=policy.nudge_lead_hours),
                to_state=PromiseWatch.REMINDED,
                limit=limit,
            )
            for owner, applications in by_owner.values():
                team_mail.send_reminder(owner, applications)
            return sum(len(applications) for _owner, applications in by_owner.values())

        handled += guard.run(f"org:{org.pk}", remind, org_id=org.pk, label="reminders") or 0
    return handled


def nudge_owners(*, now: datetime, limit: int) -> int:
    """When a promise falls due: nudge the owner with one-click decision links."""
    guard = ItemGuard("nudge_owners", now=now)
    handled = 0
    for org, _policy in _policies():
        if guard.out_of_time:
            break

        def nudge(org: Org = org) -> int:
            by_owner = _advance_watch(
                org,
                states={PromiseWatch.PENDING, PromiseWatch.REMINDED},
                after=None,
                until=now,
                to_state=PromiseWatch.NUDGED,
                limit=limit,
            )
            for owner, applications in by_owner.values():
                team_mail.send_nudge(owner, applications)
            return sum(len(applications) for _owner, applications in by_owner.values())

        handled += guard.run(f"org:{org.pk}", nudge, org_id=org.pk, label="nudges") or 0
    return handled


def update_candidates(*, now: datetime, limit: int) -> int:
    """Grace is over and nobody decided: tell the candidate honestly, and move the promise.

    Past the extension cap the org's policy applies: escalate (and keep updating) or close
    with a kind decline. Never within the minimum gap of the last automated update.
    """
    guard = ItemGuard("update_candidates", now=now)
    handled = 0
    for org, policy in _policies():
        if guard.out_of_time:
            break
        grace = timedelta(hours=policy.grace_hours)
        gap = timedelta(days=policy.min_gap_days)
        ids = _watch_candidates(
            org,
            [PromiseWatch.NUDGED],
            Q(respond_by__lte=now - grace)
            & (Q(last_automated_at__isnull=True) | Q(last_automated_at__lte=now - gap)),
            limit,
        )
        escalations: list[Application] = []

        def update(
            application_id: int,
            policy: OrgPolicy = policy,
            grace: timedelta = grace,
            gap: timedelta = gap,
            escalations: list[Application] = escalations,
        ) -> int:
            application = _claim(
                application_id,
                lambda a: (
                    a.promise_watch == PromiseWatch.NUDGED
                    and a.pending_decline_at is None
                    and a.respond_by is not None
                    and a.respond_by <= now - grace
                    and (a.last_automated_at is None or a.last_automated_at <= now - gap)
                ),
            )
            if application is None:
                return 0  # another scheduler got there first
            if _speak_up(application, policy, now):
                escalations.append(application)
            return 1

        for application_id in ids:
            if guard.out_of_time:
                break
            handled += (
                guard.run(
                    f"application:{application_id}",
                    partial(update, application_id),
                    org_id=org.pk,
                    label="an honest update",
                )
                or 0
            )
        guard.run(
            f"org:{org.pk}:escalation",
            partial(_escalate, org.pk, escalations),
            org_id=org.pk,
            label="an escalation to admins",
        )
    return handled


def _speak_up(application: Application, policy: OrgPolicy, now: datetime) -> bool:
    """No decision by the promised time: extend honestly, or past the cap apply the policy.

    Returns True when the org's admins should hear about it (escalation).
    """
    past_cap = application.extensions_used >= policy.extension_cap
    if past_cap and policy.past_cap_action == PastCapAction.DECLINE:
        hiring.decline(application=application, reason=DeclineReason.NO_DECISION, actor=None)
        return False
    _extend_automatically(application, policy, now)
    return past_cap


def _extend_automatically(application: Application, policy: OrgPolicy, now: datetime) -> None:
    extend_locked(
        application,
        business_days=policy.extension_business_days,
        actor=None,
        automated=True,
    )
    application.save()


def keep_silence(*, now: datetime, limit: int) -> int:
    """The max-silence invariant: before anyone's silence reaches the window, speak up.

    A held decline that would otherwise break the silence is sent now: better early news
    than a false "still in progress". When the promise itself is close (within the minimum
    gap), the update is the honest "no decision yet" with a new date, so the promise is not
    left to break behind a gap.
    """
    guard = ItemGuard("keep_silence", now=now)
    handled = 0
    for org, policy in _policies():
        if guard.out_of_time:
            break
        escalations: list[Application] = []
        near = now + timedelta(days=policy.min_gap_days)
        threshold = now - timedelta(days=policy.max_silence_days) + SILENCE_MARGIN
        ids = list(
            Application.objects.filter(
                org=org,
                status=ApplicationStatus.ACTIVE,
                last_contacted_at__lte=threshold,
                candidate__progress_updates_opt_out=False,
            )
            .order_by("last_contacted_at")
            .values_list("id", flat=True)[:limit]
        )

        def speak(
            application_id: int,
            policy: OrgPolicy = policy,
            threshold: datetime = threshold,
            near: datetime = near,
            escalations: list[Application] = escalations,
            org: Org = org,
        ) -> int:
            application = _claim(
                application_id,
                lambda a: a.last_contacted_at is not None and a.last_contacted_at <= threshold,
            )
            if application is None:
                return 0  # another scheduler got there first
            if application.pending_decline_at is not None:
                send_pending_decline(application=application)
                return 1
            if application.respond_by is not None and application.respond_by <= near:
                if _speak_up(application, policy, now):
                    escalations.append(application)
                return 1
            event = hiring.record_event(
                org=org, kind=EventKind.SILENCE_UPDATE, actor=None, application=application
            )
            hiring.tell_candidate(
                application,
                kind=MessageKind.STILL_REVIEWING,
                key=f"app:{application.pk}:event:{event.pk}",
                default=messages.STILL_REVIEWING,
                automated=True,
            )
            application.save()
            return 1

        for application_id in ids:
            if guard.out_of_time:
                break
            handled += (
                guard.run(
                    f"application:{application_id}",
                    partial(speak, application_id),
                    org_id=org.pk,
                    label="a max-silence update",
                )
                or 0
            )
        guard.run(
            f"org:{org.pk}:escalation",
            partial(_escalate, org.pk, escalations),
            org_id=org.pk,
            label="an escalation to admins",
        )
    return handled


def _escalate(org_id: int, applications: list[Application]) -> None:
    if not applications:
        return
    for admin in Member.objects.filter(org_id=org_id, role=Role.ADMIN).select_related("user"):
        with transaction.atomic():
            team_mail.send_escalation(admin, applications)


def send_due_declines(*, now: datetime, limit: int) -> int:
    """Send held declines whose delay is over."""
    ids = list(
        Application.objects.filter(status=ApplicationStatus.ACTIVE, pending_decline_at__lte=now)
        .order_by("pending_decline_at")
        .values_list("id", "org_id")[:limit]
    )
    guard = ItemGuard("send_due_declines", now=now)
    handled = 0
    for application_id, org_id in ids:
        if guard.out_of_time:
            break

        def send(application_id: int = application_id) -> int:
            application = Application.objects.filter(pk=application_id).first()
            if application is None:
                return 0
            return 1 if send_pending_decline(application=application) else 0

        handled += (
            guard.run(f"application:{application_id}", send, org_id=org_id, label="a held decline")
            or 0
        )
    return handled
