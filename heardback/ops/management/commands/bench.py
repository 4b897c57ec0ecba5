"""`heardback bench <name> [options]`: run one of the benchmarks in `heardback.bench`.

They ship with the package, not in tests/, so the command works from an installed copy
(which has no tests/). They are not tests: timing on a shared machine is for a person to
read, not for CI to assert.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

BENCHMARKS = {
    "delivery": "heardback.bench.delivery",
    "api": "heardback.bench.api",
}


class Command(BaseCommand):
    help = "Run a benchmark (a throwaway database is created and dropped): " + ", ".join(BENCHMARKS)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=sorted(BENCHMARKS))
        parser.add_argument("options", nargs="*", help="passed on, e.g. --n 10000 --runs 3")

    def run_from_argv(self, argv: list[str]) -> None:
        # Everything after the benchmark's name belongs to the benchmark, flags included.
        if len(argv) > 2 and argv[2] in BENCHMARKS:
            self.execute(
                argv[2],
                options=argv[3:],
                traceback=False,
                verbosity=1,
                no_color=False,
                force_color=False,
                skip_checks=True,
            )
            return
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"] if not args else args[0]
        module = importlib.import_module(BENCHMARKS[name])
        module.main(list(options.get("options") or []))
