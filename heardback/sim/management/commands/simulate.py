from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from heardback.compliance.profiles import JURISDICTIONS
from heardback.sim.season import SeasonConfig, simulate


class Command(BaseCommand):
    help = (
        "Replay a hiring season against the real system on a virtual clock and print the "
        "outcome. Runs in a scratch database (see `heardback simulate --help` in the README)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jobs", type=int, default=40)
        parser.add_argument("--applicants", type=int, default=20_000)
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument(
            "--diligence",
            type=float,
            default=0.5,
            help="Share of nudges a hiring manager acts on (0.0 to 1.0)",
        )
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--via",
            choices=["greenhouse"],
            default="",
            help="Let the season's events enter through the Greenhouse bridge",
        )
        parser.add_argument(
            "--jurisdiction",
            choices=sorted(JURISDICTIONS),
            default="",
            help="Run the season as an employer there: interviews are logged and the report "
            "counts legal deadlines missed",
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="Run against this database instead of a scratch SQLite file",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Exit non-zero if anyone was ghosted or check-silence fails",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0.0 <= options["diligence"] <= 1.0:
            raise CommandError("--diligence must be between 0.0 and 1.0")
        for name in ("jobs", "applicants", "days"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1")
        call_command("migrate", interactive=False, verbosity=0)
        config = SeasonConfig(
            jobs=options["jobs"],
            applicants=options["applicants"],
            days=options["days"],
            diligence=options["diligence"],
            seed=options["seed"],
            via=options["via"],
            jurisdiction=options["jurisdiction"],
        )
        self.stdout.write(f"Simulating {config.days} days … (this takes a while at full size)")
        report = simulate(config)
        self.stdout.write(report.table())
        for example in report.ghosted_examples:
            self.stdout.write(f"  ghosted: {example}")
        if options["strict"] and (report.ghosted or report.check_silence_violations):
            raise CommandError("Some candidates were ghosted.")
        if options["strict"] and report.legal_deadlines_missed:
            raise CommandError("Some legal deadlines were missed.")
