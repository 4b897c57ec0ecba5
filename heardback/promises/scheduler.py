"""`heardback scheduler`: a loop of small steps, each safe to run on many machines at once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

from heardback import clock
from heardback.promises import closeout, watchdog

log = logging.getLogger(__name__)

Step = Callable[..., int]

# Declines that are due go first, so the silence step never "updates" someone already decided.
CORE_STEPS: list[Step] = [
    watchdog.send_due_declines,
    closeout.run_close_outs,
    watchdog.remind_owners,
    watchdog.nudge_owners,
    watchdog.update_candidates,
    watchdog.keep_silence,
]


def all_steps() -> list[Step]:
    return CORE_STEPS + [import_string(path) for path in settings.SCHEDULER_STEPS]


def run_once(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    now = now or clock.now()
    done: dict[str, int] = {}
    for step in all_steps():
        done[step.__name__] = step(now=now, limit=limit)
    return done


def run_until_idle(*, limit: int = 500, max_rounds: int = 1000) -> dict[str, int]:
    """Repeat the steps until none has anything left to do (tests and the simulator)."""
    totals: dict[str, int] = {}
    for _ in range(max_rounds):
        done = run_once(limit=limit)
        for name, count in done.items():
            totals[name] = totals.get(name, 0) + count
        if not any(done.values()):
            break
    return totals


def run_forever(*, stop: threading.Event, interval: float, limit: int = 500) -> None:
    log.info("scheduler started; steps: %s", ", ".join(s.__name__ for s in all_steps()))
    while not stop.is_set():
        try:
            done = run_once(limit=limit)
        except Exception:
            log.exception("scheduler round failed; retrying after a pause")
            connection.close()
            stop.wait(interval)
            continue
        busy = {name: count for name, count in done.items() if count}
        if busy:
            log.info("scheduler: %s", busy)
            continue  # more may be due right away (chunks of a large close-out)
        stop.wait(interval)
    log.info("scheduler stopped")
