import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from heardback.devmail.server import start


class Command(BaseCommand):
    help = "Run the local development SMTP server that fills the mailbox page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1025)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEVMAIL_ENABLED:
            raise CommandError("The development mailbox is disabled (production mode).")
        controller = start(settings.DEVMAIL_MAILDIR, host=options["host"], port=options["port"])
        self.stdout.write(f"Development SMTP server on {options['host']}:{options['port']}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()
        controller.stop()
