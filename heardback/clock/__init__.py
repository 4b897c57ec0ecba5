"""The one clock of Heardback.

Every piece of code that asks "what time is it?" asks `clock.now()`. Tests move time with
`time-machine`; the season simulator installs a virtual clock with `use_clock()` and moves
it explicitly. Nothing else in the project reads the wall clock directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_provider: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current, timezone-aware UTC time."""
    if _provider is not None:
        return _provider()
    return datetime.now(UTC)


@contextmanager
def use_clock(provider: Callable[[], datetime]) -> Iterator[None]:
    """Route `now()` through `provider` for the duration of the block."""
    global _provider
    previous, _provider = _provider, provider
    try:
        yield
    finally:
        _provider = previous


class VirtualClock:
    """A clock that only moves when told to (the simulator's)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs an aware datetime")
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current
