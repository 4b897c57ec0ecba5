"""Isolation benchmark: does one broken org slow down everyone else's promises?

    HEARDBACK_ENV=test python -m heardback.bench.isolation                  # SQLite
    HEARDBACK_ENV=test DATABASE_URL=postgres://user@host:5432/heardback \\
        python -m heardback.bench.isolation                                 # PostgreSQL
    python -m heardback.bench.isolation --orgs 100 --runs 5 --poisoned-scale 10

A world of `--orgs` healthy orgs, each with the same due work at one moment: 5 owners'
nudges, 5 honest "no decision yet" updates and 1 held decline (`--nudges`, `--updates`,
`--declines`). Each run times one round of the real scheduler (`scheduler.run_once`) in
two scenarios, in alternating order:

* healthy: only the healthy orgs have anything due;
* poisoned: the same, plus one org whose templates no longer render (stage, close-out and
  held-decline texts saved before the sandbox existed), which also closes a job (a
  close-out with a broken template), and whose honest updates and nudges raise (the
  functions that send them are wrapped to fail for that org only, as a bug or a bad row
  would; the same wrappers are in place in both scenarios). `--poisoned-scale` multiplies
  that org's work.

Both scenarios count the healthy orgs' actions done in the round (every one of them must be
done) and divide by the round's wall-clock time (and, as a cross-check less sensitive to a
busy machine, by this process's CPU time). The result is the median ratio
poisoned/healthy of healthy actions per second; the target is at least 0.95. Between runs
the due state is restored and whatever the round wrote is deleted. Everything runs in a
throwaway database (created and dropped like the test runner's), never the real one.
"""

# ruff: noqa: RUF001 - results are printed with a multiplication sign and "≥"
from __future__ import annotations

import argparse
import gc
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from heardback.bench.scratch import scratch_database

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, far from German public holidays
NOW = START + timedelta(days=4)  # the round: everything below is due at this moment
FAR = START + timedelta(days=60)  # a promise that is not due for anything at NOW

POISONED_STAGE_BODY = 'Hello {{ first_name }}{% if job_title %}{% include "nope" %}{% endif %}'
POISONED_CLOSE_OUT_BODY = 'Hi {{ first_name|ljust:"20000000" }}, the job is gone.'
POISONED_DECLINE_BODY = 'Dear {{ first_name|wordwrap:"abc" }}, no.'
HEALTHY_DECLINE_BODY = "Hello {{ first_name }}, we went another way. Thank you."


@dataclass
class Group:
    """One kind of due work, over many orgs."""

    nudges: list[int] = field(default_factory=list)
    updates: list[int] = field(default_factory=list)
    declines: list[int] = field(default_factory=list)

    def all(self) -> list[int]:
        return self.nudges + self.updates + self.declines


@dataclass
class World:
    healthy: Group
    poisoned: Group
    poisoned_org_id: int
    closing_job_id: int
    closing_ids: list[int]
    baseline: dict[str, int]

    @property
    def healthy_actions(self) -> int:
        return len(self.healthy.all())


@dataclass
class Round:
    seconds: float  # wall clock
    cpu: float  # this process's CPU time (SQLite works in-process: nearly all of the work)
    healthy_done: int
    poisoned_faults: int = 0

    @property
    def rate(self) -> float:
        return self.healthy_done / self.seconds

    @property
    def cpu_rate(self) -> float:
        return self.healthy_done / self.cpu


# --- building the world (through the real services, once) ----------------------------------


def _user(email: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username=email, email=email, password=None)


def _org(n: int, *, prefix: str) -> tuple[Any, Any, Any]:
    """An org with an admin, a hiring manager and one job; returns (org, owner, job)."""
    from heardback.hiring import services
    from heardback.hiring.models import Role

    org = services.create_org(
        name=f"{prefix} {n}", slug=f"{prefix.lower()}-{n}", country="DE", time_zone="Europe/Berlin"
    )
    domain = f"{prefix.lower()}{n}.example"
    services.add_member(org=org, user=_user(f"admin@{domain}"), role=Role.ADMIN)
    owner = services.add_member(org=org, user=_user(f"hm@{domain}"), role=Role.HIRING_MANAGER)
    job = services.create_job(org=org, title=f"Engineer {n}", owner=owner)
    return org, owner, job


def _apply(job: Any, tag: str, count: int, into: list[int]) -> None:
    from heardback.hiring import services

    for i in range(count):
        application = services.apply(
            job=job, name=f"{tag.title()}{i} Person", email=f"{tag}{i}-{job.pk}@example.net"
        )
        into.append(application.pk)


def build(*, orgs: int, nudges: int, updates: int, declines: int, scale: int) -> World:
    from heardback.hiring import services
    from heardback.hiring.models import Job, Stage

    healthy, poisoned = Group(), Group()
    for n in range(orgs):
        _, _, job = _org(n, prefix="Healthy")
        _apply(job, "nudge", nudges, healthy.nudges)
        _apply(job, "update", updates, healthy.updates)
        _apply(job, "decline", declines, healthy.declines)
    org, owner, job = _org(0, prefix="Poisoned")
    _apply(job, "nudge", nudges * scale, poisoned.nudges)
    _apply(job, "update", updates * scale, poisoned.updates)
    _apply(job, "decline", declines * scale, poisoned.declines)
    closing = services.create_job(org=org, title="Closing", owner=owner)
    closing_ids = [
        services.apply(job=closing, name=f"Close{i} Person", email=f"close{i}@example.net").pk
        for i in range(5 * scale)
    ]
    # Saved before the sandbox existed: written straight to the rows.
    Stage.objects.filter(org=org).update(body_template=POISONED_STAGE_BODY)
    Job.objects.filter(pk=closing.pk).update(closeout_body=POISONED_CLOSE_OUT_BODY)
    return World(
        healthy=healthy,
        poisoned=poisoned,
        poisoned_org_id=org.pk,
        closing_job_id=closing.pk,
        closing_ids=closing_ids,
        baseline=_baseline(),
    )


def _written_models() -> list[Any]:
    """Everything a round may write (rows newer than the baseline are deleted between runs)."""
    from heardback.hiring.models import Event
    from heardback.messaging.models import Message
    from heardback.promises.models import ActionLink, CloseOut
    from heardback.runtime.models import Fault

    return [Message, Event, ActionLink, CloseOut, Fault]


def _baseline() -> dict[str, int]:
    from django.db.models import Max

    return {
        model._meta.label: model.objects.aggregate(top=Max("pk"))["top"] or 0
        for model in _written_models()
    }


# --- resetting the due state before each round ----------------------------------------------


def reset(world: World, *, poisoned: bool) -> None:
    """Restore the due state; with `poisoned`, the poisoned org has its work due too."""
    from django.db import transaction

    from heardback import clock
    from heardback.hiring.models import Application, Job, JobStatus, PromiseWatch
    from heardback.promises import services as engine

    with transaction.atomic():
        everyone = world.healthy.all() + world.poisoned.all() + world.closing_ids
        Application.objects.filter(pk__in=everyone).update(
            status="active",
            decided_at=None,
            decline_reason="",
            closed_out_by=None,
            extensions_used=0,
            respond_by=FAR,
            promise_watch=PromiseWatch.PENDING,
            last_contacted_at=START,
            last_automated_at=START,
            pending_decline_at=None,
            pending_decline_reason="",
            pending_decline_subject="",
            pending_decline_body="",
            pending_decline_by=None,
        )
        for model in _written_models():
            model.objects.filter(pk__gt=world.baseline[model._meta.label]).delete()
        Job.objects.filter(pk=world.closing_job_id).update(status=JobStatus.OPEN, closed_at=None)
        groups = [(world.healthy, HEALTHY_DECLINE_BODY)]
        if poisoned:
            groups.append((world.poisoned, POISONED_DECLINE_BODY))
        for group, decline_body in groups:
            Application.objects.filter(pk__in=group.nudges).update(
                respond_by=NOW - timedelta(minutes=1)
            )
            Application.objects.filter(pk__in=group.updates).update(
                respond_by=NOW - timedelta(hours=25), promise_watch=PromiseWatch.NUDGED
            )
            Application.objects.filter(pk__in=group.declines).update(
                pending_decline_at=NOW - timedelta(hours=1),
                pending_decline_reason="other",
                pending_decline_subject="About {{ job_title }}",
                pending_decline_body=decline_body,
            )
        if poisoned:
            with clock.use_clock(lambda: NOW - timedelta(minutes=5)):
                job = Job.objects.select_related("org").get(pk=world.closing_job_id)
                engine.close_job(job=job, actor=None)


def healthy_done(world: World) -> int:
    """How many of the healthy orgs' due actions the round did."""
    from heardback.hiring.models import Application, PromiseWatch
    from heardback.messaging.models import Message

    nudged = Application.objects.filter(
        pk__in=world.healthy.nudges, promise_watch=PromiseWatch.NUDGED
    ).count()
    updated = Message.objects.filter(
        application_id__in=world.healthy.updates, kind="no_decision_yet"
    ).count()
    declined = Message.objects.filter(
        application_id__in=world.healthy.declines, kind="decline"
    ).count()
    return nudged + updated + declined


@contextmanager
def failing_for(org_id: int) -> Iterator[None]:
    """The poisoned org's honest updates and nudges raise (everyone else's work as usual)."""
    from heardback.hiring import services as hiring
    from heardback.messaging.kinds import MessageKind
    from heardback.promises import team_mail

    tell, nudge = hiring.tell_candidate, team_mail.send_nudge

    def failing_tell(application: Any, **kwargs: Any) -> Any:
        if application.org_id == org_id and kwargs.get("kind") == MessageKind.NO_DECISION_YET:
            raise RuntimeError("a bug that only this org's data triggers")
        return tell(application, **kwargs)

    def failing_nudge(member: Any, applications: Any) -> None:
        if member.org_id == org_id:
            raise RuntimeError("a bug that only this org's data triggers")
        nudge(member, applications)

    hiring.tell_candidate = failing_tell
    team_mail.send_nudge = failing_nudge
    try:
        yield
    finally:
        hiring.tell_candidate = tell
        team_mail.send_nudge = nudge


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Log records are formatted and written as in production, but to /dev/null."""
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    with open(os.devnull, "w") as sink:
        previous = [h.setStream(sink) for h in handlers]
        try:
            yield
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                if stream is not None:
                    handler.setStream(stream)


def settle() -> None:
    """Start every round alike: no garbage from the last one, SQLite's log written back."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    gc.collect()


def one_round(world: World, *, poisoned: bool) -> Round:
    from heardback import clock
    from heardback.promises import scheduler
    from heardback.runtime.models import Fault

    reset(world, poisoned=poisoned)
    settle()
    with clock.use_clock(lambda: NOW), quiet_logs(), failing_for(world.poisoned_org_id):
        started, cpu = time.perf_counter(), time.process_time()
        scheduler.run_once(now=NOW)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    done = healthy_done(world)
    if done != world.healthy_actions:
        raise RuntimeError(f"the round did {done} of {world.healthy_actions} healthy actions")
    faults = Fault.objects.filter(org_id=world.poisoned_org_id, resolved_at__isnull=True).count()
    if poisoned and not faults:
        raise RuntimeError("the poisoned org recorded no faults: nothing was poisoned")
    return Round(seconds=seconds, cpu=cpu, healthy_done=done, poisoned_faults=faults)


# --- the command ------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="heardback.bench.isolation", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--orgs", type=int, default=100, help="healthy orgs")
    parser.add_argument("--nudges", type=int, default=5, help="due nudges per org")
    parser.add_argument("--updates", type=int, default=5, help="due honest updates per org")
    parser.add_argument("--declines", type=int, default=1, help="due held declines per org")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--poisoned-scale", type=int, default=1, help="multiply the poisoned org's work"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> float:
    args = parse(argv)
    with scratch_database("isolation") as vendor:
        from heardback import clock

        started = time.perf_counter()
        with clock.use_clock(lambda: START):
            world = build(
                orgs=args.orgs,
                nudges=args.nudges,
                updates=args.updates,
                declines=args.declines,
                scale=args.poisoned_scale,
            )
        print(
            f"isolation benchmark: {args.orgs} healthy orgs × {args.nudges} nudges + "
            f"{args.updates} honest updates + {args.declines} held declines "
            f"= {world.healthy_actions} due actions; one poisoned org "
            f"(×{args.poisoned_scale}: {len(world.poisoned.all())} due items and a close-out "
            f"of {len(world.closing_ids)}); {vendor}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}; built in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        one_round(world, poisoned=False)  # warm up: caches, prepared plans, imports
        healthy: list[Round] = []
        poisoned: list[Round] = []
        order: list[Callable[[], None]]
        for number in range(1, args.runs + 1):
            order = [
                lambda: healthy.append(one_round(world, poisoned=False)),
                lambda: poisoned.append(one_round(world, poisoned=True)),
            ]
            for step in order if number % 2 else reversed(order):
                step()
            h, p = healthy[-1], poisoned[-1]
            print(
                f"run {number}: healthy {h.seconds * 1000:6.0f} ms ({h.rate:5.0f} actions/s, "
                f"CPU {h.cpu * 1000:6.0f} ms)   with the poisoned org {p.seconds * 1000:6.0f} ms "
                f"({p.rate:5.0f} actions/s, CPU {p.cpu * 1000:6.0f} ms; {p.poisoned_faults} "
                f"open faults there)   ratio {p.rate / h.rate:.2f} "
                f"(CPU {p.cpu_rate / h.cpu_rate:.2f})",
                flush=True,
            )
        pairs = list(zip(healthy, poisoned, strict=True))
        ratio = statistics.median(p.rate / h.rate for h, p in pairs)
        cpu_ratio = statistics.median(p.cpu_rate / h.cpu_rate for h, p in pairs)
        print(
            f"median: healthy {statistics.median(r.seconds for r in healthy) * 1000:.0f} ms "
            f"per round ({statistics.median(r.rate for r in healthy):.0f} healthy actions/s), "
            f"with the poisoned org {statistics.median(r.seconds for r in poisoned) * 1000:.0f} ms "
            f"({statistics.median(r.rate for r in poisoned):.0f} healthy actions/s); "
            f"{world.healthy_actions} of {world.healthy_actions} healthy actions done in every "
            f"round"
        )
        poisoned_items = len(world.poisoned.all()) + len(world.closing_ids)
        extra = statistics.median(p.cpu - h.cpu for h, p in pairs) / poisoned_items
        per_action = statistics.median(h.cpu for h in healthy) / world.healthy_actions
        print(
            f"CPU per item of the poisoned org (failed, fallen back or closed out): "
            f"{extra * 1000:.2f} ms; per healthy action: {per_action * 1000:.2f} ms"
        )
        print(
            f"RESULT ratio poisoned/healthy (healthy actions per second): {ratio:.2f} wall clock, "
            f"{cpu_ratio:.2f} CPU time (target ≥ 0.95)"
        )
    return ratio


if __name__ == "__main__":
    main(sys.argv[1:])
