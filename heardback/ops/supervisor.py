"""A small process supervisor for `heardback run`: start the parts, restart any that exits,
stop them all together.

A part that exits is restarted after a backoff that grows with each quick crash (1 s, 2 s,
4 s … up to `MAX_BACKOFF`); a part that ran for `STABLE_AFTER` seconds counts as healthy
again. Everything stops on Ctrl-C or SIGTERM, or when one part crashes `GIVE_UP_AFTER`
times in a row without ever becoming healthy: then something is wrong that restarting
won't fix, and saying so beats a silent loop.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Protocol

MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0
GIVE_UP_AFTER = 8


class Output(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass
class Part:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    crashes: int = 0  # in a row, each before the part became stable
    restart_at: float | None = None


class Supervisor:
    def __init__(
        self,
        parts: list[Part],
        *,
        out: Output = sys.stdout,
        stable_after: float = STABLE_AFTER,
        give_up_after: int = GIVE_UP_AFTER,
    ) -> None:
        self.parts = parts
        self.out = out
        self.stable_after = stable_after
        self.give_up_after = give_up_after
        self._stopping = False

    def _say(self, text: str) -> None:
        self.out.write(f"[run] {text}\n")
        flush = getattr(self.out, "flush", None)
        if callable(flush):
            flush()

    def _launch(self, part: Part) -> None:
        # Own process group: Ctrl-C reaches only us, and we stop the parts in order.
        part.process = subprocess.Popen(part.argv, start_new_session=True)
        part.started_at = time.monotonic()
        part.restart_at = None
        self._say(f"started {part.name} (pid {part.process.pid})")

    def start(self) -> None:
        for part in self.parts:
            self._launch(part)

    def request_stop(self, *_: object) -> None:
        self._stopping = True

    def wait(self) -> int:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        exit_code = 0
        while not self._stopping:
            exit_code = self.check_once()
            if exit_code:
                break
            time.sleep(0.3)
        self.stop()
        return exit_code

    def check_once(self) -> int:
        """One look at every part: restart what is due; non-zero means give up."""
        now = time.monotonic()
        for part in self.parts:
            if part.restart_at is not None:
                if now >= part.restart_at:
                    self._launch(part)
                continue
            assert part.process is not None
            code = part.process.poll()
            if code is None:
                if part.crashes and now - part.started_at >= self.stable_after:
                    part.crashes = 0  # it has run long enough to count as healthy again
                continue
            ran_for = now - part.started_at
            part.crashes = 1 if ran_for >= self.stable_after else part.crashes + 1
            if part.crashes >= self.give_up_after:
                self._say(
                    f"{part.name} exited with {code} {part.crashes} times in a row; "
                    "stopping everything (see its output above)"
                )
                return code or 1
            delay = min(MAX_BACKOFF, 2.0 ** (part.crashes - 1))
            self._say(
                f"{part.name} exited with {code} after {ran_for:.1f} s; restarting in {delay:.0f} s"
            )
            part.restart_at = now + delay
        return 0

    def stop(self, timeout: float = 15.0) -> None:
        for part in reversed(self.parts):
            if part.process is not None and part.process.poll() is None:
                part.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for part in reversed(self.parts):
            if part.process is None:
                continue
            try:
                part.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                part.process.kill()
                part.process.wait()
            self._say(f"stopped {part.name}")
