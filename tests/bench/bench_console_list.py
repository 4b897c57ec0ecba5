"""Benchmark: the console's list of applications with 100,000 applications in one org.

    HEARDBACK_ENV=test .venv/bin/python -m tests.bench.bench_console_list          # SQLite
    HEARDBACK_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:5432/heardback \\
        .venv/bin/python -m tests.bench.bench_console_list                         # PostgreSQL
    options: [--count 100000] [--loads 20] [--jobs 20]

One process, a throwaway database of its own, the whole middleware stack through Django's
in-process test client (no sockets: only the server side is measured), signed in as an
admin. The big org gets `--count` applications spread over a year, `--jobs` jobs, every
status (in process, declined, closed with the job, hired, withdrew) and a few unreachable
candidates. The same page is also loaded for a small org of 100 applications in the same
database: the baseline, so the ratio says what the 1,000 times larger org costs.

Pages, each loaded `--loads` times in rotating order (after two warm-up loads each):

* first page: `/app/applications/` (newest first, every status);
* filtered: one job, in process, soonest respond-by first;
* finished: every finished application, newest first, the 40th page (by its cursor);
* search: a name search across every status;
* export: the first 5,000 rows of the CSV export of the filtered page (streamed).

Prints median and p95 (nearest rank) per page, and each median over the baseline's.
The target: first page and filtered page p95 at most 300 ms. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from datetime import timedelta
from typing import Any

from heardback.bench.scratch import scratch_database

TARGET_MS = 300.0


def load_org(*, name: str, count: int, jobs: int) -> Any:
    """An org with `count` applications over the last year in `jobs` jobs, every status.

    Rows go in with bulk_create (the services would take an hour for 100,000); the
    columns are the ones the services would write."""
    from heardback import clock
    from heardback.hiring import services
    from heardback.hiring.models import Application, Candidate, Role
    from tests.factories import make_user

    slug = name.lower().replace(" ", "-")
    org = services.create_org(name=name, slug=slug, country="DE", time_zone="Europe/Berlin")
    admin = services.add_member(
        org=org, user=make_user(email=f"admin@{slug}.example"), role=Role.ADMIN
    )
    owners = [
        services.add_member(
            org=org, user=make_user(email=f"owner{i}@{slug}.example"), role=Role.RECRUITER
        )
        for i in range(3)
    ]
    job_rows = [
        services.create_job(org=org, title=f"Role {i:02d}", owner=owners[i % 3])
        for i in range(jobs)
    ]
    stages = {j.pk: list(j.pipeline.stages.order_by("position")) for j in job_rows}
    now = clock.now()
    year = timedelta(days=365)
    statuses = ["active"] * 12 + ["declined"] * 4 + ["closed"] * 2 + ["hired", "withdrawn"]
    batch = 5000
    for start in range(0, count, batch):
        size = min(batch, count - start)
        candidates = Candidate.objects.bulk_create(
            [
                Candidate(
                    org=org,
                    name=f"Person {n:06d} {['Novak', 'Silva', 'Okafor', 'Haddad'][n % 4]}",
                    email=f"p{n}@{slug}.example",
                    language=["en", "de", "es"][n % 3],
                    time_zone="Europe/Berlin",
                    unreachable_since=now if n % 97 == 0 else None,
                    created_at=now - year * (1 - n / count),
                )
                for n in range(start, start + size)
            ]
        )
        rows = []
        for n, candidate in zip(range(start, start + size), candidates, strict=True):
            job = job_rows[n % jobs]
            stage = stages[job.pk][n % len(stages[job.pk])]
            created = now - year * (1 - n / count)
            kind = statuses[n % len(statuses)]
            active = kind == "active"
            rows.append(
                Application(
                    org=org,
                    job=job,
                    candidate=candidate,
                    stage=stage,
                    status="declined" if kind == "closed" else kind,
                    closed_out_by=1 if kind == "closed" else None,
                    respond_by=created + timedelta(days=5 + n % 30) if active else None,
                    stage_entered_at=created + timedelta(days=n % 10),
                    decided_at=None if active else created + timedelta(days=10 + n % 20),
                    last_contacted_at=created,
                    created_at=created,
                )
            )
        Application.objects.bulk_create(rows)
    return org, admin, job_rows


def analyze(vendor: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tests.bench.bench_console_list")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile 10 loads of each big-org page instead"
    )
    args = parser.parse_args(argv)
    with scratch_database("list") as vendor:
        from django.test import Client

        started = time.perf_counter()
        big, big_admin, big_jobs = load_org(name="Big Org", count=args.count, jobs=args.jobs)
        small, small_admin, small_jobs = load_org(name="Small Org", count=100, jobs=2)
        analyze(vendor)
        loaded = time.perf_counter() - started
        print(
            f"Console list benchmark: {args.count:,} applications in one org ({args.jobs} "
            f"jobs), baseline org 100; {vendor}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}; loaded in {loaded:.0f} s",
            flush=True,
        )

        def client_for(member: Any) -> Client:
            client = Client()
            client.force_login(member.user)
            return client

        big_client, small_client = client_for(big_admin), client_for(small_admin)

        def finished_cursor(member: Any) -> str:
            from heardback import clock
            from heardback.console import listing

            filters = listing.ApplicationFilters(status="finished")
            cursor = ""
            for _ in range(39):
                page = listing.application_page(
                    member=member, filters=filters, now=clock.now(), after=cursor
                )
                cursor = page.next_cursor or ""
            return cursor

        def pages(member: Any, jobs: list[Any]) -> dict[str, tuple[str, dict[str, str]]]:
            return {
                "first page": ("/app/applications/", {}),
                "filtered": (
                    "/app/applications/",
                    {"job": str(jobs[1].pk), "status": "active", "sort": "respond_by"},
                ),
                "finished, page 40": (
                    "/app/applications/",
                    {"status": "finished", "after": finished_cursor(member)},
                ),
                "search": ("/app/applications/", {"q": "okafor"}),
                "export 5,000 rows": (
                    "/app/applications/export.csv",
                    {"job": str(jobs[1].pk), "status": "active", "sort": "respond_by"},
                ),
            }

        sides = {
            "big": (big_client, pages(big_admin, big_jobs)),
            "baseline": (small_client, pages(small_admin, small_jobs)),
        }

        def load(client: Client, url: str, params: dict[str, str]) -> float:
            begin = time.perf_counter()
            response = client.get(url, params)
            if response.status_code != 200:
                raise RuntimeError(f"{url} {params}: {response.status_code}")
            if response.streaming:
                for lines, _chunk in enumerate(response.streaming_content):
                    if lines >= 5000:
                        break
                response.close()
            return (time.perf_counter() - begin) * 1000

        if args.profile:
            import cProfile
            import pstats

            client, side_pages = sides["big"]
            for name in side_pages:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(10):
                    load(client, *side_pages[name])
                profiler.disable()
                print(f"--- {name}")
                pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
            return 0
        timings: dict[tuple[str, str], list[float]] = {}
        names = list(sides["big"][1])
        for client, side_pages in sides.values():
            for name in names:
                for _ in range(2):  # warm-up: imports, caches, prepared plans
                    load(client, *side_pages[name])
        for round_number in range(args.loads):
            order = names[round_number % len(names) :] + names[: round_number % len(names)]
            for name in order:
                for side, (client, side_pages) in sides.items():
                    timings.setdefault((side, name), []).append(load(client, *side_pages[name]))
        print(f"{'page':<20} {'median':>9} {'p95':>9} {'baseline':>9} {'ratio':>7}")
        failed = False
        for name in names:
            big_ms = timings[("big", name)]
            base_ms = timings[("baseline", name)]
            median, p95 = statistics.median(big_ms), nearest_rank(big_ms, 0.95)
            base = statistics.median(base_ms)
            mark = ""
            if name in ("first page", "filtered"):
                ok = p95 <= TARGET_MS
                failed = failed or not ok
                mark = "  (target p95 <= 300 ms: " + ("met" if ok else "NOT met") + ")"
            print(
                f"{name:<20} {median:>7.1f}ms {p95:>7.1f}ms {base:>7.1f}ms "
                f"{median / base:>6.2f}x{mark}",
                flush=True,
            )
        del big, small
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
