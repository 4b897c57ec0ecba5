"""Fault isolation for periodic steps: one failing item never stops the others.

A step wraps each item's work in `ItemGuard.run`. A failure is caught, rolled back,
recorded on the item (attempts, last error, next try with backoff), logged once, and the
step goes on with its next item. An item in backoff is skipped until its next try. A step
also stops taking new items when its time budget for the round is spent, so one busy or
slow org can't hold the round for everyone else.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TypeVar

from django.db import DatabaseError, transaction

from heardback import clock
from heardback.messaging.headers import single_line
from heardback.runtime.models import Fault

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
# After this many failures in a row an item needs a person: it shows on the org's console
# banner, in the admins' digest and in `heardback doctor`.
NEEDS_A_PERSON_AFTER = 3


def backoff(attempts: int) -> timedelta:
    grown: timedelta = BACKOFF_BASE * (2 ** max(0, attempts - 1))
    return min(grown, BACKOFF_CAP)


@dataclass
class Budget:
    """Seconds a step may spend in one round (None: no limit, as when a test calls it)."""

    seconds: float | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def spent(self) -> bool:
        return self.seconds is not None and time.monotonic() - self.started >= self.seconds


_budget: contextvars.ContextVar[Budget] = contextvars.ContextVar("step_budget")


@contextmanager
def step_budget(seconds: float | None) -> Iterator[Budget]:
    budget = Budget(seconds)
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def current_budget() -> Budget:
    return _budget.get(Budget())


def describe(error: BaseException) -> str:
    return single_line(f"{type(error).__name__}: {error}", max_length=1000)


def record_failure(
    *,
    source: str,
    item: str,
    org_id: int | None,
    error: BaseException | str,
    label: str = "",
    now: datetime | None = None,
) -> Fault:
    """Count one more failure of `item`; returns the fault with its next try."""
    now = now or clock.now()
    detail = error if isinstance(error, str) else describe(error)
    with transaction.atomic():
        fault, created = Fault.objects.select_for_update().get_or_create(
            source=source,
            item=item,
            defaults={
                "org_id": org_id,
                "label": label[:300],
                "attempts": 1,
                "first_failed_at": now,
                "last_failed_at": now,
                "next_try_at": now + backoff(1),
                "last_error": detail,
            },
        )
        if not created:
            if fault.resolved_at is not None:
                fault.attempts = 0
                fault.first_failed_at = now
                fault.resolved_at = None
            fault.attempts += 1
            fault.org_id = org_id
            fault.label = label[:300] or fault.label
            fault.last_failed_at = now
            fault.next_try_at = now + backoff(fault.attempts)
            fault.last_error = detail
            fault.save()
    return fault


def resolve(*, source: str, item: str) -> int:
    return Fault.objects.filter(source=source, item=item, resolved_at__isnull=True).update(
        resolved_at=clock.now()
    )


@dataclass
class Round:
    """What the steps of one scheduler round read once and share (see `one_round`)."""

    faults: dict[str, dict[str, Fault]]  # open faults by step, then item
    memo: dict[str, object] = field(default_factory=dict)


_round: contextvars.ContextVar[Round | None] = contextvars.ContextVar("round", default=None)


@contextmanager
def one_round() -> Iterator[Round]:
    """A round of steps that reads every open fault once, by step and item.

    A round runs a dozen steps, most with nothing to do; reading each step's faults on its
    own cost a query per step per round (a third of an idle round's queries). The guards of
    the round share this snapshot and keep it current with what they record and resolve;
    what another scheduler records meanwhile is seen next round, as before.
    """
    faults: dict[str, dict[str, Fault]] = {}
    for fault in Fault.objects.filter(resolved_at__isnull=True):
        faults.setdefault(fault.source, {})[fault.item] = fault
    current = Round(faults=faults)
    token = _round.set(current)
    try:
        yield current
    finally:
        _round.reset(token)


def once_per_round[R](key: str, read: Callable[[], R]) -> R:
    """`read()` once per scheduler round, shared by its steps (every time outside a round):
    for what several steps look up and a few seconds' staleness can't hurt."""
    current = _round.get()
    if current is None:
        return read()
    if key not in current.memo:
        current.memo[key] = read()
    return current.memo[key]  # type: ignore[return-value]


class ItemGuard:
    """Runs one step's items in isolation (see the module docstring).

    Loads the step's open faults once, when the first item is looked at: a healthy round
    costs one extra query in all, and a round with nothing due costs none (the scheduler
    runs every step every round, mostly with nothing to do).
    """

    def __init__(self, source: str, *, now: datetime | None = None) -> None:
        self.source = source
        self.now = now or clock.now()
        self.budget = current_budget()
        self.failed = 0

    @cached_property
    def _open(self) -> dict[str, Fault]:
        current = _round.get()
        if current is not None:
            return current.faults.setdefault(self.source, {})
        return {
            f.item: f for f in Fault.objects.filter(source=self.source, resolved_at__isnull=True)
        }

    @property
    def out_of_time(self) -> bool:
        return self.budget.spent

    def fault(self, item: str) -> Fault | None:
        """The open fault of `item`, if it has failed (after `run` returned None)."""
        return self._open.get(item)

    def waiting(self, item: str) -> bool:
        """Is `item` in backoff after a failure?"""
        fault = self._open.get(item)
        return fault is not None and fault.next_try_at > self.now

    def run(
        self, item: str, action: Callable[[], T], *, org_id: int | None, label: str = ""
    ) -> T | None:
        """`action()` in its own transaction; None if it failed (recorded) or is waiting."""
        if self.waiting(item):
            return None
        try:
            with transaction.atomic():
                result = action()
        except DatabaseError as error:
            # The database itself may be gone: record if we can, else let the step stop.
            self._failed(item, error, org_id=org_id, label=label, database=True)
            return None
        except Exception as error:
            self._failed(item, error, org_id=org_id, label=label)
            return None
        if item in self._open:
            resolve(source=self.source, item=item)
            del self._open[item]
        return result

    def _failed(
        self,
        item: str,
        error: Exception,
        *,
        org_id: int | None,
        label: str,
        database: bool = False,
    ) -> None:
        self.failed += 1
        try:
            fault = record_failure(
                source=self.source,
                item=item,
                org_id=org_id,
                error=error,
                label=label,
                now=self.now,
            )
        except DatabaseError:
            if database:
                raise error from None  # nothing can be recorded: the step stops here
            raise
        self._open[item] = fault
        if fault.attempts == 1:
            log.exception("%s: %s failed; will retry", self.source, item, exc_info=error)
        else:
            log.warning(
                "%s: %s failed again (%s times): %s",
                self.source,
                item,
                fault.attempts,
                fault.last_error,
            )
