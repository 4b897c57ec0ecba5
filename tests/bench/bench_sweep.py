"""Benchmark: one scheduler round with the same 200 due applications among 10,000 and among
1,000,000 active ones, and right before and right after a close-out of 100,000, on
PostgreSQL. A round should cost what is due, not what exists or what was just closed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heardback \
        .venv/bin/python -m tests.bench.bench_sweep [--small 10000] [--large 1000000] \
        [--closeout 100000] [--runs 5] [--explain]

A round is `scheduler.run_once()`: every registered engine step (held declines, close-outs,
reminders, nudges, updates, max silence, bulk actions, surveys, digests, …), including the
work itself (200 candidates' messages, nudges with links, escalations). Per size: the
round, and the due-selection queries alone. Then, among the large world, a job with
`--closeout` more active applications is closed through the scheduler, and the same round
is measured again right after (no VACUUM in between: what the scheduler meets in real life)
and three days later, when every closed-out candidate is due for the survey. The same 200
due rows are restored before every run. It creates and drops its own scratch database
(`heardback_bench_sweep_<pid>`). Not collected by pytest.
"""

# SQL here is built from model table names and fixed fragments, never from input (S608);
# ratios are printed with a multiplication sign (RUF001).
# ruff: noqa: S608, RUF001
from __future__ import annotations

import argparse
import os
import time
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

# Per process: two benchmarks run at once on one server must not drop each other's.
BENCH_DB = f"heardback_bench_sweep_{os.getpid()}"
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


STEP_SECONDS: dict[str, list[float]] = {}


def _timed_steps() -> Any:
    """Every registered engine step, each timed into STEP_SECONDS."""
    from heardback.runtime.steps import Step, steps

    def timed_step(step: Step) -> Step:
        def run(*, now: datetime, limit: int) -> int:
            started = time.perf_counter()
            try:
                return step.run(now=now, limit=limit)
            finally:
                STEP_SECONDS.setdefault(step.name, []).append(time.perf_counter() - started)

        return Step(name=step.name, run=run, order=step.order, loop=step.loop)

    return [timed_step(step) for step in steps("engine")]


def _sweep(at: datetime = NOW) -> dict[str, int]:
    """One scheduler round at `at`: every registered engine step, as `heardback scheduler`
    runs them (each step timed on the side)."""
    from unittest import mock

    from heardback import clock
    from heardback.promises import scheduler

    with (
        clock.use_clock(clock.VirtualClock(at)),
        mock.patch.object(scheduler, "all_steps", _timed_steps),
    ):
        return scheduler.run_once(now=at)


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
    STEP_SECONDS.clear()
    for _ in range(runs):
        _reset(baseline)
        seconds, done = timed(_sweep)
        sweeps.append(seconds)
        assert sum(done.values()) >= 4 * PER_GROUP, done
        queries = _selection_queries(org)
        selections.append(timed(lambda q=queries: [fn() for _name, fn in q])[0])
    _reset(baseline)
    return median_of(sweeps), median_of(selections), {k: v for k, v in done.items() if v}


def _slowest_steps() -> str:
    """The three slowest steps of the measured rounds (median ms each)."""
    medians = sorted(((median_of(v), k) for k, v in STEP_SECONDS.items()), reverse=True)
    return ", ".join(f"{name} {seconds * 1000:.1f}" for seconds, name in medians[:3])


def _close_out_among(org: Any, owner: Any, count: int) -> tuple[float, int]:
    """A job of `count` active applications, closed through the scheduler at NOW."""
    from heardback import clock
    from heardback.hiring import services as hiring
    from heardback.hiring.models import Application, Candidate
    from heardback.promises import scheduler, services
    from heardback.promises.models import CloseOut

    job = hiring.create_job(org=org, title="Closing role", owner=owner)
    load_applications(
        job=job,
        count=count,
        tag="closing",
        respond_by="%s::timestamptz + (g %% 10000) * interval '1 minute'",
        last_contacted_at="%s::timestamptz - (g %% 5000) * interval '1 minute'",
        params=[NOW + timedelta(days=3), NOW - timedelta(hours=12)],
    )
    analyze(Candidate, Application)
    rounds = 0
    with clock.use_clock(clock.VirtualClock(NOW)):
        started = time.perf_counter()
        close_out = services.close_job(job=job, actor=owner)
        while not CloseOut.objects.filter(pk=close_out.pk, finished_at__isnull=False).exists():
            scheduler.run_once(now=NOW)
            rounds += 1
        return time.perf_counter() - started, rounds


def _survey_rounds(rounds: int) -> list[tuple[float, float, int]]:
    """Rounds three days after the close-out, every closed-out candidate due for the survey
    (their final messages marked sent at the close): (round s, survey step s, invited)."""
    from heardback.messaging.models import Message

    execute(
        f"UPDATE {Message._meta.db_table} SET status = 'sent', sent_at = created_at "
        "WHERE kind = 'close_out'"
    )
    later = NOW + timedelta(days=3, hours=1)
    measured = []
    for _ in range(rounds):
        STEP_SECONDS.clear()
        seconds, done = timed(lambda: _sweep(later))
        survey = STEP_SECONDS["send_survey_invitations"][-1]
        measured.append((seconds, survey, done.get("send_survey_invitations", 0)))
    return measured


def _survey_explain(at: datetime) -> None:
    from django.db import connection

    from heardback.portal import survey

    sql, params = survey.due(now=at)[:1000].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        print("-- the survey step's selection, with 100,000 closed-out candidates due")
        for (line,) in cursor.fetchall():
            print("   ", line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--closeout", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)
    due = PER_GROUP * len(GROUPS)

    with scratch_database(BENCH_DB):
        from heardback.hiring.models import Application, Candidate

        org, owner, job = make_org_and_job()
        print(f"machine: {machine()}")
        _load_due(job)
        _load_idle(job, args.small - due, "idle_a")
        analyze(Candidate, Application)
        small_sweep, small_select, done = _measure(org, args.runs)
        print(
            f"{args.small:>9,} active, {due} due: round {small_sweep * 1000:8.1f} ms, "
            f"selection queries {small_select * 1000:7.2f} ms  {done}; slowest steps (ms): "
            f"{_slowest_steps()}"
        )

        seconds, _ = timed(lambda: _load_idle(job, args.large - args.small, "idle_b"))
        analyze(Candidate, Application)
        active = Application.objects.filter(status="active").count()
        print(f"(loaded {args.large - args.small:,} more in {seconds:.1f} s; {active:,} active)")
        large_sweep, large_select, done = _measure(org, args.runs)
        print(
            f"{args.large:>9,} active, {due} due: round {large_sweep * 1000:8.1f} ms, "
            f"selection queries {large_select * 1000:7.2f} ms  {done}; slowest steps (ms): "
            f"{_slowest_steps()}"
        )
        if args.explain:
            _explain(org)
        print(
            f"RESULT round ratio {args.large:,}/{args.small:,}: "
            f"{large_sweep / small_sweep:.2f}× (target ≤ 1.5×); "
            f"selection queries alone {large_select / small_select:.2f}×"
        )

        if args.closeout:
            seconds, rounds = _close_out_among(org, owner, args.closeout)
            print(
                f"closed a job of {args.closeout:,} through the scheduler in {seconds:.2f} s "
                f"({rounds} rounds); no VACUUM since"
            )
            after_sweep, after_select, done = _measure(org, args.runs)
            print(
                f"right after the close-out, {due} due: round {after_sweep * 1000:8.1f} ms, "
                f"selection queries {after_select * 1000:7.2f} ms  {done}; slowest steps "
                f"(ms): {_slowest_steps()}"
            )
            print(
                f"RESULT round right after / before the close-out: "
                f"{after_sweep / large_sweep:.2f}× (target: flat); selection queries "
                f"{after_select / large_select:.2f}×"
            )
            survey_rounds = _survey_rounds(args.runs)
            for n, (round_s, survey_s, invited) in enumerate(survey_rounds, 1):
                print(
                    f"three days later, round {n}: {round_s * 1000:8.1f} ms, of which the survey "
                    f"step {survey_s * 1000:8.1f} ms inviting {invited}"
                )
            if args.explain:
                _survey_explain(NOW + timedelta(days=3, hours=1))


if __name__ == "__main__":
    main()
