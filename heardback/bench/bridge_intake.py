"""Bridge intake benchmark: how fast an ATS's webhooks are taken in, and how soon the
candidate's email follows.

    HEARDBACK_ENV=test python -m heardback.bench.bridge_intake                 # SQLite
    HEARDBACK_ENV=test DATABASE_URL=postgres://user@host:5432/heardback \\
        python -m heardback.bench.bridge_intake                                # PostgreSQL
    python -m heardback.bench.bridge_intake [--runs 3] [--seconds 5] [--clients 4]
        [--events 40] [--scheduler-interval S] [--skip-intake] [--skip-latency]

1. Intake. Two gunicorns with the same configuration (2 sync workers, loopback, free
   ports), both serving the bench's own site (`bridge_intake_site`: the real project, its
   settings, middleware and URLs, plus one view that reads the body and answers 200): one
   is posted to at the intake endpoint, the other at the bare view. Against each,
   `--clients` threads post Greenhouse `new_candidate_application` deliveries (about
   3 KB, each with its own `Greenhouse-Event-ID` and a valid `Signature`, so every one is
   verified and stored, none is a duplicate) back to back for `--seconds`, counting only
   2xx answers: the maximum rate. Then an open-loop paced generator sends half the intake's
   maximum rate to each, and latency is measured from each request's *due* time (a stalled
   server can't hide its queue). Targets: intake at least half the bare view's rate;
   intake p99 ≤ 25 ms at half load.

2. Event to email. The project's own worker and scheduler processes (`heardback worker`,
   `heardback scheduler`, default settings unless `--scheduler-interval`), an SMTP server
   in its own process that notes when each message is accepted, and the intake gunicorn.
   `--events` new applications are posted at random moments (on average one a second), each
   for a new candidate; the latency of each is from the POST to the SMTP server accepting
   the candidate's acknowledgement. Target: p95 ≤ 5 s.

Everything runs in a scratch database (a temporary SQLite file, or a scratch PostgreSQL
database next to the one DATABASE_URL names), never the real one. `--runs` runs, medians.
Not a pytest test: timings on a shared machine would make a flaky test; the numbers go to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import itertools
import json
import multiprocessing
import os
import platform
import queue
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
SECRET = "bench-secret-from-the-ats"  # noqa: S105 - the benchmark's own ATS
GUNICORN_ARGS = ["--workers", "2", "--log-level", "warning"]
SITE = "heardback.bench.bridge_intake_site"

SEED = """
import django
django.setup()
from django.contrib.auth import get_user_model
from heardback.bridges.services import create_connection
from heardback.hiring import services
from heardback.hiring.models import Role
org = services.create_org(name="Initech", slug="initech", country="DE",
                          time_zone="Europe/Berlin")
user = get_user_model().objects.create_user(username="admin@initech.example",
                                            email="admin@initech.example", password=None)
admin = services.add_member(org=org, user=user, role=Role.ADMIN)
connection, _ = create_connection(actor=admin, provider="greenhouse", name="Greenhouse",
                                  webhook_secret=%r)
print(connection.pk)
"""


# --- deliveries -------------------------------------------------------------------------------


def delivery(n: int, *, tag: str) -> tuple[bytes, dict[str, str]]:
    """A Greenhouse new_candidate_application for candidate `n`, signed."""
    body = {
        "action": "new_candidate_application",
        "payload": {
            "application": {
                "id": n,
                "rejected_at": None,
                "prospect": False,
                "status": "active",
                "applied_at": "2026-11-30T09:00:00Z",
                "last_activity_at": "2026-11-30T09:00:00Z",
                "url": f"https://app.greenhouse.io/people/{n}?application_id={n}",
                "source": {"id": 16, "name": "LinkedIn (Prospecting)"},
                "credited_to": None,
                "rejection_reason": None,
                "rejection_details": None,
                "current_stage": {
                    "id": 2944102,
                    "name": "Application Review",
                    "interviews": [
                        {
                            "id": 4368004,
                            "name": "Preliminary Screening Call",
                            "status": "to_be_scheduled",
                            "interview_kit": {
                                "url": "http://app.greenhouse.io/guides/4368142/people/1",
                                "content": "<p>Directions on how to conduct this interview.</p>",
                                "questions": [
                                    {"id": 3136352, "question": "Tell me about your work?"},
                                    {"id": 3136353, "question": "Why do you want to join?"},
                                ],
                            },
                            "interviewers": [],
                        }
                    ],
                },
                "custom_fields": {},
                "candidate": {
                    "id": 60_000_000 + n,
                    "first_name": "Jane",
                    "last_name": f"Smith {n}",
                    "title": "Manager",
                    "company": "Current Company Co.",
                    "created_at": "2026-11-30T09:00:00Z",
                    "external_id": None,
                    "photo_url": None,
                    "url": f"http://app.greenhouse.io/people/{n}",
                    "is_private": False,
                    "can_email": True,
                    "phone_numbers": [{"value": "555-555-5555", "type": "mobile"}],
                    "email_addresses": [{"value": f"{tag}{n}@example.net", "type": "personal"}],
                    "addresses": [{"value": "123 Test Street\nBerlin", "type": "home"}],
                    "website_addresses": [],
                    "social_media_addresses": [],
                    "educations": [],
                    "employments": [],
                    "recruiter": {"id": 92121, "email": "r@initech.example", "name": "Betty"},
                    "coordinator": None,
                    "attachments": [],
                    "tags": ["Ruby", "Comp Sci"],
                    "custom_fields": {},
                },
                "jobs": [
                    {
                        "id": 274075,
                        "name": "Data Scientist",
                        "requisition_id": "ABC",
                        "notes": None,
                        "confidential": False,
                        "job_post_id": 263533,
                        "status": "open",
                        "created_at": "2026-07-14T17:21:30Z",
                        "opened_at": "2026-07-20T16:00:00Z",
                        "closed_at": None,
                        "departments": [{"id": 8717, "name": "Data Science"}],
                        "offices": [{"id": 16478, "name": "Berlin"}],
                        "custom_fields": {},
                    }
                ],
            }
        },
    }
    raw = json.dumps(body).encode()
    signature = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {
        "Content-Type": "application/json",
        "Signature": f"sha256 {signature}",
        "Greenhouse-Event-ID": str(uuid.uuid4()),
    }


class Deliveries:
    """Fresh signed deliveries, each handed out once, across threads."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self) -> tuple[bytes, dict[str, str]]:
        with self._lock:
            n = next(self._counter)
        return delivery(n, tag=self.tag)


# --- HTTP load --------------------------------------------------------------------------------


class Client:
    """One connection, reopened when the server closes it (gunicorn's sync workers do)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request("POST", path, body=body, headers=headers)
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


def closed_loop(port: int, path: str, source: Deliveries, *, clients: int, seconds: float) -> float:
    """2xx answers per second with `clients` threads posting back to back."""
    deadline = time.perf_counter() + seconds
    counts = [0] * clients
    errors = [0] * clients
    # Signing and encoding are the client's work, not the server's: done ahead.
    batches = [[source.next() for _ in range(4000)] for _ in range(clients)]

    def work(index: int) -> None:
        client = Client(port)
        for raw, headers in batches[index]:
            if time.perf_counter() >= deadline:
                return
            status = client.post(path, raw, headers)
            if 200 <= status < 300:
                counts[index] += 1
            else:
                errors[index] += 1
        raise SystemExit("the load generator ran out of deliveries: raise the batch size")

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if sum(errors):
        raise SystemExit(f"{sum(errors)} requests to {path} were not answered 2xx")
    return sum(counts) / elapsed


def open_loop(
    port: int, path: str, source: Deliveries, *, rate: float, seconds: float, clients: int
) -> list[float]:
    """Latencies (s) at a fixed arrival rate, each measured from the request's due time."""
    total = max(1, int(rate * seconds))
    interval = 1 / rate
    prepared = [source.next() for _ in range(total)]
    start = time.perf_counter() + 0.2
    latencies: list[list[float]] = [[] for _ in range(clients)]

    def work(index: int) -> None:
        client = Client(port)
        for n in range(index, total, clients):
            due = start + n * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            raw, headers = prepared[n]
            status = client.post(path, raw, headers)
            if not 200 <= status < 300:
                raise SystemExit(f"HTTP {status} from {path}")
            latencies[index].append(time.perf_counter() - due)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(x for chunk in latencies for x in chunk)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# --- processes --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(port: int, *, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hooks/ping/0/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (405 for a GET): up
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not come up on port {port}")


@contextmanager
def gunicorn(env: dict[str, str], *, settings_module: str) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        [GUNICORN, "heardback.wsgi:application", *GUNICORN_ARGS, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": settings_module},
    )
    try:
        wait_until_up(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextmanager
def scratch_environment() -> Iterator[tuple[dict[str, str], str]]:
    """Environment for every process of the benchmark, over a throwaway database."""
    scratch = Path(tempfile.mkdtemp(prefix="hb-bench-bridge-"))
    env = {
        **os.environ,
        "HEARDBACK_ENV": "test",
        "HEARDBACK_VAR_DIR": str(scratch),
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "heardback.settings",
    }
    database = env.get("DATABASE_URL", "")
    admin_url, scratch_db = "", "heardback_bench_bridge"
    if database.startswith("postgres"):
        admin_url = database.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(
            ["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {scratch_db}"], check=True
        )
        subprocess.run(["psql", admin_url, "-qc", f"CREATE DATABASE {scratch_db}"], check=True)
        env["DATABASE_URL"] = database.rsplit("/", 1)[0] + "/" + scratch_db
    else:
        env.pop("DATABASE_URL", None)
    try:
        subprocess.run(
            [PYTHON, "-m", "heardback.cli", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        yield env, "postgresql" if admin_url else "sqlite"
    finally:
        if admin_url:
            subprocess.run(
                ["psql", admin_url, "-qc", f"DROP DATABASE IF EXISTS {scratch_db} WITH (FORCE)"],
                check=False,
            )
        shutil.rmtree(scratch, ignore_errors=True)


PURGE = """
import django
django.setup()
from heardback.bridges.models import InboundEvent
InboundEvent.objects.all().delete()
"""


def purge_inbox(env: dict[str, str]) -> None:
    """Each run starts from an empty inbox: the same table size for every run, and no
    backlog of the last run's deliveries in front of the next run's events."""
    subprocess.run([PYTHON, "-c", PURGE], cwd=ROOT, env=env, check=True)


@contextmanager
def resident_connection(env: dict[str, str]) -> Iterator[None]:
    """On SQLite, a connection held open elsewhere, as the delivery worker and scheduler
    hold theirs in a real deployment (`heardback run`, `bin/serve`). Without one, every
    web request (SQLite connections are per request) closes the database's last
    connection, and SQLite checkpoints and resets the write-ahead log each time: a cost no
    deployment with its worker running pays."""
    if env.get("DATABASE_URL", "").startswith("postgres"):
        yield
        return
    import sqlite3

    holder = sqlite3.connect(Path(env["HEARDBACK_VAR_DIR"]) / "heardback.sqlite3")
    try:
        holder.execute("SELECT count(*) FROM bridges_connection").fetchall()
        yield
    finally:
        holder.close()


def seed(env: dict[str, str]) -> int:
    result = subprocess.run(
        [PYTHON, "-c", SEED % SECRET], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return int(result.stdout.strip().splitlines()[-1])


# --- the SMTP server, in its own process, noting when each message was accepted ---------------


def _serve_smtp(port: int, accepted: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    class Noting:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            now = time.time()
            for rcpt in envelope.rcpt_tos:
                accepted.put((rcpt, now))
            return "250 OK"

    controller = Controller(Noting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


@contextmanager
def smtp_server() -> Iterator[tuple[int, Any]]:
    context = multiprocessing.get_context("spawn")
    port = free_port()
    accepted, ready, stop = context.Queue(), context.Event(), context.Event()
    process = context.Process(target=_serve_smtp, args=(port, accepted, ready, stop), daemon=True)
    process.start()
    if not ready.wait(30):
        raise SystemExit("the benchmark's SMTP server did not start")
    try:
        yield port, accepted
    finally:
        stop.set()
        process.join(10)


@contextmanager
def engine_processes(env: dict[str, str], *, scheduler_interval: float | None) -> Iterator[None]:
    """The project's own delivery worker and scheduler, as `bin/serve` runs them."""
    scheduler = [PYTHON, "-m", "heardback.cli", "scheduler"]
    if scheduler_interval is not None:
        scheduler += ["--interval", str(scheduler_interval)]
    processes = [
        subprocess.Popen([PYTHON, "-m", "heardback.cli", "worker"], cwd=ROOT, env=env),
        subprocess.Popen(scheduler, cwd=ROOT, env=env),
    ]
    try:
        time.sleep(3)  # both past start-up and into their loops
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


# --- the two measurements ---------------------------------------------------------------------


@dataclass
class IntakeRun:
    intake_rate: float
    bare_rate: float
    intake_p50: float
    intake_p99: float
    bare_p50: float
    bare_p99: float
    half_rate: float

    @property
    def ratio(self) -> float:
        return self.intake_rate / self.bare_rate


def measure_intake(
    env: dict[str, str], connection_id: int, *, run: int, seconds: float, clients: int
) -> IntakeRun:
    intake_path = f"/hooks/greenhouse/{connection_id}/"
    bare_path = "/bench/bare/"
    purge_inbox(env)
    with (
        resident_connection(env),
        gunicorn(env, settings_module=SITE) as intake_port,
        gunicorn(env, settings_module=SITE) as bare_port,
    ):
        intake, bare = Deliveries(f"r{run}i"), Deliveries(f"r{run}b")
        closed_loop(intake_port, intake_path, intake, clients=clients, seconds=1)  # warm up
        closed_loop(bare_port, bare_path, bare, clients=clients, seconds=1)
        # Alternating, best of two each: the machine is shared, a busy second hurts one side.
        rates: dict[str, list[float]] = {"intake": [], "bare": []}
        for _ in range(2):
            rates["bare"].append(
                closed_loop(bare_port, bare_path, bare, clients=clients, seconds=seconds)
            )
            rates["intake"].append(
                closed_loop(intake_port, intake_path, intake, clients=clients, seconds=seconds)
            )
        intake_rate, bare_rate = max(rates["intake"]), max(rates["bare"])
        half = intake_rate / 2
        intake_lat = open_loop(
            intake_port, intake_path, intake, rate=half, seconds=seconds, clients=clients
        )
        bare_lat = open_loop(
            bare_port, bare_path, bare, rate=half, seconds=seconds, clients=clients
        )
    return IntakeRun(
        intake_rate=intake_rate,
        bare_rate=bare_rate,
        intake_p50=percentile(intake_lat, 50),
        intake_p99=percentile(intake_lat, 99),
        bare_p50=percentile(bare_lat, 50),
        bare_p99=percentile(bare_lat, 99),
        half_rate=half,
    )


@dataclass
class LatencyRun:
    latencies: list[float] = field(default_factory=list)
    missing: int = 0

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95)


def measure_event_to_email(
    env: dict[str, str],
    connection_id: int,
    *,
    run: int,
    events: int,
    scheduler_interval: float | None,
    timeout: float = 120,
) -> LatencyRun:
    path = f"/hooks/greenhouse/{connection_id}/"
    tag = f"latency{run}x"
    purge_inbox(env)
    with smtp_server() as (smtp_port, accepted):
        engine_env = {**env, "HEARDBACK_EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}"}
        with (
            gunicorn(engine_env, settings_module="heardback.settings") as port,
            engine_processes(engine_env, scheduler_interval=scheduler_interval),
        ):
            client = Client(port)
            sent: dict[str, float] = {}
            source = Deliveries(tag)
            pace = random.Random(run)
            for _ in range(events):
                time.sleep(pace.expovariate(1.0))  # on average one a second, at random
                raw, headers = source.next()
                address = json.loads(raw)["payload"]["application"]["candidate"]["email_addresses"][
                    0
                ]["value"]
                sent[address] = time.time()
                status = client.post(path, raw, headers)
                if status != 202:
                    raise SystemExit(f"HTTP {status} for an event")
            received: dict[str, float] = {}
            deadline = time.time() + timeout
            while len(received) < len(sent) and time.time() < deadline:
                try:
                    rcpt, at = accepted.get(timeout=1)
                except queue.Empty:
                    continue  # nothing accepted in this second: look again
                if rcpt in sent:
                    received.setdefault(rcpt, at)
    latencies = sorted(received[a] - sent[a] for a in received)
    return LatencyRun(latencies=latencies, missing=len(sent) - len(received))


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument(
        "--scheduler-interval",
        type=float,
        default=None,
        help="seconds between the scheduler's idle rounds (default: the project's setting)",
    )
    parser.add_argument(
        "--persistent-sqlite",
        action="store_true",
        help="keep SQLite connections open between web requests (the project opens one each)",
    )
    parser.add_argument("--skip-intake", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()

    intake_runs: list[IntakeRun] = []
    latency_runs: list[LatencyRun] = []
    with scratch_environment() as (env, vendor):
        env["BENCH_SQLITE_PERSISTENT"] = "1" if args.persistent_sqlite else "0"
        connection_id = seed(env)
        for run in range(1, args.runs + 1):
            if not args.skip_intake:
                intake_runs.append(
                    measure_intake(
                        env, connection_id, run=run, seconds=args.seconds, clients=args.clients
                    )
                )
                r = intake_runs[-1]
                print(
                    f"run {run}: intake {r.intake_rate:.0f} req/s, bare {r.bare_rate:.0f} req/s, "
                    f"ratio {r.ratio:.2f}; at {r.half_rate:.0f} req/s intake p99 "
                    f"{r.intake_p99 * 1000:.1f} ms, bare p99 {r.bare_p99 * 1000:.1f} ms",
                    flush=True,
                )
            if not args.skip_latency:
                latency_runs.append(
                    measure_event_to_email(
                        env,
                        connection_id,
                        run=run,
                        events=args.events,
                        scheduler_interval=args.scheduler_interval,
                    )
                )
                lat = latency_runs[-1]
                if not lat.latencies:
                    # Say so and go on: one failed run must not lose the others' numbers.
                    latency_runs.pop()
                    print(f"run {run}: event to email: none of {lat.missing} arrived", flush=True)
                    continue
                print(
                    f"run {run}: event to email p50 {lat.p50:.2f} s, p95 {lat.p95:.2f} s, "
                    f"max {max(lat.latencies):.2f} s ({len(lat.latencies)} emails, "
                    f"{lat.missing} missing)",
                    flush=True,
                )

    ms = 1000
    median = statistics.median
    sqlite_connections = (
        (", SQLite connections persistent" if args.persistent_sqlite else "")
        if vendor == "sqlite"
        else ""
    )
    print(
        f"\nbridge intake benchmark: {vendor}{sqlite_connections}, gunicorn "
        f"{' '.join(GUNICORN_ARGS)}, loopback, "
        f"{args.clients} client threads, {args.seconds:g} s per rate (best of 2), "
        f"{args.runs} runs, medians; {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    if intake_runs:
        print(f"  bare view      : {median(r.bare_rate for r in intake_runs):8.0f} req/s")
        print(f"  webhook intake : {median(r.intake_rate for r in intake_runs):8.0f} req/s")
        print(
            f"  ratio          : {median(r.ratio for r in intake_runs):8.2f}  "
            f"(per run {', '.join(f'{r.ratio:.2f}' for r in intake_runs)}; target ≥ 0.5)"
        )
        print(
            f"  at half the intake's rate ({median(r.half_rate for r in intake_runs):.0f} req/s): "
            f"intake p50 {median(r.intake_p50 for r in intake_runs) * ms:.2f} ms, "
            f"p99 {median(r.intake_p99 for r in intake_runs) * ms:.2f} ms (target ≤ 25 ms); "
            f"bare p50 {median(r.bare_p50 for r in intake_runs) * ms:.2f} ms, "
            f"p99 {median(r.bare_p99 for r in intake_runs) * ms:.2f} ms"
        )
    if latency_runs:
        interval = (
            f"{args.scheduler_interval:g} s" if args.scheduler_interval is not None else "default"
        )
        print(
            f"  event → email (scheduler interval {interval}, {args.events} events a run): "
            f"p50 {median(r.p50 for r in latency_runs):.2f} s, "
            f"p95 {median(r.p95 for r in latency_runs):.2f} s "
            f"(per run {', '.join(f'{r.p95:.2f}' for r in latency_runs)}; target ≤ 5 s); "
            f"missing {sum(r.missing for r in latency_runs)}"
        )


if __name__ == "__main__":
    main()
