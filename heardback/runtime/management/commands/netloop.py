import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from heardback.runtime import network


class Command(BaseCommand):
    help = "Run the network loop: the steps that call other servers (live employer status)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One round, then exit")
        parser.add_argument(
            "--interval", type=float, default=settings.NETWORK_LOOP_INTERVAL_SECONDS
        )
        parser.add_argument("--limit", type=int, default=500, help="Items per step per round")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            self.stdout.write(str(network.run_once(limit=options["limit"])))
            return
        stop = threading.Event()
        # SIGTERM/SIGINT start no new fetch; those in flight end by their deadline, then exit.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        network.run_forever(stop=stop, interval=options["interval"], limit=options["limit"])
