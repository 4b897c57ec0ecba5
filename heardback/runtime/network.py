"""`heardback netloop`: the loop that runs the steps which call other servers.

The engine (`heardback scheduler`) keeps promises and must never wait on someone else's
server, so steps that fetch or post over the network register with `loop="network"` and run
here, in a process of their own. A slow server then delays only the network round.

The round never stops on a failure:

1. each step runs inside its own time budget (`NETWORK_STEP_BUDGET_SECONDS`); a step asks
   `stopping()` before it starts another call, which is also how SIGTERM ends a round
   within one fetch deadline;
2. a step that raises is logged (in full the first time, then in one line) and recorded as
   a fault, and the round goes on with the next step;
3. every call has an overall deadline (`heardback.runtime.http`), and a step keeps at most
   `NETWORK_CONCURRENCY` calls in flight;
4. after the round the process records its heartbeat for `heardback doctor`.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection

from heardback import clock
from heardback.runtime import heartbeat
from heardback.runtime.isolation import current_budget, record_failure, resolve, step_budget
from heardback.runtime.steps import Step, steps

log = logging.getLogger(__name__)

ROUND = "round"  # the item name of a failure of a whole step

_stop: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    "network_stop", default=None
)


def all_steps() -> list[Step]:
    return steps("network")


def stopping() -> bool:
    """Should the current step start no new call? Its budget is spent, or we are stopping.

    Calls already in flight finish (each within its deadline); nothing new is claimed.
    """
    event = _stop.get()
    return current_budget().spent or (event is not None and event.is_set())


def run_once(
    *,
    now: datetime | None = None,
    limit: int = 500,
    budget_seconds: float | None = None,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """One round of every network step; returns how many items each handled."""
    now = now or clock.now()
    seconds = settings.NETWORK_STEP_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    done: dict[str, int] = {}
    token = _stop.set(stop)
    try:
        for step in all_steps():
            if stop is not None and stop.is_set():
                break
            with step_budget(seconds or None):
                done[step.name] = _run_step(step, now=now, limit=limit)
    finally:
        _stop.reset(token)
    return done


def _run_step(step: Step, *, now: datetime, limit: int) -> int:
    try:
        handled = step.run(now=now, limit=limit)
    except Exception as error:
        _failed(step, error, now=now)
        return 0
    try:
        resolve(source=step.name, item=ROUND)
    except DatabaseError:
        log.warning("network step %s: could not mark its last failure resolved", step.name)
    return handled


def _failed(step: Step, error: Exception, *, now: datetime) -> None:
    try:
        fault = record_failure(source=step.name, item=ROUND, org_id=None, error=error, now=now)
    except DatabaseError:
        # The database may be what failed; say so once, here, and go on with the next step.
        log.exception("network step %s failed (not recorded); going on", step.name, exc_info=error)
        return
    if fault.attempts == 1:
        log.exception("network step %s failed; going on with the next", step.name, exc_info=error)
    else:
        log.warning(
            "network step %s failed again (%s times): %s",
            step.name,
            fault.attempts,
            fault.last_error,
        )


def run_forever(*, stop: threading.Event, interval: float, limit: int = 500) -> None:
    process = heartbeat.process_name("network")
    started_at = clock.now()
    log.info("network loop started; steps: %s", ", ".join(s.name for s in all_steps()))
    while not stop.is_set():
        try:
            done = run_once(limit=limit, stop=stop)
        except Exception:
            log.exception("network round failed; reconnecting after a pause")
            connection.close()
            stop.wait(min(interval, 5))
            continue
        busy = {name: count for name, count in done.items() if count}
        heartbeat.beat(process=process, role="network", started_at=started_at, detail=busy)
        if busy and not stop.is_set():
            log.info("network loop: %s", busy)
            continue  # more may be due right away: a step stops at its limit or budget
        stop.wait(interval)
    heartbeat.forget(process=process)
    log.info("network loop stopped")
