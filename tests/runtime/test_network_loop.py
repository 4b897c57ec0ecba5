"""The network loop, against a real local server that answers one byte every two seconds.

The engine must never wait on another server; these tests prove that a fetch ends by its
overall deadline however slowly the server trickles, that a round of slow links takes about
links / concurrency deadlines, that a fast link in the same round still gets its status, and
that one failing network step never stops another.
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from heardback.runtime import http, network
from heardback.runtime import steps as step_registry
from heardback.runtime.models import Fault, Heartbeat
from heardback.seeker import services, status_feed
from heardback.seeker.models import JobApplication
from heardback.seeker.refresh import refresh_employer_statuses
from tests.seeker.conftest import make_seeker

STATUS = {
    "employer": "Acme GmbH",
    "job": "Platform Engineer",
    "stage": "interview",
    "stage_label": "Interview",
    "respond_by": "2026-12-04T17:00:00+01:00",
    "status": "active",
}
BODY = json.dumps(STATUS).encode()
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)
TRICKLE_EVERY = 2.0  # seconds between bytes from a slow path
NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


class TrickleServer:
    """A real HTTP server on loopback. `/s/slow…` answers one byte every two seconds from
    the first byte; `/s/slowbody…` sends its headers at once and trickles the body; any other
    path answers at once. It counts the connections it is serving at the same time."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.open = 0
        self.most_at_once = 0
        self.hits: list[str] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with outer.lock:
                    outer.open += 1
                    outer.most_at_once = max(outer.most_at_once, outer.open)
                try:
                    self._answer()
                finally:
                    with outer.lock:
                        outer.open -= 1

            def _answer(self) -> None:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                path = request.split(b" ", 2)[1].decode()
                with outer.lock:
                    outer.hits.append(path)
                if path.startswith("/s/slowbody"):
                    head, body = RESPONSE.split(b"\r\n\r\n", 1)
                    self.request.sendall(head + b"\r\n\r\n")
                    self._trickle(body)
                elif path.startswith("/s/slow"):
                    self._trickle(RESPONSE)
                else:
                    self.request.sendall(RESPONSE)

            def _trickle(self, data: bytes) -> None:
                with contextlib.suppress(OSError):
                    for byte in data:
                        self.request.sendall(bytes([byte]))
                        if self._client_gone_within(TRICKLE_EVERY):
                            return

            def _client_gone_within(self, seconds: float) -> bool:
                # Notice a client that gave up at once, so "at the same time" counts only
                # connections someone is still waiting on.
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    if outer.stopping.is_set():
                        return True
                    if select.select([self.request], [], [], 0.05)[0]:
                        return True
                return False

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def trickle() -> Iterator[TrickleServer]:
    server = TrickleServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Steps registered by a test vanish after it; the apps' own steps stay."""
    monkeypatch.setattr(step_registry, "_registry", dict(step_registry._registry))


def applications(user: Any, base: str, *tokens: str) -> dict[str, int]:
    ids = {}
    for token in tokens:
        app = services.create_application(
            owner=user, company=token, role="R", applied_on=date(2026, 11, 2),
            link=f"{base}/s/{token}/",
        )  # fmt: skip
        ids[token] = app.pk
    return ids


# --- One fetch, one overall deadline ------------------------------------------------------


@pytest.mark.parametrize("path", ["/s/slow.json", "/s/slowbody.json"])
def test_a_trickling_server_is_cut_off_at_the_overall_deadline(
    trickle: TrickleServer, path: str
) -> None:
    started = time.monotonic()
    with pytest.raises(http.FetchError) as caught:
        http.get(f"{trickle.base}{path}", deadline=1.5, max_bytes=64 * 1024)
    elapsed = time.monotonic() - started
    assert caught.value.reason == "deadline"
    # A per-read timeout of 3 s would have waited ~2 s per byte, for every byte (minutes).
    assert 1.4 <= elapsed < 2.5, elapsed


def test_the_seeker_hears_that_the_status_page_was_too_slow(trickle: TrickleServer) -> None:
    started = time.monotonic()
    with pytest.raises(status_feed.StatusFeedError, match="didn't answer in time"):
        status_feed.fetch(f"{trickle.base}/s/slow/", deadline=1.5)
    assert time.monotonic() - started < 2.5


def test_a_fast_server_answers_within_the_deadline(trickle: TrickleServer) -> None:
    found = status_feed.fetch(f"{trickle.base}/s/fast/", deadline=1.5)
    assert found.stage == "interview"


def test_an_unreachable_port_fails_without_waiting() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: the connection is refused
        started = time.monotonic()
        with pytest.raises(http.FetchError) as caught:
            http.get(f"http://127.0.0.1:{port}/s/x.json", deadline=5, max_bytes=10)
    assert caught.value.reason == "unreachable" and time.monotonic() - started < 1


def test_a_tls_handshake_that_never_comes_ends_at_the_deadline(trickle: TrickleServer) -> None:
    # The server reads the ClientHello and never answers it.
    started = time.monotonic()
    with pytest.raises(http.FetchError) as caught:
        http.get(trickle.base.replace("http:", "https:") + "/s/x.json", deadline=1.0,
                 max_bytes=10)  # fmt: skip
    assert caught.value.reason == "deadline" and time.monotonic() - started < 1.8


def test_a_slow_name_lookup_ends_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def slow_lookup(*args: Any, **kwargs: Any) -> Any:
        release.wait(5)
        raise socket.gaierror("gave up")

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    started = time.monotonic()
    try:
        with pytest.raises(http.FetchError) as caught:
            http.get("http://status.acme.test/s/x.json", deadline=0.5, max_bytes=10)
    finally:
        release.set()
    assert caught.value.reason == "deadline" and time.monotonic() - started < 1.0


def test_a_name_that_does_not_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_name(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(status_feed.StatusFeedError, match="couldn't find that address"):
        status_feed.fetch("https://nowhere.acme.test/s/tok/", deadline=1)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/s/x.json", "file:///etc/passwd", "http:///x"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(http.FetchError) as caught:
        http.get(url, deadline=1, max_bytes=10)
    assert caught.value.reason == "address"


# --- The SSRF guard ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),  # noqa: S104 (an address to refuse, not one to bind)
        ("224.0.0.1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("2002:7f00:1::1", False),  # 6to4 around 127.0.0.1
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_which_addresses_count_as_public(address: str, public: bool) -> None:
    assert http.is_public(address) is public


def test_in_production_private_addresses_are_refused_before_connecting(
    trickle: TrickleServer, settings: Any
) -> None:
    settings.IS_PRODUCTION = True
    settings.SITE_URL = "https://heardback.example"
    with pytest.raises(status_feed.StatusFeedError, match="isn't a public status page"):
        status_feed.fetch(f"{trickle.base}/s/fast/", deadline=1.5)
    with pytest.raises(http.FetchError) as caught:
        http.get(f"{trickle.base.replace('127.0.0.1', 'localhost')}/s/fast.json",
                 deadline=1.5, max_bytes=10)  # fmt: skip
    assert caught.value.reason == "private"
    assert trickle.hits == []

    # This very site may be on a private address behind its proxy: it is allowed (its own
    # scheme, host and port exactly; see tests/input/test_ssrf.py).
    settings.SITE_URL = trickle.base
    assert status_feed.fetch(f"{trickle.base}/s/fast/", deadline=1.5).stage == "interview"


# --- The seeker's step: bounded concurrency, deadlines recorded as failures -------------


@pytest.mark.django_db
def test_slow_links_take_about_links_over_concurrency_deadlines_and_fast_ones_still_succeed(
    trickle: TrickleServer, settings: Any
) -> None:
    settings.NETWORK_CONCURRENCY = 3
    settings.NETWORK_FETCH_DEADLINE_SECONDS = 1.0
    user = make_seeker()
    slow = applications(user, trickle.base, "slow0", "slow1", "slow2")
    fast = applications(user, trickle.base, "fast")
    slow |= applications(user, trickle.base, "slow3", "slow4", "slow5")

    started = time.monotonic()
    assert refresh_employer_statuses(now=NOW, limit=50) == 7
    elapsed = time.monotonic() - started

    # 6 slow links, 3 at a time: two deadlines (one at a time it would be six, and 40 s a
    # link with the old per-read timeout).
    assert 1.9 <= elapsed < 3.0, elapsed
    assert trickle.most_at_once == 3
    rows = {a.pk: a for a in JobApplication.objects.filter(owner=user)}
    for pk in slow.values():
        assert "didn't answer in time" in rows[pk].employer_error
        assert rows[pk].employer_checked_at == NOW and rows[pk].employer_stage == ""
    assert rows[fast["fast"]].employer_stage == "interview"
    assert rows[fast["fast"]].employer_error == ""
    # A missed deadline is the seeker's information, not a fault of the step.
    assert not Fault.objects.filter(source="refresh_employer_statuses").exists()


@pytest.mark.django_db
def test_a_spent_budget_claims_nothing_it_cannot_fetch(
    trickle: TrickleServer, settings: Any
) -> None:
    settings.NETWORK_CONCURRENCY = 2
    settings.NETWORK_FETCH_DEADLINE_SECONDS = 1.0
    user = make_seeker()
    applications(user, trickle.base, *(f"slow{n}" for n in range(6)))

    done = network.run_once(now=NOW, budget_seconds=0.5)

    # Two in flight when the budget ran out; they finish, the other four wait unclaimed.
    assert done["refresh_employer_statuses"] == 2
    checked = JobApplication.objects.filter(owner=user, employer_checked_at__isnull=False)
    assert checked.count() == 2 and len(trickle.hits) == 2


# --- The loop ----------------------------------------------------------------------------


def test_the_status_refresh_is_a_network_step_never_an_engine_step() -> None:
    engine = {step.name for step in step_registry.steps("engine")}
    network_steps = {step.name for step in step_registry.steps("network")}
    assert "refresh_employer_statuses" not in engine
    assert "refresh_employer_statuses" in network_steps
    assert "send_daily_digests" in engine  # the seeker's database-only step stays there


@pytest.mark.django_db
@pytest.mark.usefixtures("own_registry")
def test_an_exception_in_one_network_step_does_not_stop_another(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def broken_step(*, now: datetime, limit: int) -> int:
        ran.append("broken")
        raise RuntimeError("the remote API changed")

    def healthy_step(*, now: datetime, limit: int) -> int:
        ran.append("healthy")
        return 1

    monkeypatch.setattr(step_registry, "_registry", {})
    step_registry.register_step(broken_step, order=1, loop="network")
    step_registry.register_step(healthy_step, order=2, loop="network")

    with caplog.at_level(logging.WARNING, logger="heardback.runtime.network"):
        assert network.run_once(now=NOW) == {"broken_step": 0, "healthy_step": 1}
        assert network.run_once(now=NOW) == {"broken_step": 0, "healthy_step": 1}
    assert ran == ["broken", "healthy", "broken", "healthy"]
    # Logged in full once; the second time in one line.
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert len(warnings) == 1 and "2 times" in warnings[0].getMessage()
    fault = Fault.objects.get(source="broken_step", item=network.ROUND)
    assert fault.attempts == 2 and "remote API changed" in fault.last_error


@pytest.mark.django_db
@pytest.mark.usefixtures("own_registry")
def test_netloop_once_runs_one_round(capsys: pytest.CaptureFixture[str]) -> None:
    step_registry._registry.clear()
    step_registry.register_step(lambda **_: 3, order=1, loop="network")
    call_command("netloop", "--once")
    assert capsys.readouterr().out.strip() == "{'<lambda>': 3}"


@pytest.mark.django_db
@pytest.mark.usefixtures("own_registry")
def test_sigterm_ends_the_loop_after_the_fetch_in_flight(trickle: TrickleServer) -> None:
    fetched: list[str] = []

    def fetching_step(*, now: datetime, limit: int) -> int:
        while not network.stopping():
            with contextlib.suppress(http.FetchError):
                http.get(f"{trickle.base}/s/slow.json", deadline=1.0, max_bytes=1024)
            fetched.append("slow")
        return len(fetched)

    step_registry._registry.clear()
    step_registry.register_step(fetching_step, order=1, loop="network")
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    timer = threading.Timer(0.5, lambda: signal.raise_signal(signal.SIGTERM))
    started = time.monotonic()
    try:
        timer.start()
        call_command("netloop", "--interval", "60")
    finally:
        timer.cancel()
        for number, handler in previous.items():
            signal.signal(number, handler)
    # The fetch in flight ran to its deadline (1 s); no new one started; no 60 s wait.
    assert fetched == ["slow"]
    assert time.monotonic() - started < 2.0
    assert not Heartbeat.objects.filter(role="network").exists()  # it said goodbye


@pytest.mark.django_db(transaction=True)
def test_the_netloop_process_refreshes_and_stops_cleanly_on_sigterm(
    trickle: TrickleServer, tmp_path: Path
) -> None:
    from tests.messaging import processes

    user = make_seeker()
    ids = applications(user, trickle.base, "fast", "slow")
    env = processes.process_env(
        email_url="smtp://127.0.0.1:1",
        var_dir=tmp_path,
        NETWORK_FETCH_DEADLINE_SECONDS="2",
        NETWORK_CONCURRENCY="2",
    )
    process = processes.start(["netloop", "--interval", "60"], env=env)
    try:
        for _ in range(600):  # the process starts, claims both links and begins fetching
            both = "/s/slow.json" in trickle.hits and "/s/fast.json" in trickle.hits
            if both or process.poll() is not None:
                break
            time.sleep(0.05)
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = process.wait(timeout=10)
        stopped_in = time.monotonic() - started
    finally:
        processes.stop([process])
    assert code == 0
    # The one fetch in flight (its 2 s deadline), then out: far from the 60 s interval. The
    # margin is for a busy machine, where exiting Python alone took up to 2 s.
    assert stopped_in < 6.0, stopped_in
    fast = JobApplication.objects.get(pk=ids["fast"])
    slow = JobApplication.objects.get(pk=ids["slow"])
    assert fast.employer_stage == "interview"
    assert "didn't answer in time" in slow.employer_error


@pytest.mark.django_db
def test_heardback_run_supervises_the_network_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    from heardback.ops.management.commands import run

    started: list[list[str]] = []

    class FakeSupervisor:
        def __init__(self, parts: list[Any], *, out: Any) -> None:
            started.extend(part.argv for part in parts)

        def start(self) -> None:
            pass

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(run, "Supervisor", FakeSupervisor)
    monkeypatch.setattr(run, "call_command", lambda *args, **kwargs: None)
    with pytest.raises(SystemExit):
        call_command("run", "--no-demo")
    assert any(argv[-1] == "netloop" for argv in started)
