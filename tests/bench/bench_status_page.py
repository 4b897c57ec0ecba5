"""Benchmark: the candidate status page against a Django hello-world view, same server.

    .venv/bin/python -m tests.bench.bench_status_page [--seconds 5] [--clients 4]

Starts gunicorn (2 sync workers) on a free loopback port with a scratch SQLite database (or
the PostgreSQL one in DATABASE_URL, in a scratch database of its own), seeds one application
with a few messages, then:

1. maximum rate: closed loop, `--clients` threads with http.client for `--seconds` per
   endpoint (alternating, best of two), counting only 200 responses;
2. latency at half the status page's maximum rate: an open-loop paced generator sends the
   same number of requests per second to each endpoint; latency is measured from the moment
   each request was *due* (so a stalled server can't hide its queue), p50 and p99.

Bounded in time (about six runs of `--seconds`) and in count. Prints one table.
`--no-cache` switches the status page's micro-cache off; `--persistent-sqlite` keeps SQLite
connections open for good (the project default keeps them 60 s, as on PostgreSQL).
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
SETTINGS = "tests.bench.portal_bench_site"

SEED = """
import django
django.setup()
from heardback.hiring import services
from heardback.portal import tokens
from tests import factories
org = factories.make_org(name="Acme Robotics")
recruiter = factories.make_member(org=org)
job = factories.make_job(org=org, title="Robot Whisperer", owner=recruiter)
application = factories.make_application(job=job, name="Ada Lovelace", email="ada@example.net")
application = services.advance(application=application, actor=recruiter)
application = services.advance(application=application, actor=recruiter)
application = services.advance(application=application, actor=recruiter)
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print(tokens.issue_token(application))
"""


@dataclass
class Run:
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)


class Client:
    """One keep-alive connection; reconnects when the server closes it (sync workers do)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> int:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                self.conn.request("GET", path, headers={"Accept-Language": "en"})
                response = self.conn.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status
            except (ConnectionError, http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        return 0


def closed_loop(port: int, path: str, *, clients: int, seconds: float) -> float:
    """Requests per second with `clients` threads sending back to back."""
    deadline = time.perf_counter() + seconds
    runs = [Run() for _ in range(clients)]

    def work(run: Run) -> None:
        client = Client(port)
        while time.perf_counter() < deadline:
            try:
                status = client.get(path)
            except OSError:
                run.errors += 1
                continue
            if status == 200:
                run.ok += 1
            else:
                run.errors += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    errors = sum(r.errors for r in runs)
    if errors:
        raise SystemExit(f"{errors} failed requests to {path}")
    return sum(r.ok for r in runs) / elapsed


def open_loop(port: int, path: str, *, rate: float, seconds: float, clients: int) -> list[float]:
    """Latencies (s) at a fixed arrival rate, measured from each request's due time."""
    total = max(1, int(rate * seconds))
    interval = 1 / rate
    start = time.perf_counter() + 0.2
    latencies: list[list[float]] = [[] for _ in range(clients)]

    def work(index: int) -> None:
        client = Client(port)
        for n in range(index, total, clients):
            due = start + n * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            status = client.get(path)
            if status != 200:
                raise SystemExit(f"HTTP {status} from {path}")
            latencies[index].append(time.perf_counter() - due)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(x for chunk in latencies for x in chunk)


def percentile(values: list[float], pct: float) -> float:
    rank = max(0, min(len(values) - 1, round(pct / 100 * len(values) + 0.5) - 1))
    return values[rank]


def wait_for(url: str, *, timeout: float = 90) -> None:
    # Generous: on a shared, busy machine gunicorn's workers can take half a minute to boot.
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not come up at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--persistent-sqlite", action="store_true")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="hb-bench-status-"))
    env = {
        **os.environ,
        "HEARDBACK_ENV": "test",
        "HEARDBACK_VAR_DIR": str(scratch),
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
        "BENCH_STATUS_CACHE_SECONDS": "0" if args.no_cache else "5",
        "BENCH_SQLITE_PERSISTENT": "1" if args.persistent_sqlite else "0",
    }
    database = env.get("DATABASE_URL", "")
    admin = scratch_db = ""
    if database.startswith("postgres"):
        # Named per run: two benchmarks on one server must not drop each other's database.
        scratch_db = f"heardback_bench_status_{os.getpid()}"
        admin = database.rsplit("/", 1)[0] + "/postgres"  # create/drop from the maintenance db
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {scratch_db}"], check=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {scratch_db}"], check=True)
        env["DATABASE_URL"] = database.rsplit("/", 1)[0] + "/" + scratch_db
    server = None
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        token = (
            subprocess.run(
                [PYTHON, "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True, text=True
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        port = free_port()
        server = subprocess.Popen(
            [
                GUNICORN,
                "heardback.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/bench/hello")
        wait_for(f"{base}/s/{token}/")
        status_path, hello_path = f"/s/{token}/", "/bench/hello"
        for path in (status_path, hello_path):  # warm both workers
            closed_loop(port, path, clients=args.clients, seconds=1)
        rates: dict[str, list[float]] = {"status": [], "hello": []}
        for _round in range(2):
            rates["hello"].append(
                closed_loop(port, hello_path, clients=args.clients, seconds=args.seconds)
            )
            rates["status"].append(
                closed_loop(port, status_path, clients=args.clients, seconds=args.seconds)
            )
        status_rate, hello_rate = max(rates["status"]), max(rates["hello"])
        half = status_rate / 2
        status_lat = open_loop(
            port, status_path, rate=half, seconds=args.seconds, clients=args.clients
        )
        hello_lat = open_loop(
            port, hello_path, rate=half, seconds=args.seconds, clients=args.clients
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(scratch, ignore_errors=True)
        if scratch_db:
            subprocess.run(
                ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {scratch_db}"], check=False
            )

    ms = 1000
    vendor = "postgresql" if database.startswith("postgres") else "sqlite"
    print(
        f"status page benchmark: gunicorn 2 sync workers, {vendor}, loopback, "
        f"{args.clients} client threads, {args.seconds:g} s per run (best of 2)"
    )
    connections = (
        "PostgreSQL connections kept 60 s (project default)"
        if vendor == "postgresql"
        else "SQLite connections persistent"
        if args.persistent_sqlite
        else "SQLite connections kept 60 s (project default)"
    )
    print(f"  page cache {'off' if args.no_cache else 'on (5 s)'}; {connections}")
    print(f"  hello world : {hello_rate:8.0f} req/s")
    print(f"  status page : {status_rate:8.0f} req/s")
    print(f"  ratio       : {status_rate / hello_rate:8.2f}  (target >= 0.5)")
    print(f"  at {half:.0f} req/s (half the status page's max), latency from due time:")
    print(
        f"    status page p50 {percentile(status_lat, 50) * ms:6.2f} ms   "
        f"p99 {percentile(status_lat, 99) * ms:6.2f} ms  (target p99 <= 25 ms; "
        f"{len(status_lat)} requests)"
    )
    print(
        f"    hello world p50 {percentile(hello_lat, 50) * ms:6.2f} ms   "
        f"p99 {percentile(hello_lat, 99) * ms:6.2f} ms  ({len(hello_lat)} requests)"
    )
    print(
        f"  status median of runs: {statistics.median(rates['status']):.0f} req/s; "
        f"hello: {statistics.median(rates['hello']):.0f} req/s"
    )


if __name__ == "__main__":
    main()
