"""A small process supervisor for `heardback run`: start the parts, stop them all together."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass
class Part:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None


class Supervisor:
    def __init__(self, parts: list[Part], *, out: object = sys.stdout) -> None:
        self.parts = parts
        self.out = out
        self._stopping = False

    def _say(self, text: str) -> None:
        print(f"[run] {text}", file=self.out, flush=True)  # type: ignore[arg-type]

    def start(self) -> None:
        for part in self.parts:
            # Own process group: Ctrl-C reaches only us, and we stop the parts in order.
            part.process = subprocess.Popen(part.argv, start_new_session=True)
            self._say(f"started {part.name} (pid {part.process.pid})")

    def wait(self) -> int:
        def request_stop(*_: object) -> None:
            self._stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        exit_code = 0
        while not self._stopping:
            for part in self.parts:
                assert part.process is not None
                code = part.process.poll()
                if code is not None:
                    self._say(f"{part.name} exited with {code}; stopping the rest")
                    self._stopping = True
                    exit_code = code or 1
                    break
            time.sleep(0.3)
        self.stop()
        return exit_code

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
