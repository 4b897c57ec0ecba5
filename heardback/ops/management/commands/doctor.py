import json
import sys
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from heardback import clock
from heardback.hiring.models import Org
from heardback.promises.selectors import overdue_work
from heardback.runtime import selectors
from heardback.runtime.selectors import Problem

EXPECTED_ROLES = ("scheduler", "worker")


class Command(BaseCommand):
    help = (
        "Say what needs a person: background processes, items that keep failing, templates "
        "that failed at send time, work overdue. Exits 1 if anything does, else 0."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-processes",
            action="store_true",
            help="a scheduler and a delivery worker should be running: their absence counts",
        )
        parser.add_argument("--json", action="store_true", help="one JSON object, for machines")

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        beats = selectors.heartbeats(now=now)
        expected = EXPECTED_ROLES if options["expect_processes"] else ()
        missing = selectors.missing_roles(beats, expected=expected)
        problems = selectors.all_problems(now=now)
        overdue = overdue_work(now=now)
        names = dict(
            Org.objects.filter(pk__in={p.org_id for p in problems if p.org_id}).values_list(
                "pk", "name"
            )
        )
        needing = len(missing) + len(problems) + overdue.total
        if options["json"]:
            report = {
                "ok": not needing,
                "needs_a_person": needing,
                "checked_at": now.isoformat(),
                "processes": [
                    {
                        "role": b.role,
                        "process": b.process,
                        "started_at": b.started_at.isoformat(),
                        "beat_at": b.beat_at.isoformat(),
                        "stale": b.stale,
                    }
                    for b in beats
                ],
                "missing_processes": missing,
                "stuck_items": [_json(p, names) for p in problems if not p.is_template],
                "failing_templates": [_json(p, names) for p in problems if p.is_template],
                "overdue_work": {
                    "queued_messages": overdue.queued_messages,
                    "held_declines": overdue.held_declines,
                    "promises": overdue.promises,
                    "close_outs": overdue.close_outs,
                },
            }
            self.stdout.write(json.dumps(report, indent=2))
        else:
            self._processes(beats, missing, now=now)
            self._problems("Stuck items", [p for p in problems if not p.is_template], names)
            self._problems("Failing templates", [p for p in problems if p.is_template], names)
            self.stdout.write("\nOverdue work")
            for line in overdue.lines() or ["none"]:
                self.stdout.write(f"  {line}")
            if needing:
                self.stdout.write(f"\n{needing} thing(s) need a person.")
            else:
                self.stdout.write("\nAll good.")
        if needing:
            sys.exit(1)

    def _processes(
        self, beats: list[selectors.ProcessBeat], missing: list[str], *, now: datetime
    ) -> None:
        self.stdout.write("Processes")
        for b in beats:
            ago = int((now - b.beat_at).total_seconds())
            flag = "  STALE" if b.stale else ""
            self.stdout.write(
                f"  {b.role:<10} {b.process:<40} last beat {b.beat_at:%Y-%m-%d %H:%M:%S} UTC "
                f"({ago} s ago){flag}"
            )
        if not beats:
            self.stdout.write("  none has reported yet")
        for role in missing:
            self.stdout.write(f"  {role:<10} MISSING: no {role} has reported in time")

    def _problems(self, title: str, problems: list[Problem], names: dict[int, str]) -> None:
        self.stdout.write(f"\n{title}")
        if not problems:
            self.stdout.write("  none")
        current: object = object()
        for problem in problems:
            if problem.org_id != current:
                current = problem.org_id
                self.stdout.write(f"  {_org(problem, names)}")
            self.stdout.write(f"    - {problem.line}")


def _org(problem: Problem, names: dict[int, str]) -> str:
    if problem.org_id is None:
        return "The whole installation"
    return f"{names.get(problem.org_id, 'a deleted organisation')} (org {problem.org_id})"


def _json(problem: Problem, names: dict[int, str]) -> dict[str, Any]:
    return {
        "org_id": problem.org_id,
        "org": _org(problem, names),
        "source": problem.source,
        "item": problem.item,
        "label": problem.label,
        "attempts": problem.attempts,
        "first_failed_at": problem.first_failed_at.isoformat(),
        "last_failed_at": problem.last_failed_at.isoformat(),
        "next_try_at": problem.next_try_at.isoformat(),
        "error": problem.error,
        "line": problem.line,
    }
