"""Delivery benchmark: the real worker against a bare smtplib loop, same bytes, same server.

    HEARDBACK_ENV=test python -m heardback.bench.delivery              # SQLite
    HEARDBACK_ENV=test DATABASE_URL=postgres://user@host:5432/heardback \\
        python -m heardback.bench.delivery                             # PostgreSQL
    heardback bench delivery [--n 10000] [--runs 3] [--batch-size 100] [--profile]

Each run loads N rendered messages (about 1 KB each) into a fresh outbox, then times
  * the worker: `claim_batch` + `deliver_batch` in batches over one SMTP connection, with
    every lease, compare-and-set and status write the production worker does (`drain()`);
  * the ceiling: the very bytes the worker sent, pushed with `smtplib.sendmail` in a loop
    over one connection, with no database at all.
Both go to one local aiosmtpd server running in its own process (so it does not share the
client's interpreter lock). The benchmark uses a throwaway test database, created and
dropped like the test runner's, never the real one. It is not a pytest test on purpose:
timing assertions on a shared 2-core machine would be flaky, so the numbers are recorded
in docs/benchmarks.md instead.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import os
import platform
import pstats
import smtplib
import socket
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

BODY = (
    "Hello {{ first_name }},\n\n"
    "Thank you for applying for {{ job_title }} at {{ org_name }}. A person will read it.\n\n"
    "You will hear from us by {{ respond_by }}, whatever the news.\n\n"
    "Kind regards,\n{{ org_name }}"
)
SUBJECT = "We received your application for {{ job_title }}"


# --- the SMTP server, in its own process ------------------------------------------------------


def _serve(port: int, counter: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            counter.value += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.counter = context.Value("l", 0, lock=False)  # one writer: the server's loop
        self._ready, self._stop = context.Event(), context.Event()
        self.process = context.Process(
            target=_serve, args=(self.port, self.counter, self._ready, self._stop), daemon=True
        )

    def __enter__(self) -> ServerProcess:
        self.process.start()
        if not self._ready.wait(30):
            raise RuntimeError("the benchmark's SMTP server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.process.join(10)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> int:
        return int(self.counter.value)


# --- one run ----------------------------------------------------------------------------------


@dataclass
class Run:
    worker_rate: float
    bare_rate: float
    mean_bytes: float
    worker_cpu_us: float  # this process's CPU time per message: where the gap comes from
    bare_cpu_us: float

    @property
    def ratio(self) -> float:
        return self.worker_rate / self.bare_rate


def load_outbox(n: int) -> None:
    """N messages rendered from a template, as enqueue() would store them."""
    from django.db import connection

    from heardback import clock
    from heardback.messaging.models import Message, MessageStatus
    from heardback.messaging.rendering import render_message

    Message.objects.all().delete()
    now = clock.now()
    rows = []
    for i in range(n):
        rendered = render_message(
            SUBJECT,
            BODY,
            {
                "first_name": f"Candidate{i}",
                "job_title": "Senior Robot Whisperer",
                "org_name": "Acme Robotics",
                "respond_by": "Mon 7 Dec",
                "status_url": f"https://jobs.example.com/status/{i:08d}-a1b2c3d4e5f6",
            },
        )
        rows.append(
            Message(
                org_id=1,
                application_id=i + 1,
                to_email=f"candidate{i}@example.net",
                to_name=f"Candidate{i} Example",
                from_email="Acme Robotics <no-reply@heardback.localhost>",
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
                language="en",
                kind="acknowledgement",
                automated=True,
                idempotency_key=f"bench:{i}",
                status=MessageStatus.QUEUED,
                next_attempt_at=now,
                created_at=now,
            )
        )
    Message.objects.bulk_create(rows, batch_size=1000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE messaging_message")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def one_run(*, n: int, batch_size: int, profile: bool, worker_first: bool) -> Run:
    from django.conf import settings

    from heardback.messaging import delivery
    from heardback.messaging.mime import build_mime, envelope_sender
    from heardback.messaging.models import Message, MessageStatus

    with ServerProcess() as server:
        settings.EMAIL_URL = server.url
        load_outbox(n)
        # The ceiling's input: the bytes of the very rows the worker is about to send.
        sender = envelope_sender()
        payloads = [(m.to_email, build_mime(m)) for m in Message.objects.order_by("id")]
        mean_bytes = statistics.fmean(len(data) for _, data in payloads)

        def worker_phase() -> tuple[float, float]:
            profiler = cProfile.Profile() if profile else None
            before = server.received
            started, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            report = delivery.drain(batch_size=batch_size)
            if profiler:
                profiler.disable()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            sent = Message.objects.filter(status=MessageStatus.SENT).count()
            if report.sent != n or sent != n or server.received - before != n:
                raise RuntimeError(f"the worker sent {report.sent} of {n}")
            if profiler and os.environ.get("BENCH_PROFILE_DUMP"):
                profiler.dump_stats(os.environ["BENCH_PROFILE_DUMP"])
            if profiler:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative"))
                stats.print_stats(30)
                print(out.getvalue())
            return seconds, cpu

        def bare_phase() -> tuple[float, float]:
            """The same bytes, no database, one connection."""
            before = server.received
            started, cpu = time.perf_counter(), time.process_time()
            smtp = smtplib.SMTP("127.0.0.1", server.port)
            for recipient, data in payloads:
                smtp.sendmail(sender, [recipient], data)
            smtp.quit()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            if server.received - before != n:
                raise RuntimeError("the bare loop lost messages")
            return seconds, cpu

        # Alternate which goes first, so neither always gets the warmer (or busier) machine.
        if worker_first:
            worker_seconds, worker_cpu = worker_phase()
            bare_seconds, bare_cpu = bare_phase()
        else:
            bare_seconds, bare_cpu = bare_phase()
            worker_seconds, worker_cpu = worker_phase()

    return Run(
        n / worker_seconds, n / bare_seconds, mean_bytes, worker_cpu / n * 1e6, bare_cpu / n * 1e6
    )


# --- the command ------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="heardback bench delivery", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--n", type=int, default=10_000, help="messages per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=None, help="default: the setting")
    parser.add_argument("--profile", action="store_true", help="cProfile the worker phase")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[Run]:
    args = parse(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heardback.settings")
    os.environ.setdefault("HEARDBACK_ENV", "test")
    import django
    from django.conf import settings

    django.setup()
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    # A throwaway database of the benchmark's own, so it never clobbers a test run's.
    db = connections["default"].settings_dict
    db.setdefault("TEST", {})["NAME"] = (
        str(settings.VAR_DIR / "bench-delivery.sqlite3")
        if db["ENGINE"].endswith("sqlite3")
        else "test_heardback_bench_delivery"
    )
    settings.DEBUG = False  # never keep a log of every query while timing
    batch_size = args.batch_size or settings.DELIVERY_BATCH_SIZE
    old_config = setup_databases(verbosity=0, interactive=False)
    runs: list[Run] = []
    try:
        vendor = settings.DATABASE_VENDOR
        print(
            f"delivery benchmark: N={args.n}, batch size {batch_size}, {vendor}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.machine()}"
        )
        for number in range(1, args.runs + 1):
            run = one_run(
                n=args.n, batch_size=batch_size, profile=args.profile, worker_first=number % 2 == 1
            )
            runs.append(run)
            print(
                f"run {number}: worker {run.worker_rate:7.0f} msg/s   bare smtplib "
                f"{run.bare_rate:7.0f} msg/s   ratio {run.ratio:.2f}   "
                f"({run.mean_bytes:.0f} bytes/message; client CPU {run.worker_cpu_us:.0f} "
                f"vs {run.bare_cpu_us:.0f} µs/message)",
                flush=True,
            )
        worker = statistics.median(r.worker_rate for r in runs)
        bare = statistics.median(r.bare_rate for r in runs)
        ratio = statistics.median(r.ratio for r in runs)
        print(
            f"median: worker {worker:.0f} msg/s, bare smtplib {bare:.0f} msg/s, "
            f"ratio {ratio:.2f} (target ≥ 0.80)"
        )
    finally:
        teardown_databases(old_config, verbosity=0)
    return runs


if __name__ == "__main__":
    main(sys.argv[1:])
