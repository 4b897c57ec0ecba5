"""`heardback sender-domain ORG [--verify | --unverify]`: the operator's check of an org's
sending domain (docs/branding.md).

Heardback sends an org's email From its own address only after the operator has confirmed
that the domain's SPF record allows the platform's mail servers and that DKIM signs for it;
without that, receivers would reject or junk the mail, and anyone could type someone
else's domain. Without a flag it prints the org's sender, its state and the records to
publish.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from heardback.hiring import branding
from heardback.hiring.models import Org


class Command(BaseCommand):
    help = "Show, verify or unverify an org's sending address (From)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("org", help="the org's slug")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--verify", action="store_true", help="SPF and DKIM are in place")
        group.add_argument("--unverify", action="store_true", help="send from the platform again")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Org.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No org with the slug “{options['org']}”.")
        if options["verify"] or options["unverify"]:
            try:
                branding.set_sender_verified(org=org, verified=options["verify"])
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        state = "verified" if org.sender_verified_at else "not verified"
        self.stdout.write(f"{org.name}: sending address {org.sender_email or '(none)'}, {state}")
        self.stdout.write(f"From:     {branding.from_address(org)}")
        self.stdout.write(f"Reply-To: {branding.reply_to_address(org) or '(none)'}")
