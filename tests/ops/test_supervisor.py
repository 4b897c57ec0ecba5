"""`heardback run`'s supervisor restarts a part that exits, backs off, gives up on a part
that keeps crashing, and stops everything on request. Real processes throughout."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from heardback.ops.supervisor import Part, Supervisor

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
CRASHER = [sys.executable, "-c", "import sys; sys.exit(3)"]


def run_until(supervisor: Supervisor, condition: object, timeout: float = 15.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = supervisor.check_once()
        if code or condition():  # type: ignore[operator]
            return code
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_killed_part_is_restarted_and_the_others_keep_running() -> None:
    out = io.StringIO()
    worker, scheduler = Part("worker", SLEEPER), Part("scheduler", SLEEPER)
    supervisor = Supervisor([worker, scheduler], out=out)
    supervisor.start()
    try:
        first_worker, first_scheduler = worker.process, scheduler.process
        assert first_worker is not None and first_scheduler is not None
        os.kill(first_worker.pid, signal.SIGKILL)
        os.kill(first_scheduler.pid, signal.SIGKILL)
        run_until(
            supervisor,
            lambda: (
                worker.process is not first_worker
                and scheduler.process is not first_scheduler
                and worker.process is not None
                and worker.process.poll() is None
                and scheduler.process is not None
                and scheduler.process.poll() is None
            ),
        )
        assert "worker exited with -9" in out.getvalue()
        assert "restarting in 1 s" in out.getvalue()
    finally:
        supervisor.stop()
    assert worker.process is not None and worker.process.poll() is not None
    assert scheduler.process is not None and scheduler.process.poll() is not None


def test_a_part_that_keeps_crashing_stops_everything_with_its_code() -> None:
    out = io.StringIO()
    web = Part("web", SLEEPER)
    broken = Part("broken", CRASHER)
    supervisor = Supervisor([web, broken], out=out, give_up_after=3)
    supervisor.start()
    try:
        code = run_until(supervisor, lambda: False, timeout=20)
    finally:
        supervisor.stop()
    assert code == 3
    text = out.getvalue()
    assert "restarting in 1 s" in text and "restarting in 2 s" in text
    assert "broken exited with 3 3 times in a row; stopping everything" in text


def test_a_part_that_ran_long_enough_is_forgiven_its_old_crashes() -> None:
    supervisor = Supervisor([Part("p", SLEEPER)], out=io.StringIO(), stable_after=0.2)
    part = supervisor.parts[0]
    supervisor.start()
    try:
        part.crashes = 5
        run_until(supervisor, lambda: part.crashes == 0)
    finally:
        supervisor.stop()


def test_sigterm_stops_every_part(tmp_path: Path) -> None:
    """The real `Supervisor.wait` in a child process: SIGTERM ends it and its parts."""
    script = tmp_path / "sup.py"
    script.write_text(
        "import sys\n"
        "from heardback.ops.supervisor import Part, Supervisor\n"
        f"parts = [Part('a', {SLEEPER!r}), Part('b', {SLEEPER!r})]\n"
        "s = Supervisor(parts)\n"
        "s.start()\n"
        "print('PIDS', *[p.process.pid for p in parts], flush=True)\n"
        "sys.exit(s.wait())\n"
    )
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert child.stdout is not None
    line = ""
    while not line.startswith("PIDS"):
        line = child.stdout.readline()
        assert line, "the supervisor printed nothing"
    pids = [int(p) for p in line.split()[1:]]
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=20) == 0
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        # A zombie is gone for our purposes only once reaped; the parent reaped them.
        raise AssertionError(f"part {pid} still running")
