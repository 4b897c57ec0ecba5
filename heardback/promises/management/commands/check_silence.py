import sys
from typing import Any

from django.core.management.base import BaseCommand

from heardback import clock
from heardback.promises.invariants import find_violations


class Command(BaseCommand):
    help = (
        "Check the no-ghost invariants over the whole database: exits 1 listing every active "
        "application silent longer than its org's window or past its promise without an update."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        violations = find_violations(now=clock.now())
        if not violations:
            self.stdout.write("OK: no active candidate is silent too long or past a promise.")
            return
        for v in violations:
            self.stdout.write(
                f"application {v.application_id} ({v.candidate}, {v.job}): {v.problem}"
            )
        self.stdout.write(f"{len(violations)} violation(s).")
        sys.exit(1)
