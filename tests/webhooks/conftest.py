"""A real HTTP receiver on loopback, an org with an admin, and helpers to run the steps.

The receiver is `http.server` in a thread, speaking HTTP/1.1 with keep-alive, as a real
receiver would. Each request takes the next behaviour from `script`, then `default`:
"ok" (200), "500", "redirect" (302), or "hang" (never answers, until the test ends or the
client gives up).
"""

from __future__ import annotations

import contextlib
import json
import select
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from heardback import clock
from heardback.hiring.models import Job, Member, Org, Role
from heardback.webhooks import delivery, fanout, services
from heardback.webhooks.events import EventType
from heardback.webhooks.models import WebhookEndpoint
from tests import factories
from tests.acme import MONDAY


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int | None  # the status we answered, None if we never did
    connection: int  # which connection it came on (1, 2, …)

    def verified(self, secret: str) -> Any:
        """The payload, if the signature verifies with `secret` (raises if not)."""
        return Webhook(secret).verify(self.body, self.headers)

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[str] = []
        self.default = "ok"
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, each answer waits for
            # the client's delayed ACK (about 40 ms).
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                with outer.lock:
                    outer.connections += 1
                    self.number = outer.connections

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    behaviour = outer.script.pop(0) if outer.script else outer.default
                received = Received(
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    answered=None,
                    connection=self.number,
                )
                with outer.lock:
                    outer.requests.append(received)
                if behaviour == "hang":
                    self._hang()
                    self.close_connection = True
                    return
                status, text = {"ok": (200, b"ok"), "500": (500, b"boom\nat line 3")}.get(
                    behaviour, (302, b"")
                )
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
                received.answered = status

            def _hang(self) -> None:
                # Until the test ends or the client gives up (its side closes).
                end = time.monotonic() + 60
                while time.monotonic() < end and not outer.stopping.is_set():
                    with contextlib.suppress(OSError, ValueError):
                        if select.select([self.connection], [], [], 0.05)[0]:
                            return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def types(self) -> list[str]:
        return [r.payload["type"] for r in self.requests]

    def delivered(self) -> list[Received]:
        return [r for r in self.requests if r.answered == 200]

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.requests if r.payload["type"] == event_type]


def start_receiver() -> Receiver:
    receiver = Receiver()
    receiver.thread.start()
    return receiver


def stop_receiver(receiver: Receiver) -> None:
    receiver.stopping.set()
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = start_receiver()
    try:
        yield server
    finally:
        stop_receiver(server)


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    server = start_receiver()
    try:
        yield server
    finally:
        stop_receiver(server)


@pytest.fixture(autouse=True)
def _quick_webhooks(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 2


@dataclass
class World:
    org: Org
    admin: Member
    recruiter: Member
    job: Job


def make_world(name: str = "Acme Robotics", domain: str = "acme.example") -> World:
    org = factories.make_org(name=name, country="DE", time_zone="Europe/Berlin")
    admin = factories.make_member(org=org, role=Role.ADMIN, email=f"admin@{domain}")
    recruiter = factories.make_member(org=org, role=Role.RECRUITER, email=f"rita@{domain}")
    job = factories.make_job(org=org, title="Robot Whisperer", owner=recruiter)
    return World(org=org, admin=admin, recruiter=recruiter, job=job)


@pytest.fixture
def frozen(time_machine: Any) -> Any:
    """Monday morning, standing still until a test moves it."""
    time_machine.move_to(MONDAY, tick=False)
    return time_machine


@pytest.fixture
def acme(db: None, frozen: Any) -> World:
    return make_world()


@dataclass
class Hook:
    endpoint: WebhookEndpoint
    secret: str


def subscribe(
    world: World, receiver: Receiver, events: list[str] | None = None, path: str = "/hooks"
) -> Hook:
    endpoint, secret = services.create_endpoint(
        actor=world.admin, url=receiver.url(path), events=events or list(EventType.values)
    )
    return Hook(endpoint=endpoint, secret=secret)


@pytest.fixture
def hook(acme: World, receiver: Receiver) -> Hook:
    return subscribe(acme, receiver)


def fan_out(now: datetime | None = None) -> int:
    return fanout.fan_out_webhooks(now=now or clock.now(), limit=500)


def deliver(now: datetime | None = None) -> int:
    return delivery.deliver_webhooks(now=now or clock.now(), limit=500)


def pump() -> None:
    """One network round for the webhooks: read what happened, then send it."""
    fan_out()
    deliver()
