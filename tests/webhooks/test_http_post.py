"""POSTs over a kept-alive connection (runtime.http.Session), against real loopback servers:
one connection for many requests, a fresh one when the server drops an idle one, one
overall deadline per request however slowly the server trickles, bodies read only so far."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from heardback.runtime import http


class RawServer:
    """Answers each request with `answer(n)` (n counts requests on the connection), then
    keeps the connection or closes it if `close_after` requests were served on it."""

    def __init__(self, *, body: bytes = b"ok", close_after: int = 0, trickle: bool = False):
        self.connections = 0
        self.requests = 0
        self.stopping = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer.connections += 1
                served = 0
                buffered = b""
                while not outer.stopping.is_set():
                    while b"\r\n\r\n" not in buffered:
                        chunk = self.request.recv(65536)
                        if not chunk:
                            return
                        buffered += chunk
                    head, _, rest = buffered.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    while len(rest) < length:
                        rest += self.request.recv(65536)
                    buffered = rest[length:]
                    outer.requests += 1
                    served += 1
                    answer = (
                        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: %d\r\n\r\n%s"
                        % (len(body), body)
                    )
                    if trickle:
                        with contextlib.suppress(OSError):
                            for byte in answer:
                                self.request.sendall(bytes([byte]))
                                if outer.stopping.wait(2):
                                    return
                        return
                    self.request.sendall(answer)
                    if close_after and served >= close_after:
                        return  # an idle keep-alive connection the server drops

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@contextlib.contextmanager
def serving(**options: object) -> Iterator[RawServer]:
    server = RawServer(**options)  # type: ignore[arg-type]
    server.thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.server.shutdown()
        server.server.server_close()


def post(session: http.Session, url: str, *, max_bytes: int = 64) -> http.Answer:
    return session.post(url, body=b'{"type":"x"}', deadline=2, max_bytes=max_bytes)


def test_many_posts_to_one_server_share_one_connection() -> None:
    with serving() as server, http.Session() as session:
        answers = [post(session, server.url) for _ in range(5)]
    assert [a.status for a in answers] == [500] * 5 and answers[0].body == b"ok"
    assert server.connections == 1 and session.connections == 1 and server.requests == 5


def test_a_connection_the_server_dropped_while_idle_is_replaced_quietly() -> None:
    with serving(close_after=1) as server, http.Session() as session:
        first = post(session, server.url)
        time.sleep(0.05)  # the server has closed its end by now
        second = post(session, server.url)
    assert first.status == second.status == 500
    assert server.connections == 2 and server.requests == 2


def test_a_long_answer_is_read_only_so_far_and_its_connection_not_reused() -> None:
    with serving(body=b"x" * 100_000) as server, http.Session() as session:
        answer = post(session, server.url, max_bytes=100)
        post(session, server.url, max_bytes=100)
    assert answer.body == b"x" * 100
    assert server.connections == 2


def test_a_post_to_a_trickling_server_ends_at_its_overall_deadline() -> None:
    with serving(trickle=True) as server:
        started = time.monotonic()
        with pytest.raises(http.FetchError) as caught:
            http.post(server.url, body=b"{}", deadline=1.5, max_bytes=64)
    assert caught.value.reason == "deadline"
    assert 1.4 <= time.monotonic() - started < 2.5


def test_a_post_to_a_port_nobody_listens_on_fails_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(http.FetchError) as caught:
            http.post(f"http://127.0.0.1:{port}/hooks", body=b"{}", deadline=5, max_bytes=10)
    assert caught.value.reason == "unreachable" and time.monotonic() - started < 1


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/hooks", "http:///hooks", "http://[::1/"])
def test_only_http_and_https_addresses_are_posted_to(url: str) -> None:
    with pytest.raises(http.FetchError) as caught:
        http.post(url, body=b"{}", deadline=1, max_bytes=10)
    assert caught.value.reason == "address"


def test_in_production_a_post_to_a_private_address_never_connects(settings: Any) -> None:
    settings.IS_PRODUCTION = True
    settings.SITE_URL = "https://heardback.example"
    with serving() as server:
        with pytest.raises(http.FetchError) as caught:
            http.post(server.url, body=b"{}", deadline=1, max_bytes=10)
        assert caught.value.reason == "private"
        assert server.connections == 0
