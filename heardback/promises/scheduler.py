"""`heardback scheduler`: a loop of small steps, each safe to run on many machines at once.

Every app registers its own steps (`heardback.runtime.steps`); this loop runs the
`engine` ones. A round never stops on a failure:

1. each step runs inside its own time budget (`SCHEDULER_STEP_BUDGET_SECONDS`);
2. inside a step each item is isolated (`runtime.isolation.ItemGuard`): a failing item is
   recorded, backed off and skipped, and the step goes on;
3. a step that fails outside its items (its query, say) is recorded too, and the round
   goes on with the next step;
4. after the round the process records its heartbeat for `heardback doctor`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection

from heardback import clock
from heardback.runtime import heartbeat
from heardback.runtime.isolation import (
    one_round,
    record_failure,
    resolve,
    step_budget,
)
from heardback.runtime.steps import Step, steps

log = logging.getLogger(__name__)

ROUND = "round"  # the item name of a failure of a whole step


def all_steps() -> list[Step]:
    return steps("engine")


def run_once(
    *, now: datetime | None = None, limit: int = 500, budget_seconds: float | None = None
) -> dict[str, int]:
    now = now or clock.now()
    seconds = settings.SCHEDULER_STEP_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    done: dict[str, int] = {}
    with one_round() as current:
        # Steps whose last round failed as a whole: a round that works again resolves it.
        failing = {source for source, items in current.faults.items() if ROUND in items}
        for step in all_steps():
            _run_step(step, now=now, limit=limit, seconds=seconds, failing=failing, done=done)
    return done


def _run_step(
    step: Step,
    *,
    now: datetime,
    limit: int,
    seconds: float,
    failing: set[str],
    done: dict[str, int],
) -> None:
    with step_budget(seconds or None):
        try:
            done[step.name] = step.run(now=now, limit=limit)
            if step.name in failing:
                resolve(source=step.name, item=ROUND)
        except DatabaseError:
            # A database that went away fails every step alike: end the round, reconnect.
            raise
        except Exception as error:
            log.exception("scheduler step %s failed; going on with the next", step.name)
            done[step.name] = 0
            record_failure(source=step.name, item=ROUND, org_id=None, error=error, now=now)


def run_until_idle(*, limit: int = 500, max_rounds: int = 1000) -> dict[str, int]:
    """Repeat the steps until none has anything left to do (tests and the simulator)."""
    totals: dict[str, int] = {}
    for _ in range(max_rounds):
        done = run_once(limit=limit, budget_seconds=0)
        for name, count in done.items():
            totals[name] = totals.get(name, 0) + count
        if not any(done.values()):
            break
    return totals


WAKE_POLL_SECONDS = 0.5


def wake_markers() -> dict[str, Hashable]:
    """Each wake probe's answer now (None where it could not be read)."""
    markers: dict[str, Hashable] = {}
    for step in all_steps():
        if step.wake_on is None:
            continue
        try:
            markers[step.name] = step.wake_on()
        except DatabaseError:
            markers[step.name] = None
    return markers


def _idle(stop: threading.Event, interval: float, seen: dict[str, Hashable]) -> None:
    """Wait out the interval, or less: until a wake probe's answer moves on."""
    deadline = time.monotonic() + interval
    while (left := deadline - time.monotonic()) > 0:
        if stop.wait(min(left, WAKE_POLL_SECONDS)):
            return
        if seen and wake_markers() != seen:
            return


def run_forever(*, stop: threading.Event, interval: float, limit: int = 500) -> None:
    process = heartbeat.process_name("scheduler")
    started_at = clock.now()
    log.info("scheduler started; steps: %s", ", ".join(s.name for s in all_steps()))
    while not stop.is_set():
        close_old_connections()  # a connection the database dropped is replaced here
        # Read before the round, so work arriving while it runs starts the next one.
        seen = wake_markers()
        try:
            done = run_once(limit=limit)
        except Exception:
            log.exception("scheduler round failed; reconnecting after a pause")
            connection.close()
            stop.wait(min(interval, 5))
            continue
        busy = {name: count for name, count in done.items() if count}
        heartbeat.beat(process=process, role="scheduler", started_at=started_at, detail=busy)
        if busy:
            log.info("scheduler: %s", busy)
            continue  # more may be due right away (chunks of a large close-out)
        _idle(stop, interval, seen)
    heartbeat.forget(process=process)
    log.info("scheduler stopped")
