"""Benchmark: close-out of 100,000 active applications on PostgreSQL, against the floor.

The floor is one bare `INSERT … SELECT` of the same number of message-sized rows into a
scratch table without indexes: no engine can write its messages faster than that. The
close-out is timed from `close_job` until the last chunk's messages are committed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heardback \
        .venv/bin/python -m tests.bench.bench_closeout [--count 100000] [--runs 3] \
        [--chunks 5000,10000,20000]

It creates and drops its own scratch database (`heardback_bench`); nothing else is touched.
Not collected by pytest (the file name does not start with `test_`).
"""

# SQL here is built from model table names and fixed fragments, never from input (S608);
# ratios are printed with a multiplication sign (RUF001).
# ruff: noqa: S608, RUF001
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = "heardback_bench"


# --- a scratch database -------------------------------------------------------------------


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts)


@contextmanager
def scratch_database(name: str):  # type: ignore[no-untyped-def]
    """Create `name` fresh, point Django at it, migrate; drop it afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/x")
    import psycopg

    admin, _ = _admin_url(url)
    parts = urlsplit(url)
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("HEARDBACK_ENV", "test")  # DEBUG off: no query log in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heardback.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def execute(sql: str, params: list[Any] | None = None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def scalar(sql: str, params: list[Any] | None = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def analyze(*models: Any) -> None:
    for model in models:
        execute(f"VACUUM ANALYZE {model._meta.db_table}")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def median_of(runs: list[float]) -> float:
    return statistics.median(runs)


def machine() -> str:
    from django.db import connection

    version = scalar("SHOW server_version")
    return f"{os.cpu_count()} CPU(s), PostgreSQL {version} ({connection.settings_dict['HOST']})"


# --- loading applications fast (set-based SQL, not services.apply one by one) -------------


def make_org_and_job(title: str = "Bench role") -> tuple[Any, Any, Any]:
    from heardback.hiring import services
    from heardback.hiring.models import Role
    from tests.factories import make_user

    org = services.create_org(
        name="Bench Org", slug="bench-org", country="DE", time_zone="Europe/Berlin"
    )
    owner = services.add_member(
        org=org, user=make_user(email="owner@bench.example"), role=Role.HIRING_MANAGER
    )
    services.add_member(org=org, user=make_user(email="admin@bench.example"), role=Role.ADMIN)
    job = services.create_job(org=org, title=title, owner=owner)
    return org, owner, job


def load_applications(
    *,
    job: Any,
    count: int,
    tag: str,
    respond_by: str,
    last_contacted_at: str,
    promise_watch: str = "pending",
    params: list[Any] | None = None,
) -> int:
    """Insert `count` candidates and their active applications with two statements.

    `respond_by` and `last_contacted_at` are SQL expressions over `g` (1..count) and the
    positional `params` (the same list is used for both expressions, in order).
    Languages cycle en/de/es. Returns the number of applications inserted.
    """
    from heardback.hiring.models import Application, Candidate

    cand, app = Candidate._meta.db_table, Application._meta.db_table
    stage_id = job.pipeline.stages.order_by("position").values_list("id", flat=True).first()
    execute(
        f"""
        INSERT INTO {cand} (org_id, name, email, phone, language, time_zone,
                            progress_updates_opt_out, unreachable_since, created_at)
        SELECT %s, 'Cand' || g || ' {tag}', '{tag}-' || g || '@bench.example', '',
               (ARRAY['en','de','es'])[1 + g %% 3], 'Europe/Berlin', false, NULL, now()
        FROM generate_series(1, %s) AS g
        """,
        [job.org_id, count],
    )
    return execute(
        f"""
        INSERT INTO {app} (org_id, job_id, candidate_id, stage_id, status, respond_by,
            stage_entered_at, last_contacted_at, last_automated_at, decided_at, decline_reason,
            created_at, promise_watch, extensions_used, pending_decline_at,
            pending_decline_reason, pending_decline_subject, pending_decline_body,
            pending_decline_by_id, closed_out_by)
        SELECT c.org_id, %s, c.id, %s, 'active', {respond_by}, now(), {last_contacted_at}, NULL,
               NULL, '', now(), %s, 0, NULL, '', '', '', NULL, NULL
        FROM (SELECT c.*, split_part(split_part(c.email, '@', 1), '-', 2)::int AS g
              FROM {cand} c WHERE c.org_id = %s AND c.email LIKE %s) AS c
        """,
        [job.pk, stage_id, *(params or []), promise_watch, job.org_id, f"{tag}-%"],
    )


# --- the close-out benchmark --------------------------------------------------------------


def _reset_close_out(job: Any, count: int) -> None:
    """Put the job back to open with all its applications active, as freshly loaded."""
    from heardback.hiring.models import Application, Event, Job
    from heardback.messaging.models import Message
    from heardback.promises.models import CloseOut

    execute(f"DELETE FROM {Message._meta.db_table} WHERE kind = 'close_out'")
    execute(f"DELETE FROM {Event._meta.db_table} WHERE kind IN ('closed_out', 'job_closed')")
    execute(f"DELETE FROM {CloseOut._meta.db_table}")
    execute(
        f"""UPDATE {Application._meta.db_table} SET status = 'active', decline_reason = '',
            decided_at = NULL, respond_by = now() + interval '5 days',
            last_contacted_at = now(), last_automated_at = NULL, closed_out_by = NULL
            WHERE job_id = %s""",
        [job.pk],
    )
    execute(
        f"UPDATE {Job._meta.db_table} SET status = 'open', closed_at = NULL WHERE id = %s", [job.pk]
    )
    analyze(Application, Message, Event, CloseOut)
    active = Application.objects.filter(job=job, status="active").count()
    assert active == count, (active, count)


def close_out_once(job: Any, owner: Any, chunk: int) -> tuple[float, int]:
    from heardback.promises import closeout, services

    def run() -> int:
        close_out = services.close_job(job=job, actor=owner)
        done = 0
        while True:
            changed = closeout.process_chunk(close_out, limit=chunk)
            if not changed:
                return done
            done += changed

    return timed(run)


def _floor_once(job: Any, subject: str, text: str, html: str, table: str = "bench_floor") -> float:
    from heardback.hiring.models import Application, Candidate

    execute(f"TRUNCATE {table}")
    app, cand = Application._meta.db_table, Candidate._meta.db_table
    now = datetime.now().astimezone()
    seconds, rows = timed(
        lambda: execute(
            f"""
        INSERT INTO {table} (org_id, application_id, to_email, to_name, from_email, reply_to,
            subject, body_text, body_html, language, kind, automated, final, idempotency_key,
            status, attempts, next_attempt_at, leased_by, provider_message_id, last_error,
            created_at)
        SELECT a.org_id, a.id, c.email, c.name, 'hello@bench.example', '', %s, %s, %s,
               c.language, 'close_out', true, true, 'app:' || a.id || ':floor', 'queued', 0,
               %s, '', '', '', %s
        FROM {app} a JOIN {cand} c ON c.id = a.candidate_id
        WHERE a.job_id = %s AND a.status = 'active'
        """,
            [subject, text, html, now, now, job.pk],
        )
    )
    assert rows > 0
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunks", default="5000,10000,20000")
    args = parser.parse_args(argv)
    chunks = [int(c) for c in args.chunks.split(",")]

    with scratch_database(BENCH_DB):
        from heardback.hiring.models import Application, Candidate
        from heardback.messaging.models import Message
        from heardback.promises.closeout import _rendered_for

        org, owner, job = make_org_and_job()
        seconds, loaded = timed(
            lambda: load_applications(
                job=job,
                count=args.count,
                tag="co",
                respond_by="now() + interval '5 days'",
                last_contacted_at="now()",
            )
        )
        analyze(Candidate, Application)
        print(f"machine: {machine()}")
        print(f"loaded {loaded:,} active applications in {seconds:.1f} s (set-based SQL)")

        execute(f"CREATE TABLE bench_floor AS SELECT * FROM {Message._meta.db_table} WITH NO DATA")
        subject, text, html = _rendered_for(job, "closed", "en")
        floors = [_floor_once(job, subject, text, html) for _ in range(args.runs)]
        floor = median_of(floors)
        print(
            f"floor: bare INSERT … SELECT of {loaded:,} rows: median {floor:.3f} s "
            f"(runs: {', '.join(f'{f:.3f}' for f in floors)})"
        )

        # For context: the same rows into a copy of the outbox table with all its indexes
        # (unique idempotency key, due-queue and timeline indexes). Not the floor.
        execute(f"CREATE TABLE bench_indexed (LIKE {Message._meta.db_table} INCLUDING ALL)")
        indexed = median_of(
            [_floor_once(job, subject, text, html, "bench_indexed") for _ in range(args.runs)]
        )
        print(
            f"(same rows into a copy of the outbox table with its indexes: median "
            f"{indexed:.3f} s, {indexed / floor:.2f}× the floor)"
        )

        results: list[tuple[int, float, list[float]]] = []
        for chunk in chunks:
            runs = []
            for _ in range(args.runs):
                _reset_close_out(job, loaded)
                seconds, done = close_out_once(job, owner, chunk)
                sent = Message.objects.filter(kind="close_out").count()
                assert done == loaded == sent, (done, loaded, sent)
                runs.append(seconds)
            results.append((chunk, median_of(runs), runs))
            print(
                f"close-out, chunk {chunk:>6,}: median {median_of(runs):.3f} s, "
                f"{median_of(runs) / floor:.2f}× the floor "
                f"(runs: {', '.join(f'{r:.3f}' for r in runs)})"
            )
        best_chunk, best, _runs = min(results, key=lambda r: r[1])
        print()
        print(
            f"RESULT close-out of {loaded:,}: {best:.3f} s (chunk {best_chunk:,}); "
            f"floor {floor:.3f} s; ratio {best / floor:.2f}× (target ≤ 3×)"
        )
        _ = org


if __name__ == "__main__":
    main()
