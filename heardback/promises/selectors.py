"""Reads about the engine's own health: work that is due and still not done.

Each count is a symptom that a background process has stopped or fallen behind (a worker,
the scheduler), so `heardback doctor` reports them. Every threshold leaves the process a
generous margin past its normal pace, so a count above zero means trouble, not a busy minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from heardback.hiring.models import Application, ApplicationStatus
from heardback.messaging.models import Message, MessageStatus
from heardback.promises.models import CloseOut, OrgPolicy

MESSAGE_LATE = timedelta(minutes=10)
HELD_DECLINE_LATE = timedelta(hours=1)
PROMISE_LATE = timedelta(days=1)  # past the promise, its grace and the minimum gap
CLOSE_OUT_LATE = timedelta(hours=1)


@dataclass(frozen=True)
class OverdueWork:
    queued_messages: int
    held_declines: int
    promises: int
    close_outs: int

    @property
    def total(self) -> int:
        return self.queued_messages + self.held_declines + self.promises + self.close_outs

    def lines(self) -> list[str]:
        """A sentence for each kind of late work there is."""
        said = [
            (
                _count(self.queued_messages, "message", "messages"),
                "due more than 10 minutes ago and not sent yet: is a delivery worker running?",
            ),
            (
                _count(self.held_declines, "held decline", "held declines"),
                "more than an hour past their time: is the scheduler running?",
            ),
            (
                _count(self.promises, "candidate", "candidates"),
                "more than a day past their promise and its grace without an update: "
                "is the scheduler running?",
            ),
            (
                _count(self.close_outs, "close-out", "close-outs"),
                "started more than an hour ago and not finished",
            ),
        ]
        return [f"{what} {text}" for what, text in said if what]


def _count(count: int, one: str, many: str) -> str:
    if not count:
        return ""
    return f"{count} {one if count == 1 else many}"


def overdue_work(*, now: datetime) -> OverdueWork:
    return OverdueWork(
        queued_messages=_late_messages(now),
        held_declines=Application.objects.filter(
            status=ApplicationStatus.ACTIVE, pending_decline_at__lt=now - HELD_DECLINE_LATE
        ).count(),
        promises=_late_promises(now),
        close_outs=CloseOut.objects.filter(
            finished_at__isnull=True,
            reopened_at__isnull=True,
            created_at__lt=now - CLOSE_OUT_LATE,
        ).count(),
    )


def _late_messages(now: datetime) -> int:
    # A row leased by a worker that died is as undelivered as a queued one.
    late = now - MESSAGE_LATE
    return Message.objects.filter(
        Q(status=MessageStatus.QUEUED, next_attempt_at__lt=late)
        | Q(status=MessageStatus.SENDING, lease_until__lt=late)
    ).count()


def _late_promises(now: datetime) -> int:
    """Active applications the honest-update step should have reached a day ago.

    That step waits for the org's grace after the promise and for its minimum gap after the
    last automated update, and each org chooses both; orgs sharing the same pair are counted
    together, so this costs one query per pair in use, not one per org. A held decline is
    left out: the decline itself is what the candidate hears next (counted above if late).
    """
    defaults = (
        OrgPolicy._meta.get_field("grace_hours").get_default(),
        OrgPolicy._meta.get_field("min_gap_days").get_default(),
    )
    pairs = set(OrgPolicy.objects.values_list("grace_hours", "min_gap_days").distinct())
    pairs.add(defaults)  # orgs whose policy is created on first use
    total = 0
    for grace_hours, gap_days in pairs:
        orgs = Q(org__policy__grace_hours=grace_hours, org__policy__min_gap_days=gap_days)
        if (grace_hours, gap_days) == defaults:
            orgs |= Q(org__policy__isnull=True)
        gap_passed = now - PROMISE_LATE - timedelta(days=gap_days)
        total += (
            Application.objects.filter(
                orgs,
                status=ApplicationStatus.ACTIVE,
                pending_decline_at__isnull=True,
                respond_by__lt=now - PROMISE_LATE - timedelta(hours=grace_hours),
            )
            .filter(Q(last_automated_at__isnull=True) | Q(last_automated_at__lt=gap_passed))
            .count()
        )
    return total
