"""The outbound HTTP guard (runtime.http, used for status links, webhooks and bridges)."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from heardback.bridges.clients.transport import GuardedBackend
from heardback.hiring.errors import HiringError
from heardback.runtime import http
from heardback.seeker import status_feed
from heardback.webhooks.services import clean_url


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(answer: bytes) -> Iterator[str]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.settimeout(2)
            try:
                self.request.recv(65536)
                self.request.sendall(answer)
            except OSError:
                pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


@pytest.fixture
def ok_server() -> Iterator[str]:
    yield from _serve(OK)


@pytest.fixture
def production(settings: Any) -> Any:
    settings.IS_PRODUCTION = True
    settings.SITE_URL = "https://heardback.example"
    return settings


def _reason(url: str, **kwargs: Any) -> str:
    with pytest.raises(http.FetchError) as caught:
        http.get(url, deadline=2, max_bytes=100, **kwargs)
    return caught.value.reason


def test_in_production_only_this_sites_exact_origin_is_exempt(
    production: Any, ok_server: str
) -> None:
    port = ok_server.rsplit(":", 1)[1]
    production.SITE_URL = ok_server
    assert http.get(f"{ok_server}/s/x.json", deadline=2, max_bytes=100).body == b"{}"
    # The same host on another scheme or port is not this site.
    production.SITE_URL = "http://127.0.0.1"
    assert _reason(f"{ok_server}/s/x.json") == "private"
    production.SITE_URL = f"https://127.0.0.1:{port}"
    assert _reason(f"{ok_server}/s/x.json") == "private"
    production.SITE_URL = f"http://localhost:{port}"
    assert _reason(f"{ok_server}/s/x.json") == "private"
    with http.Session() as session, pytest.raises(http.FetchError):
        session.post(f"{ok_server}/hook", body=b"{}", deadline=2, max_bytes=10)


def test_only_the_webs_ports_are_reached_and_before_any_lookup(
    production: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_lookup(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("resolved a name it should have refused first")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    for url in ("http://example.com:8080/", "https://example.com:22/", "http://example.com:6379/"):
        assert _reason(url) == "private"
    for url in ("ftp://example.com/", "gopher://example.com/", "file:///etc/passwd"):
        assert _reason(url) == "address"
    backend = GuardedBackend()
    backend.end = float("inf")
    with pytest.raises(http.FetchError):
        backend.connect_tcp("example.com", 8443)


def test_the_name_is_resolved_once_and_that_address_is_connected_to(
    production: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [("93.184.215.14", 80), ("127.0.0.1", 80)]
    lookups: list[str] = []
    connected: list[Any] = []

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        address = answers[min(len(lookups) - 1, 1)]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", address)]

    def connect(addresses: list[Any], end: float) -> socket.socket:
        connected.extend(info[4] for info in addresses)
        raise http.FetchError("unreachable")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(http, "_connect", connect)
    assert _reason("http://rebind.example/") == "unreachable"
    assert lookups == ["rebind.example"]
    assert connected == [("93.184.215.14", 80)]
    # The second lookup (the rebinding answer) is checked before any connect.
    assert _reason("http://rebind.example/") == "private"
    assert connected == [("93.184.215.14", 80)]


def test_error_texts_never_repeat_what_another_server_said(settings: Any) -> None:
    settings.OUTBOUND_HTTP_ALLOW_PRIVATE = True
    answer = b"HTTP/1.1 503 Internal Vault Offline\r\nContent-Length: 6\r\n\r\nsecret"
    for base in _serve(answer):
        with pytest.raises(http.FetchError) as caught:
            http.get(f"{base}/x", deadline=2, max_bytes=100)
        assert caught.value.status == 503
        assert str(caught.value) == http.MESSAGES["status"]
        assert "503" not in str(caught.value) and "Vault" not in str(caught.value)
        with pytest.raises(status_feed.StatusFeedError) as feed:
            status_feed.fetch(f"{base}/s/abc/", deadline=2)
        assert "503" not in str(feed.value) and "Vault" not in str(feed.value)


def test_development_is_guarded_unless_private_addresses_are_configured(
    settings: Any, ok_server: str
) -> None:
    settings.IS_PRODUCTION = False
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.OUTBOUND_HTTP_ALLOW_PRIVATE = False
    assert _reason(f"{ok_server}/x") == "private"
    assert GuardedBackend().public_only is True
    settings.OUTBOUND_HTTP_ALLOW_PRIVATE = True
    assert http.get(f"{ok_server}/x", deadline=2, max_bytes=100).body == b"{}"
    # Production never honours the setting.
    settings.IS_PRODUCTION = True
    assert _reason(f"{ok_server}/x") == "private"


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\xff\xfe garbage\r\n\r\n", b"SSH-2.0-OpenSSH_9.6\r\n", b"220 smtp ready\r\n", b""],
)
def test_a_server_that_does_not_speak_http_is_a_clean_error(settings: Any, garbage: bytes) -> None:
    settings.OUTBOUND_HTTP_ALLOW_PRIVATE = True
    for base in _serve(garbage):
        assert _reason(f"{base}/x") == "unreachable"
        with pytest.raises(http.FetchError) as caught:
            http.post(f"{base}/hook", body=b"{}", deadline=2, max_bytes=10)
        assert caught.value.reason == "unreachable"
        with pytest.raises(status_feed.StatusFeedError):
            status_feed.fetch(f"{base}/s/abc/", deadline=2)


def test_a_webhook_address_on_another_port_is_refused_while_typing(production: Any) -> None:
    assert clean_url("https://hooks.example.com/in") == "https://hooks.example.com/in"
    assert clean_url("https://hooks.example.com:443/in") == "https://hooks.example.com:443/in"
    with pytest.raises(HiringError, match="standard https port"):
        clean_url("https://hooks.example.com:8443/in")
