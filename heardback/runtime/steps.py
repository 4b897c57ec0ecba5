"""Which periodic steps exist, registered by the app that owns each.

A step is `def step(*, now: datetime, limit: int) -> int` returning how many items it
handled; it claims its work by compare-and-set, so several processes can run it at once.

Two loops run steps:
- `engine`: the scheduler's loop (database work only, never the network);
- `network`: the network loop, for steps that call other servers (each call with an
  overall deadline), so a slow remote server never delays anyone's promise.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Literal

Loop = Literal["engine", "network"]
StepFunction = Callable[..., int]
# A cheap read whose answer changes when new work for the step has arrived (e.g. the newest
# row's id): an idle loop polls it and starts a round at once instead of waiting out its
# interval, so news that arrives from outside is acted on in about a second.
WakeProbe = Callable[[], Hashable]


@dataclass(frozen=True)
class Step:
    name: str
    run: StepFunction
    order: int
    loop: Loop
    wake_on: WakeProbe | None = None


_registry: dict[str, Step] = {}


def register_step(
    run: StepFunction, *, order: int, loop: Loop = "engine", wake_on: WakeProbe | None = None
) -> StepFunction:
    """Register `run` (idempotent: an app's `ready()` may run twice in tests).

    `order` sorts the steps of one loop: lower runs first in each round. `wake_on`, if
    given, wakes an idle loop early when its answer changes (see WakeProbe).
    """
    name = f"{run.__module__}.{run.__qualname__}"
    _registry[name] = Step(name=run.__name__, run=run, order=order, loop=loop, wake_on=wake_on)
    return run


def steps(loop: Loop = "engine") -> list[Step]:
    return sorted((s for s in _registry.values() if s.loop == loop), key=lambda s: s.order)
