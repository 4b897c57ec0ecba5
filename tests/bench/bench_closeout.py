"""Benchmark: close-out of 100,000 active applications on PostgreSQL, through the real
scheduler, against the floor.

The floor is one bare `INSERT … SELECT` of the same number of message-sized rows into a
scratch table without indexes: no engine can write its messages faster than that. The
close-out is timed from `services.close_job()` until the close-out is finished (its last
chunk's messages committed and the close-out marked done), with `scheduler.run_once()`
looping every registered engine step, as `heardback scheduler` does. Floor and close-out
alternate run by run, and each run's ratio is its close-out over its floor.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heardback \
        .venv/bin/python -m tests.bench.bench_closeout [--count 100000] [--runs 3] \
        [--chunk 5000] [--statements] [--processes]

`--explain` prints the plans of the queries behind the indexes this close-out no longer
writes, with half the job's applications closed out. `--statements` times every SQL
statement of one extra close-out by kind. `--processes`
then runs one more close-out with a real `heardback scheduler` and `heardback worker` (each
its own process, the worker delivering to a local SMTP sink) and samples their resident
memory while it runs.

It creates and drops its own scratch database (`heardback_bench_<pid>`); nothing else is touched.
Not collected by pytest (the file name does not start with `test_`).
"""

# SQL here is built from model table names and fixed fragments, never from input (S608);
# ratios are printed with a multiplication sign (RUF001).
# ruff: noqa: S608, RUF001
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# Per process: two benchmarks run at once on one server must not drop each other's.
BENCH_DB = f"heardback_bench_{os.getpid()}"


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
    # (Without the survey's due column the benchmark also runs against older code.)
    survey = any(f.name == "survey_due_at" for f in Application._meta.fields)
    execute(
        f"""UPDATE {Application._meta.db_table} SET status = 'active', decline_reason = '',
            decided_at = NULL, respond_by = now() + interval '5 days', promise_watch = 'pending',
            last_contacted_at = now(), last_automated_at = NULL, closed_out_by = NULL
            {", survey_due_at = NULL" if survey else ""}
            WHERE job_id = %s""",
        [job.pk],
    )
    execute(
        f"UPDATE {Job._meta.db_table} SET status = 'open', closed_at = NULL WHERE id = %s", [job.pk]
    )
    analyze(Application, Message, Event, CloseOut)
    active = Application.objects.filter(job=job, status="active").count()
    assert active == count, (active, count)


def close_out_through_scheduler(job: Any, owner: Any) -> tuple[float, list[float]]:
    """`close_job`, then scheduler rounds (every registered engine step) until the close-out
    is finished. Returns the seconds and each round's seconds."""
    from heardback.promises import scheduler, services
    from heardback.promises.models import CloseOut

    rounds: list[float] = []
    started = time.perf_counter()
    close_out = services.close_job(job=job, actor=owner)
    while True:
        round_started = time.perf_counter()
        scheduler.run_once()
        rounds.append(time.perf_counter() - round_started)
        if CloseOut.objects.filter(pk=close_out.pk, finished_at__isnull=False).exists():
            return time.perf_counter() - started, rounds
        assert len(rounds) < 10_000, "the close-out is not progressing"


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


def _check_sent_once(loaded: int) -> None:
    from heardback.messaging.models import Message

    sent = Message.objects.filter(kind="close_out").count()
    distinct = Message.objects.filter(kind="close_out").values("application_id").distinct()
    assert sent == distinct.count() == loaded, (sent, loaded)


def _statement_profile(job: Any, owner: Any) -> dict[str, list[float]]:
    """Seconds per SQL statement of one close-out through the scheduler, by kind."""
    from django.db import connection

    spent: dict[str, list[float]] = {}

    def kind_of(sql: str) -> str:
        flat = " ".join(sql.split())
        if flat.startswith("WITH chunk AS"):
            return "chunk: lock, decline, queue messages (one statement)"
        if 'INSERT INTO "hiring_event"' in flat:
            return "event (one per chunk)"
        if 'UPDATE "promises_closeout"' in flat:
            return "close-out progress (done, keyset position)"
        if 'FROM "promises_closeout"' in flat and "FOR UPDATE" in flat:
            return "lock the close-out row"
        if 'FROM "hiring_application"' in flat and "LIMIT 1" in flat and "active" in flat:
            return "past the end: anything left active?"
        return "everything else (other steps, savepoints, commits)"

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.setdefault(kind_of(sql), []).append(time.perf_counter() - started)

    with connection.execute_wrapper(wrapper):
        close_out_through_scheduler(job, owner)
    return spent


# --- the plans behind the indexes (docs/benchmarks.md, Close-out) -------------------------


def explain_indexes(org: Any, job: Any, owner: Any) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the queries that used the indexes the close-out no
    longer writes (`org`, `job` and `pending_decline_by` on applications) and of the two
    queries this work added (the keyset chunk and the survey's due rows). Every statement
    runs in a transaction that is rolled back."""
    from datetime import timedelta

    from django.db import connection, transaction

    from heardback import clock
    from heardback.hiring.models import Application, Job, Member
    from heardback.portal import survey
    from heardback.promises import closeout, services

    app = Application._meta.db_table
    other = Job.objects.exclude(pk=job.pk).values_list("pk", flat=True).first() or 0
    count = Application.objects.filter(job=job).count()
    close_out = services.close_job(job=job, actor=owner)
    closeout.process_chunk(close_out, limit=count // 2)  # half of them closed out
    close_out.refresh_from_db()
    halfway = close_out.after_application_id
    queries = [
        (
            "an org's applications (dashboard counts; org FK index gone)",
            "SELECT count(*) FROM hiring_application WHERE org_id = %s",
            [org.pk],
        ),
        (
            "a job's applications by status (pipeline board; org, job FK indexes gone)",
            "SELECT count(*) FROM hiring_application WHERE org_id = %s AND job_id = %s "
            "AND status = 'declined'",
            [org.pk, job.pk],
        ),
        (
            "deleting a job: the collector's look-up by job (job FK index gone)",
            "SELECT id FROM hiring_application WHERE job_id IN (%s, %s)",
            [other, job.pk],
        ),
        (
            "deleting an org: the collector's look-up by org (org FK index gone)",
            "SELECT id FROM hiring_application WHERE org_id IN (%s) LIMIT 1",
            [org.pk],
        ),
        (
            "removing a member: SET NULL on held declines (now a partial index)",
            "UPDATE hiring_application SET pending_decline_by_id = NULL "
            "WHERE pending_decline_by_id IN (%s)",
            [Member.objects.filter(org=org).values_list("pk", flat=True).first()],
        ),
        (
            "the close-out's next chunk, half way through (keyset: no sort of what remains)",
            f"SELECT id FROM {app} WHERE org_id = %s AND job_id = %s AND status = 'active' "
            "AND id > %s ORDER BY id LIMIT 5000 FOR UPDATE SKIP LOCKED",
            [org.pk, job.pk, halfway],
        ),
    ]
    sql, params = survey.due(now=clock.now() + timedelta(days=4))[:1000].query.sql_with_params()
    queries.append(("the survey step's due applications", sql, list(params)))
    for title, sql, params in queries:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
                plan = [line for (line,) in cursor.fetchall()]
            transaction.set_rollback(True)
        print(f"-- {title}")
        for line in plan:
            print(f"     {line}")


# --- real processes: resident memory of the scheduler and the worker ----------------------


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


class _Sampler(threading.Thread):
    """Samples the resident memory of some processes every 50 ms until stopped."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peak = dict.fromkeys(pids, 0)
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], _rss_kib(pid))
            self.stop.wait(0.05)


def _smtp_sink() -> tuple[Any, int]:
    import socket

    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def close_out_with_processes(job: Any, owner: Any, seconds_after: float = 10.0) -> None:
    """One close-out run by a real `heardback scheduler` process, with a real `heardback
    worker` delivering at the same time; prints their resident memory before and at peak."""
    from django.conf import settings
    from django.db import connection

    from heardback.messaging.models import Message
    from heardback.promises import services
    from heardback.promises.models import CloseOut

    controller, port = _smtp_sink()
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "HEARDBACK_EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "HEARDBACK_ENV": "test",
    }
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    processes = {
        "scheduler": subprocess.Popen([*manage, "scheduler", "--interval", "0.2"], env=env),
        "worker": subprocess.Popen([*manage, "worker", "--idle-sleep", "0.2"], env=env),
    }
    try:
        # Both started (Django, imports, a connection) and through a first round: each
        # process records a heartbeat after every round.
        from heardback.runtime.models import Heartbeat

        waited = time.monotonic()
        while {"scheduler", "worker"} - set(Heartbeat.objects.values_list("role", flat=True)):
            assert time.monotonic() - waited < 120, "the processes did not start"
            time.sleep(0.2)
        time.sleep(1)
        before = {name: _rss_kib(p.pid) for name, p in processes.items()}
        sampler = _Sampler({name: p.pid for name, p in processes.items()})
        sampler.start()
        connection.close()
        started = time.perf_counter()
        close_out = services.close_job(job=job, actor=owner)
        while not CloseOut.objects.filter(pk=close_out.pk, finished_at__isnull=False).exists():
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        close_out.refresh_from_db()
        assert close_out.finished_at is not None
        time.sleep(seconds_after)  # the worker keeps delivering
        sampler.stop.set()
        sampler.join()
        delivered = Message.objects.filter(kind="close_out", status="sent").count()
        print(
            f"real processes: close-out of {close_out.done:,} finished "
            f"{(close_out.finished_at - close_out.created_at).total_seconds():.2f} s after "
            f"close_job ({seconds:.2f} s as seen here, polling); {delivered:,} delivered by "
            f"then + {seconds_after:.0f} s"
        )
        for name in processes:
            print(
                f"  {name:<9} RSS before {before[name] / 1024:6.1f} MiB, "
                f"peak during the close-out {sampler.peak[name] / 1024:6.1f} MiB"
            )
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.wait(timeout=30)
        controller.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=None, help="CLOSEOUT_CHUNK_SIZE")
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--processes", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)
    if args.chunk:
        os.environ["CLOSEOUT_CHUNK_SIZE"] = str(args.chunk)

    with scratch_database(BENCH_DB):
        from django.conf import settings

        from heardback.hiring.models import Application, Candidate
        from heardback.messaging.models import Message
        from heardback.promises import scheduler
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
        print(
            f"close-out chunk {getattr(settings, 'CLOSEOUT_CHUNK_SIZE', 500):,}, "
            f"{getattr(settings, 'CLOSEOUT_ROUND_SECONDS', '-')} s per round at most; steps: "
            + ", ".join(step.name for step in scheduler.all_steps())
        )

        execute(f"CREATE TABLE bench_floor AS SELECT * FROM {Message._meta.db_table} WITH NO DATA")
        execute(f"CREATE TABLE bench_indexed (LIKE {Message._meta.db_table} INCLUDING ALL)")
        composition = _rendered_for(job, "closed", "en")
        rendered = (
            composition.rendered.subject,
            composition.rendered.text,
            composition.rendered.html,
        )

        floors, indexed, closeouts, ratios = [], [], [], []
        rounds: list[int] = []
        for _ in range(args.runs):
            # Reset first: the floor reads the same active applications the close-out ends.
            _reset_close_out(job, loaded)
            floors.append(_floor_once(job, *rendered))
            indexed.append(_floor_once(job, *rendered, table="bench_indexed"))
            seconds, round_times = close_out_through_scheduler(job, owner)
            _check_sent_once(loaded)
            closeouts.append(seconds)
            rounds.append(len(round_times))
            ratios.append(seconds / floors[-1])
        floor, close = median_of(floors), median_of(closeouts)

        def runs(values: list[float]) -> str:
            return ", ".join(f"{v:.3f}" for v in values)

        print(
            f"floor: bare INSERT … SELECT of {loaded:,} rows: median {floor:.3f} s ({runs(floors)})"
        )
        print(
            f"(same rows into a copy of the outbox table with its indexes: median "
            f"{median_of(indexed):.3f} s, {median_of(indexed) / floor:.2f}× the floor; "
            f"{runs(indexed)})"
        )
        print(
            f"close-out through the scheduler: median {close:.3f} s ({runs(closeouts)}), "
            f"scheduler rounds {rounds}"
        )
        print(
            f"RESULT close-out of {loaded:,} through the scheduler: {close:.3f} s; floor "
            f"{floor:.3f} s; ratio median {median_of(ratios):.2f}× (per run: "
            f"{', '.join(f'{r:.2f}' for r in ratios)}; target ≤ 3×)"
        )

        if args.explain:
            _reset_close_out(job, loaded)
            explain_indexes(org, job, owner)

        if args.statements:
            _reset_close_out(job, loaded)
            spent = _statement_profile(job, owner)
            print("time per statement kind over one close-out through the scheduler:")
            for kind, times in sorted(spent.items(), key=lambda kv: -sum(kv[1])):
                print(f"  {sum(times):7.3f} s  {len(times):6,}×  {kind}")

        if args.processes:
            _reset_close_out(job, loaded)
            close_out_with_processes(job, owner)
        _ = org


if __name__ == "__main__":
    main()
