import sys
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand

from heardback import clock
from heardback.compliance.selectors import missed_deadlines


class Command(BaseCommand):
    help = (
        "Check the legal duty to answer interviewed applicants over the whole database: "
        "exits 1 listing every interviewed applicant past the deadline without an answer "
        "(a decision, or the notice that no decision has been made yet)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        now = clock.now()
        count = 0
        for missed in missed_deadlines(now=now):
            count += 1
            days = (now - missed.due_at).total_seconds() / 86400
            self.stdout.write(
                f"application {missed.application_id} ({missed.candidate}, {missed.job}): "
                f"last interview {missed.last_interview_at.astimezone(ZoneInfo('UTC')):%Y-%m-%d}, "
                f"legal deadline {missed.due_at:%Y-%m-%d %H:%M} UTC passed {days:.1f} days ago "
                "without an answer"
            )
        if not count:
            self.stdout.write("OK: every interviewed applicant was answered within the deadline.")
            return
        self.stdout.write(f"{count} interviewed applicant(s) past the legal deadline.")
        sys.exit(1)
