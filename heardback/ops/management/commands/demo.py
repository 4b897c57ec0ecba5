from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from heardback.hiring.models import Org
from heardback.ops.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo org (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("The demo has well-known passwords; it refuses production.")
        if Org.objects.filter(slug="northwind").exists():
            raise CommandError("The demo org already exists.")
        self.stdout.write("Replaying eight weeks of a hiring season for the demo org…")
        self.stdout.flush()
        org, logins = load_demo()
        self.stdout.write(
            f"Loaded the demo org “{org.name}”: {org.applications.count()} applications.\n"
            f"Sign in as {logins.admin}, {logins.recruiter} or {logins.manager} "
            f"with the password “{logins.password}”."
        )
