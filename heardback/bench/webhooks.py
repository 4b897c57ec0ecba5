"""Webhook delivery benchmark: how close does the real step come to a bare HTTP loop?

    HEARDBACK_ENV=test python -m heardback.bench.webhooks                   # SQLite
    HEARDBACK_ENV=test DATABASE_URL=postgres://user@host:5432/heardback \\
        python -m heardback.bench.webhooks                                  # PostgreSQL
    python -m heardback.bench.webhooks --deliveries 5000 --runs 3

One receiver, in this process: `http.server` on loopback speaking HTTP/1.1 with keep-alive,
answering 200 to every POST. Each run times, in alternating order:

* bare: an `http.client` loop POSTing the same ~600-byte JSON body `--deliveries` times over
  one connection, nothing else (the ceiling of this receiver, for one connection);
* heardback: that many pending deliveries of one endpoint, sent by the real network step
  (`deliver_webhooks`, called until none is due): claims in batches, a Standard Webhooks
  signature per request, one kept-alive connection per batch, each POST with its overall
  deadline and the SSRF guard, outcomes written back in a statement per batch.

It prints deliveries per second for both, and the median ratio heardback/bare (the target is
at least 0.5). Everything runs in a throwaway database, never the real one.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from heardback.bench.scratch import scratch_database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Rate:
    wall: float  # deliveries per second of wall-clock time
    cpu: float  # deliveries per second of this process's CPU time (receiver included)


@dataclass(frozen=True)
class Run:
    bare: Rate
    heardback: Rate

    @property
    def ratio(self) -> float:
        return self.heardback.wall / self.bare.wall

    @property
    def cpu_ratio(self) -> float:
        return self.heardback.cpu / self.bare.cpu


@contextmanager
def timed(count: int, into: list[Rate]) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    into.append(
        Rate(wall=count / (time.perf_counter() - wall), cpu=count / (time.process_time() - cpu))
    )


class Receiver:
    """200 to every POST, over kept-alive connections; counts what it got."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, each answer waits for
            # the client's delayed ACK (about 40 ms).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                with outer.lock:
                    outer.count += 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def payload(n: int) -> dict[str, Any]:
    """About the size of a real application.moved webhook."""
    stage = {"id": 40 + n % 5, "name": "Recruiter screen", "coarse_stage": "in_review"}
    return {
        "type": "application.moved",
        "timestamp": "2026-03-02T09:00:00Z",
        "data": {
            "application": {
                "id": 100_000 + n,
                "job_id": 12,
                "candidate_id": 50_000 + n,
                "status": "active",
                "stage": stage,
                "respond_by": "2026-03-09T17:00:00Z",
            },
            "from_stage": {"id": 39, "name": "Applied", "coarse_stage": "received"},
            "to_stage": stage,
        },
    }


def bare_loop(receiver: Receiver, count: int, body: bytes) -> Rate:
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    rates: list[Rate] = []
    with timed(count, rates):
        for _ in range(count):
            connection.request("POST", "/hooks", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"the receiver answered {response.status}")
    connection.close()
    return rates[0]


def heardback_step(endpoint: Any, count: int) -> Rate:
    from heardback.webhooks import delivery, signing
    from heardback.webhooks.models import DeliveryStatus, WebhookDelivery
    from heardback.webhooks.signing import new_webhook_id

    WebhookDelivery.objects.all().delete()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_type="application.moved",
                event_key=f"bench:{n}",
                webhook_id=new_webhook_id(),
                body=signing.body_of(payload(n)).decode(),
                status=DeliveryStatus.PENDING,
                next_attempt_at=NOW,
                created_at=NOW,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    _analyze()
    rates: list[Rate] = []
    sent = 0
    with timed(count, rates):
        while sent < count:
            done = delivery.deliver_webhooks(now=NOW, limit=count)
            if not done:
                raise RuntimeError(f"stalled after {sent} of {count}")
            sent += done
    delivered = WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    if delivered != count:
        raise RuntimeError(f"only {delivered} of {count} were delivered")
    return rates[0]


def _analyze() -> None:
    """Fresh statistics, as autovacuum would have them (see ARCHITECTURE's caution)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="heardback.bench.webhooks", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=0, help="WEBHOOK_BATCH_SIZE (0: setting)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> float:
    args = parse(argv)
    with scratch_database("webhooks") as vendor:
        from django.conf import settings

        from heardback import clock
        from heardback.hiring import services as hiring
        from heardback.hiring.models import Role
        from heardback.webhooks import services, signing

        if args.batch:
            settings.WEBHOOK_BATCH_SIZE = args.batch
        receiver = Receiver()
        try:
            with clock.use_clock(lambda: NOW):
                org = hiring.create_org(name="Bench", slug="bench", country="DE")
                from django.contrib.auth import get_user_model

                user = get_user_model().objects.create_user(
                    username="admin@bench.example", email="admin@bench.example"
                )
                admin = hiring.add_member(org=org, user=user, role=Role.ADMIN)
                endpoint, _secret = services.create_endpoint(
                    actor=admin, url=receiver.url, events=["application.moved"]
                )
            body = signing.body_of(payload(0))
            print(
                f"webhook benchmark: {args.deliveries} deliveries of {len(body)} bytes to one "
                f"endpoint on loopback, batches of {settings.WEBHOOK_BATCH_SIZE}; {vendor}, "
                f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
                flush=True,
            )
            bare_loop(receiver, 200, body)  # warm up both
            heardback_step(endpoint, 200)
            runs: list[Run] = []
            for number in range(1, args.runs + 1):
                if number % 2:
                    bare = bare_loop(receiver, args.deliveries, body)
                    ours = heardback_step(endpoint, args.deliveries)
                else:
                    ours = heardback_step(endpoint, args.deliveries)
                    bare = bare_loop(receiver, args.deliveries, body)
                run = Run(bare=bare, heardback=ours)
                runs.append(run)
                print(
                    f"run {number}: bare http.client {bare.wall:6.0f}/s (CPU {bare.cpu:6.0f}/s)"
                    f"   heardback {ours.wall:6.0f}/s (CPU {ours.cpu:6.0f}/s)"
                    f"   ratio {run.ratio:.2f} (CPU {run.cpu_ratio:.2f})",
                    flush=True,
                )
        finally:
            receiver.close()
        ratio = statistics.median(r.ratio for r in runs)
        cpu_ratio = statistics.median(r.cpu_ratio for r in runs)
        print(
            f"median: bare {statistics.median(r.bare.wall for r in runs):.0f}/s, heardback "
            f"{statistics.median(r.heardback.wall for r in runs):.0f}/s"
        )
        print(
            f"RESULT ratio heardback/bare (deliveries per second): {ratio:.2f} wall clock, "
            f"{cpu_ratio:.2f} CPU time (target ≥ 0.5)"
        )
    return ratio


if __name__ == "__main__":
    main(sys.argv[1:])
