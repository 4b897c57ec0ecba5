import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from heardback.hiring.models import Org
from heardback.ops.supervisor import Part, Supervisor


class Command(BaseCommand):
    help = (
        "Migrate, load the demo org if the database is empty (development), then run the web "
        "app, the delivery worker, the scheduler, the network loop and the development mailbox "
        "together."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true")
        parser.add_argument("--workers", type=int, default=1, help="delivery worker processes")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready.")
        # Before the scheduler starts: the demo replays eight weeks on its own clock, and a
        # scheduler on the real clock must not act on a season still being written.
        wants_demo = settings.HEARDBACK_ENV == "development" and not options["no_demo"]
        if wants_demo and not Org.objects.exists():
            call_command("demo")
        heardback = [sys.executable, "-m", "heardback.cli"]
        parts: list[Part] = []
        if settings.DEVMAIL_ENABLED:
            parts.append(Part("mailbox", [*heardback, "devmail"]))
        if settings.DEBUG:
            web = [*heardback, "runserver", f"{options['host']}:{options['port']}", "--noreload"]
        else:
            call_command("collectstatic", interactive=False, verbosity=0)
            web = [
                sys.executable,
                "-m",
                "gunicorn",
                "heardback.wsgi",
                "--bind",
                f"{options['host']}:{options['port']}",
                "--workers",
                "2",
            ]
        parts.append(Part("web", web))
        parts.extend(
            Part(f"worker-{n + 1}", [*heardback, "worker"]) for n in range(options["workers"])
        )
        if "heardback.promises" in settings.INSTALLED_APPS:
            parts.append(Part("scheduler", [*heardback, "scheduler"]))
        # Steps that call other servers run in their own process, never in the scheduler.
        parts.append(Part("netloop", [*heardback, "netloop"]))
        supervisor = Supervisor(parts, out=self.stdout)
        supervisor.start()
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(f"\nHeardback is running at {url}")
        if settings.DEVMAIL_ENABLED:
            self.stdout.write(f"Read the emails it sent at {url}dev/mailbox/")
        self.stdout.write("Press Ctrl-C to stop.\n")
        sys.exit(supervisor.wait())
