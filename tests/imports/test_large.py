"""A real move-in: 100,000 applications in one file, checked and imported (on SQLite, in
CI) in well under a minute, in chunks, without holding the file's rows in memory."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from django.db import connection

from heardback.hiring.models import Application, Candidate, Job
from heardback.imports import services
from heardback.imports.models import ImportStatus
from tests.imports.conftest import HEADER, Place

ROWS = 100_000
STAGES = ["", "Recruiter screen", "Interview", "applied"]


@pytest.mark.slow
def test_a_hundred_thousand_rows_import_in_under_a_minute(place: Place, monday: datetime) -> None:
    path = place.tmp / "move-in.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for n in range(ROWS):
            job = "Data Engineer" if n % 10 == 0 else f"Team {n % 25} engineer"
            out.write(
                f"{job},Person {n},person{n}@example.net,,{'de' if n % 3 else 'en'},,"
                f"{STAGES[n % 4]},2026-0{1 + n % 9}-1{n % 10},\r\n"
            )
    started = time.monotonic()
    run = services.check_path(actor=place.admin, path=path)
    checked = time.monotonic()
    assert run.status == ImportStatus.READY, run.bad_rows
    assert run.summary["applications_new"] == ROWS
    assert run.summary["jobs_new"] == 25
    run = services.start(run=run, actor=place.admin, tell_candidates=False, hold_lease=True)
    run = services.run_to_the_end(run)
    finished = time.monotonic()
    assert run.status == ImportStatus.DONE, run.error
    assert run.done == ROWS and run.applications_created == ROWS
    assert Application.objects.filter(org=place.org).count() == ROWS
    assert Candidate.objects.filter(org=place.org).count() == ROWS
    assert Job.objects.filter(org=place.org).count() == 2 + 25
    print(f"check {checked - started:.1f} s, import {finished - checked:.1f} s")
    # The target is for SQLite, the embedded default that CI runs first; PostgreSQL's
    # numbers (and memory) are in docs/benchmarks.md.
    assert finished - started < (60 if connection.vendor == "sqlite" else 180)
