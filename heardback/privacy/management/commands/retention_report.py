"""`heardback retention-report`: the dry run of the retention step. Changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from heardback import clock
from heardback.hiring.models import Org
from heardback.privacy import retention, services


class Command(BaseCommand):
    help = "List the candidates whose personal data the retention step would anonymise now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="Only this org (its slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        org = None
        if options["org"]:
            org = Org.objects.filter(slug=options["org"]).first()
            if org is None:
                self.stderr.write(f"No org with the slug {options['org']!r}.")
                raise SystemExit(2)
        now = clock.now()
        found = retention.report(now=now, org=org)
        orgs = Org.objects.filter(pk=org.pk) if org else Org.objects.order_by("pk")
        for each in orgs:
            policy = services.policy_for(each)
            mine = [d for d in found if d.org_id == each.pk]
            due = [d for d in mine if not d.held]
            held = [d for d in mine if d.held]
            self.stdout.write(
                f"{each.name}: {policy.months_after_decision} months after the final "
                f"decision{'' if not policy.include_hired else ', hired included'}: "
                f"{len(due)} to anonymise, {len(held)} kept by a legal hold"
            )
            for d in mine:
                state = "kept (legal hold)" if d.held else "would be anonymised"
                kept = retention.records_kept_until(d.candidate_id, d.org_id)
                record = (
                    f"; the anonymised record is kept at least until {kept[0]:%Y-%m-%d} ({kept[1]})"
                    if kept
                    else ""
                )
                self.stdout.write(
                    f"  candidate {d.candidate_id}: last decision "
                    f"{d.last_decision:%Y-%m-%d}, {state}{record}"
                )
        self.stdout.write(f"dry run: nothing was changed ({len(found)} listed)")
