"""CSV import benchmark: check and import a 100,000-row file; wall time and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heardback \\
        HEARDBACK_ENV=test .venv/bin/python -m heardback.bench.csv_import
    ... -m heardback.bench.csv_import --rows 20000 --tell     # with acknowledgements

The file has `--rows` applications over `--jobs` job titles (one of them an existing job,
the others created by the import), four stages, two languages and an `applied_at` on every
row; it is written to a temporary folder first. Then, as an admin would: the dry run
(`services.check_path`, which reads, checks and stores the rows in chunks), and the import
itself (`services.run_to_the_end`, the chunked code the `import-csv` command and the
scheduler step share), with `--tell` queueing each candidate's acknowledgement.

Memory: the process's resident set is sampled every 20 ms from /proc while the check and the
import run; the peak is reported next to the resident set before they start (Django, the
database driver) and `ru_maxrss`. The target is a peak of at most 300 MB.

Everything runs in a scratch database with a name of its own (`bench_import_<pid>_<random>`
on PostgreSQL, a file in var/ on SQLite), created like the test runner's and dropped at the
end, never the real one.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from heardback.bench.scratch import scratch_database

STAGES = ["", "Recruiter screen", "Interview", "Hiring manager review"]
TARGET_MB = 300


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=25, help="job titles in the file")
    parser.add_argument(
        "--tell", action="store_true", help="tick “tell the candidates” (queue every ack)"
    )
    parser.add_argument("--statements", action="store_true", help="time the SQL statements by kind")
    return parser.parse_args(argv)


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


class PeakSampler:
    """The highest resident set seen while it runs (a thread sampling /proc)."""

    def __init__(self, every: float = 0.02) -> None:
        self.every = every
        self.peak = resident_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, resident_mb())

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, resident_mb())


@contextmanager
def timed_statements(timings: defaultdict[str, float], *, enabled: bool) -> Iterator[None]:
    """Add up the time of each kind of statement (its first words) into `timings`."""
    if not enabled:
        yield
        return
    from django.db import connection

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings[" ".join(sql.split()[:4])[:80]] += time.perf_counter() - started

    with connection.execute_wrapper(wrapper):
        yield


def write_file(path: Path, *, rows: int, jobs: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("job_title,name,email,phone,language,time_zone,stage,applied_at,owner_email\r\n")
        for n in range(rows):
            title = "Data Engineer" if n % jobs == 0 else f"Team {n % jobs} engineer"
            out.write(
                f"{title},Person {n} Example,person{n}@example.net,+49 30 {n:07d},"
                f"{'de' if n % 3 else 'en'},,{STAGES[n % len(STAGES)]},"
                f"2026-0{1 + n % 9}-1{n % 10},\r\n"
            )


def main(argv: list[str] | None = None) -> float:
    args = parse(argv)
    with scratch_database("import") as vendor, tempfile.TemporaryDirectory() as folder:
        from django.conf import settings
        from django.contrib.auth import get_user_model

        from heardback.hiring import services as hiring
        from heardback.hiring.models import Application, Role
        from heardback.imports import services

        settings.MEDIA_ROOT = Path(folder) / "media"
        org = hiring.create_org(name="Bench Robotics", country="DE", time_zone="Europe/Berlin")
        user = get_user_model().objects.create_user(
            username="admin@bench.example", email="admin@bench.example"
        )
        admin = hiring.add_member(org=org, user=user, role=Role.ADMIN)
        hiring.create_job(org=org, title="Data Engineer", owner=admin)
        path = Path(folder) / "move-in.csv"
        write_file(path, rows=args.rows, jobs=args.jobs)
        size_mb = path.stat().st_size / 1024 / 1024
        before = resident_mb()
        print(
            f"CSV import benchmark: {args.rows:,} rows ({size_mb:.1f} MB), {args.jobs} job "
            f"titles, tell the candidates: {'yes' if args.tell else 'no'}; {vendor}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
            flush=True,
        )
        timings: defaultdict[str, float] = defaultdict(float)
        with PeakSampler() as sampler, timed_statements(timings, enabled=args.statements):
            started = time.perf_counter()
            run = services.check_path(actor=admin, path=path)
            checked = time.perf_counter()
            if run.bad_count:
                sys.exit(f"the generated file has bad rows: {run.bad_rows[:3]}")
            run = services.start(run=run, actor=admin, tell_candidates=args.tell, hold_lease=True)
            run = services.run_to_the_end(run)
            finished = time.perf_counter()
        if run.applications_created != args.rows:
            sys.exit(f"imported {run.applications_created} of {args.rows}: {run.error}")
        assert Application.objects.filter(org=org).count() == args.rows
        check_s, import_s = checked - started, finished - checked
        print(f"dry run (read, check, store the chunks): {check_s:6.1f} s "
              f"({args.rows / check_s:,.0f} rows/s)")  # fmt: skip
        print(f"import ({run.chunk_size:,} rows per transaction): {import_s:6.1f} s "
              f"({args.rows / import_s:,.0f} rows/s; {run.jobs_created} jobs, "
              f"{run.candidates_created:,} candidates, {run.applications_created:,} "
              f"applications, {run.messages_queued:,} messages queued)")  # fmt: skip
        for statement, seconds in sorted(timings.items(), key=lambda kv: -kv[1])[:8]:
            print(f"  {seconds:6.1f} s  {statement}")
        process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"RESULT {args.rows:,} rows in {check_s + import_s:.1f} s; peak RSS "
            f"{sampler.peak:.0f} MB while checking and importing ({before:.0f} MB before; "
            f"process peak {process_peak:.0f} MB; target ≤ {TARGET_MB} MB)"
        )
    return sampler.peak


if __name__ == "__main__":
    main(sys.argv[1:])
