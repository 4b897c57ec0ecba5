"""Benchmark: one scheduler sweep with the same 200 due applications among 10,000 and among
1,000,000 active ones, on PostgreSQL. A sweep should cost what is due, not what exists.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heardback \
        .venv/bin/python -m tests.bench.bench_sweep [--small 10000] [--large 1000000] \
        [--runs 5] [--explain]

Two numbers per size: one full pass of the engine's watchdog steps (which also does the
work: 200 candidates' messages, nudges with links, escalations), and the due-selection
queries alone. The same 200 due rows are restored before every run. It creates and drops
its own scratch database (`heardback_bench_sweep`). Not collected by pytest.
"""

# SQL here is built from model table names and fixed fragments, never from input (S608);
# ratios are printed with a multiplication sign (RUF001).
# ruff: noqa: S608, RUF001
from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.bench.bench_closeout import (
    analyze,
    execute,
    load_applications,
    machine,
    make_org_and_job,
    median_of,
    scalar,
    scratch_database,
    timed,
)

BENCH_DB = "heardback_bench_sweep"
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday
PER_GROUP = 50  # four groups: due a reminder, a nudge, an honest update, a silence update

# (tag, promise_watch, respond_by, last_contacted_at) as offsets from NOW
GROUPS = [
    ("due_remind", "pending", timedelta(hours=12), timedelta(days=-1)),
    ("due_nudge", "pending", timedelta(hours=-1), timedelta(days=-2)),
    ("due_update", "nudged", timedelta(hours=-30), timedelta(days=-2)),
    ("due_silence", "pending", timedelta(days=10), timedelta(days=-6, hours=-12)),
]


def _load_due(job: Any) -> None:
    for tag, watch, respond_by, contacted in GROUPS:
        load_applications(
            job=job,
            count=PER_GROUP,
            tag=tag,
            promise_watch=watch,
            respond_by="%s::timestamptz",
            last_contacted_at="%s::timestamptz",
            params=[NOW + respond_by, NOW + contacted],
        )


def _load_idle(job: Any, count: int, tag: str) -> None:
    """Active applications that are not due for anything at NOW: promises 3 to 10 days out,
    last contact within the last five days."""
    load_applications(
        job=job,
        count=count,
        tag=tag,
        respond_by="%s::timestamptz + (g %% 10000) * interval '1 minute'",
        last_contacted_at="%s::timestamptz - (g %% 5000) * interval '1 minute'",
        params=[NOW + timedelta(days=3), NOW - timedelta(hours=12)],
    )


def _reset(baseline: dict[str, int]) -> None:
    """Undo one sweep: restore the due rows and delete what the sweep wrote."""
    from heardback.hiring.models import Application, Candidate, Event
    from heardback.messaging.models import Message
    from heardback.promises.models import ActionLink

    for model in (Message, Event, ActionLink):
        execute(
            f"DELETE FROM {model._meta.db_table} WHERE id > %s", [baseline[model._meta.db_table]]
        )
    app, cand = Application._meta.db_table, Candidate._meta.db_table
    for tag, watch, respond_by, contacted in GROUPS:
        execute(
            f"""UPDATE {app} a SET promise_watch = %s, respond_by = %s, last_contacted_at = %s,
                last_automated_at = NULL, extensions_used = 0, status = 'active',
                decided_at = NULL, decline_reason = ''
                FROM {cand} c WHERE c.id = a.candidate_id AND c.email LIKE %s""",
            [watch, NOW + respond_by, NOW + contacted, f"{tag}-%"],
        )


def _baseline() -> dict[str, int]:
    from heardback.hiring.models import Event
    from heardback.messaging.models import Message
    from heardback.promises.models import ActionLink

    return {
        m._meta.db_table: scalar(f"SELECT coalesce(max(id), 0) FROM {m._meta.db_table}")
        for m in (Message, Event, ActionLink)
    }


def _sweep() -> dict[str, int]:
    """One pass of the engine's steps at NOW (the project's extra steps are not ours)."""
    from heardback import clock
    from heardback.promises.scheduler import CORE_STEPS

    with clock.use_clock(clock.VirtualClock(NOW)):
        return {step.__name__: step(now=NOW, limit=500) for step in CORE_STEPS}


def _selection_queries(org: Any) -> list[tuple[str, Any]]:
    """The due-selection query of each step, exactly as the steps build them."""
    from django.db.models import Q

    from heardback.hiring.models import Application, PromiseWatch
    from heardback.promises import watchdog
    from heardback.promises.models import CloseOut
    from heardback.promises.policy import get_policy

    policy = get_policy(org=org)
    lead = timedelta(hours=policy.nudge_lead_hours)
    grace = timedelta(hours=policy.grace_hours)
    gap = timedelta(days=policy.min_gap_days)
    threshold = NOW - timedelta(days=policy.max_silence_days) + watchdog.SILENCE_MARGIN
    return [
        (
            "send_due_declines",
            lambda: list(
                Application.objects.filter(status="active", pending_decline_at__lte=NOW)
                .order_by("pending_decline_at")
                .values_list("id", flat=True)[:500]
            ),
        ),
        (
            "run_close_outs",
            lambda: list(
                CloseOut.objects.filter(finished_at__isnull=True, reopened_at__isnull=True)
            ),
        ),
        (
            "remind_owners",
            lambda: watchdog._watch_candidates(
                org, [PromiseWatch.PENDING], Q(respond_by__gt=NOW, respond_by__lte=NOW + lead), 500
            ),
        ),
        (
            "nudge_owners",
            lambda: watchdog._watch_candidates(
                org, [PromiseWatch.PENDING, PromiseWatch.REMINDED], Q(respond_by__lte=NOW), 500
            ),
        ),
        (
            "update_candidates",
            lambda: watchdog._watch_candidates(
                org,
                [PromiseWatch.NUDGED],
                Q(respond_by__lte=NOW - grace)
                & (Q(last_automated_at__isnull=True) | Q(last_automated_at__lte=NOW - gap)),
                500,
            ),
        ),
        (
            "keep_silence",
            lambda: list(
                Application.objects.filter(
                    org=org,
                    status="active",
                    last_contacted_at__lte=threshold,
                    candidate__progress_updates_opt_out=False,
                )
                .order_by("last_contacted_at")
                .values_list("id", flat=True)[:500]
            ),
        ),
    ]


def _explain(org: Any) -> None:
    from django.db import connection
    from django.db.models import Q

    from heardback.hiring.models import Application, PromiseWatch

    samples = {
        "nudge_owners": Application.objects.filter(
            Q(respond_by__lte=NOW),
            org=org,
            status="active",
            pending_decline_at__isnull=True,
            promise_watch__in=[PromiseWatch.PENDING, PromiseWatch.REMINDED],
        )
        .order_by("respond_by")
        .values_list("id", flat=True)[:500],
        "keep_silence": Application.objects.filter(
            org=org,
            status="active",
            last_contacted_at__lte=NOW - timedelta(days=6),
            candidate__progress_updates_opt_out=False,
        )
        .order_by("last_contacted_at")
        .values_list("id", flat=True)[:500],
    }
    for name, qs in samples.items():
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            print(f"-- {name}")
            for (line,) in cursor.fetchall():
                print("   ", line)


def _measure(org: Any, runs: int) -> tuple[float, float, dict[str, int]]:
    baseline = _baseline()
    sweeps, selections = [], []
    done: dict[str, int] = {}
    for _ in range(runs):
        _reset(baseline)
        seconds, done = timed(_sweep)
        sweeps.append(seconds)
        assert sum(done.values()) >= 4 * PER_GROUP, done
        queries = _selection_queries(org)
        selections.append(timed(lambda q=queries: [fn() for _name, fn in q])[0])
    _reset(baseline)
    return median_of(sweeps), median_of(selections), done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)
    due = PER_GROUP * len(GROUPS)

    with scratch_database(BENCH_DB):
        from heardback.hiring.models import Application, Candidate

        org, _owner, job = make_org_and_job()
        print(f"machine: {machine()}")
        _load_due(job)
        _load_idle(job, args.small - due, "idle_a")
        analyze(Candidate, Application)
        small_sweep, small_select, done = _measure(org, args.runs)
        print(
            f"{args.small:>9,} active, {due} due: sweep {small_sweep * 1000:8.1f} ms, "
            f"selection queries {small_select * 1000:7.2f} ms  {done}"
        )

        seconds, _ = timed(lambda: _load_idle(job, args.large - args.small, "idle_b"))
        analyze(Candidate, Application)
        active = Application.objects.filter(status="active").count()
        print(f"(loaded {args.large - args.small:,} more in {seconds:.1f} s; {active:,} active)")
        large_sweep, large_select, done = _measure(org, args.runs)
        print(
            f"{args.large:>9,} active, {due} due: sweep {large_sweep * 1000:8.1f} ms, "
            f"selection queries {large_select * 1000:7.2f} ms  {done}"
        )
        if args.explain:
            _explain(org)
        print()
        print(
            f"RESULT sweep ratio {args.large:,}/{args.small:,}: "
            f"{large_sweep / small_sweep:.2f}× (target ≤ 1.5×); "
            f"selection queries alone {large_select / small_select:.2f}×"
        )


if __name__ == "__main__":
    main()
