"""`heardback import-csv FILE --org SLUG --as EMAIL [--dry-run] [--tell-candidates]`"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from heardback.hiring.models import Member, Org
from heardback.imports import services, storage
from heardback.imports.models import ImportRun, ImportStatus


class Command(BaseCommand):
    help = (
        "Import applications from a CSV file (the format is in docs/import.md). Always "
        "checks the whole file first and prints what would be created and every bad row; "
        "exits 1 if there is any. Without --dry-run it then imports, a chunk at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument(
            "--as", dest="as_email", required=True, help="the email of an admin of the org"
        )
        parser.add_argument("--dry-run", action="store_true", help="check only")
        parser.add_argument(
            "--tell-candidates",
            action="store_true",
            help="send each imported candidate the acknowledgement with their promised date",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        org = Org.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        actor = (
            Member.objects.filter(org=org, user__email__iexact=options["as_email"])
            .select_related("user", "org")
            .first()
        )
        if actor is None or actor.role != "admin":
            raise CommandError(f"{options['as_email']} is not an admin of {org.name}.")
        try:
            run = services.check_path(actor=actor, path=path)
        except services.ImportRefused as refused:
            raise CommandError(" ".join(refused.messages)) from refused
        self._summary(run)
        if run.status == ImportStatus.REFUSED:
            self._bad_rows(run)
            sys.exit(1)
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was imported.")
            return
        run = services.start(
            run=run, actor=actor, tell_candidates=options["tell_candidates"], hold_lease=True
        )
        run = services.run_to_the_end(run, progress=self._progress)
        self.stdout.write("")
        self._result(run)
        if run.status != ImportStatus.DONE:
            sys.exit(1)

    def _summary(self, run: ImportRun) -> None:
        s = run.summary
        self.stdout.write(
            f"{run.original_name}: {run.total} rows ({services.describe_format(run)})"
        )
        if run.status == ImportStatus.REFUSED:
            return
        self.stdout.write(
            f"Would create {s['applications_new']} applications, {s['candidates_new']} "
            f"candidates and {s['jobs_new']} jobs"
            f" ({s['applications_existing']} applications and {s['candidates_existing']} "
            "candidates already exist and are left as they are)."
        )
        for job in s["jobs"]:
            stages = ", ".join(f"{name}: {count}" for name, count in job["stages"]) or "none"
            new = " (new)" if job["new"] else ""
            self.stdout.write(f"  {job['title']}{new}: {stages}")
        if s["jobs_more"]:
            self.stdout.write(f"  … and {s['jobs_more']} more jobs")

    def _bad_rows(self, run: ImportRun) -> None:
        self.stdout.write(f"{run.bad_count} bad rows; nothing was imported:")
        problems = storage.problems_path(run.stored_name)
        if problems.exists():
            with problems.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                next(reader, None)
                for line, reason in reader:
                    self.stdout.write(f"  line {line}: {reason}")
        else:
            for bad in run.bad_rows:
                self.stdout.write(f"  line {bad['line']}: {bad['reason']}")

    def _progress(self, run: ImportRun) -> None:
        self.stdout.write(
            f"\rImported {run.done:,} of {run.total:,} rows ({run.percent}%)", ending=""
        )
        self.stdout.flush()

    def _result(self, run: ImportRun) -> None:
        if run.status == ImportStatus.DONE:
            told = (
                f"{run.messages_queued} candidates are being told."
                if run.tell_candidates
                else "No candidate was told (see docs/import.md: the watchdog speaks up)."
            )
            self.stdout.write(
                f"Imported: {run.applications_created} applications, "
                f"{run.candidates_created} new candidates, {run.jobs_created} new jobs. {told}"
            )
        else:
            self.stdout.write(
                f"The import stopped after {run.done} of {run.total} rows: {run.error} "
                f"Undo it in the console (import {run.pk})."
            )
