import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from heardback.messaging import delivery


class Command(BaseCommand):
    help = "Deliver queued messages. Run as many as you like, on any number of machines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--once", action="store_true", help="Deliver what is due, then exit")
        parser.add_argument("--idle-sleep", type=float, default=1.0)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            report = delivery.drain(batch_size=options["batch_size"])
            self.stdout.write(
                f"sent {report.sent}, retrying {report.retried}, failed {report.failed}"
            )
            return
        stop = threading.Event()
        # SIGTERM/SIGINT finish the batch in hand, then exit: nothing is left half-marked.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        delivery.run_forever(
            stop=stop, batch_size=options["batch_size"], idle_sleep=options["idle_sleep"]
        )
