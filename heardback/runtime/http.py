"""Careful HTTP for steps that call other servers (the network loop, and the rare request
that asks right away): one GET (`get`), and POSTs over a kept-alive connection (`Session`,
or `post` for a single one).

Other servers are untrusted, and the addresses often come from users, so:

- one overall deadline for the whole fetch (name lookup, connect, TLS, headers and body
  together), not a per-read timeout: a server that trickles a byte every two seconds can't
  hold a worker a moment past it. Every read gets the time that is left, and none starts
  once it is spent;
- http and https only, no redirects, a bounded body;
- only public addresses on the web's ports (80, 443), or this very site (its scheme, host
  and port exactly): always in production, and elsewhere too unless the
  OUTBOUND_HTTP_ALLOW_PRIVATE setting says otherwise (the test settings do: their fake
  servers live on loopback). The name is resolved once and the check runs on the
  addresses we then connect to, so a name that resolves differently a second time can't
  slip past it;
- failures carry a generic message: callers show it to people, and what another server said
  (its status line, its words) is not ours to repeat.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from django.conf import settings

Reason = Literal[
    "address", "unresolvable", "private", "deadline", "unreachable", "status", "too_large"
]

MESSAGES: dict[Reason, str] = {
    "address": "That isn't an http or https address.",
    "unresolvable": "We couldn't find that address.",
    "private": "That address isn't public.",
    "deadline": "The server didn't answer in time.",
    "unreachable": "We couldn't reach the server.",
    "status": "The server didn't send what we asked for.",
    "too_large": "The server sent far more than we asked for.",
}

_AddressInfo = tuple[
    socket.AddressFamily, socket.SocketKind, int, str, tuple[str, int] | tuple[str, int, int, int]
]


class FetchError(Exception):
    """Why a GET failed: a `reason` callers can word for their own people.

    `status` is the HTTP status when the server answered something other than 200; it is for
    logs and tests, never for the message.
    """

    def __init__(self, reason: Reason, *, status: int | None = None) -> None:
        super().__init__(MESSAGES[reason])
        self.reason: Reason = reason
        self.status = status


@dataclass(frozen=True)
class Response:
    body: bytes
    content_type: str


def get(
    url: str,
    *,
    deadline: float,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    public_only: bool | None = None,
) -> Response:
    """GET `url` and return its 200 body, all within `deadline` seconds, or raise FetchError.

    `public_only` (default: `guarded()`) refuses private, loopback, link-local and other
    non-public addresses, and ports other than 80 and 443, except this site's own origin.
    """
    end = time.monotonic() + deadline
    target = _parse(url)
    if public_only is None:
        public_only = guarded()

    opened: socket.socket | None = None
    connection: _Connection | None = None
    response: http.client.HTTPResponse | None = None
    try:
        with _translated_errors():
            opened = _open(target, end, public_only=public_only)
            connection = _Connection(
                target.host, target.port, opened=opened, end=end, default_port=target.default_port
            )
            connection.request(
                "GET", target.path, headers={"Connection": "close", **dict(headers or {})}
            )
            response = connection.getresponse()
            if response.status != 200:
                raise FetchError("status", status=response.status)
            length = response.getheader("Content-Length") or ""
            if length.isdigit() and int(length) > max_bytes:
                raise FetchError("too_large")
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise FetchError("too_large")
            return Response(body=body, content_type=response.getheader("Content-Type") or "")
    finally:
        if response is not None:
            response.close()
        if connection is not None:
            connection.close()
        if opened is not None:
            opened.close()


@dataclass(frozen=True)
class Answer:
    """What a server answered a POST: its status, and at most the first `max_bytes` of its
    body (for a short snippet in a log; never shown as is)."""

    status: int
    body: bytes


class Session:
    """POSTs to one server over one kept-alive connection, each within its own deadline.

    The connection is opened (and its addresses checked, as for `get`) on the first POST
    and kept while the server keeps it: a batch of webhooks to one endpoint pays for one
    name lookup, one connect and one TLS handshake instead of one per request. A POST to
    another server, an answer we did not read to its end, or any error closes it; the next
    POST opens a new one, checked afresh. Not for several threads at once.
    """

    def __init__(self, *, public_only: bool | None = None) -> None:
        self.public_only = guarded() if public_only is None else public_only
        self._origin: tuple[str, str, int] | None = None
        self._opened: socket.socket | None = None
        self._connection: _Connection | None = None
        self._last: tuple[str, _Target] | None = None
        self.connections = 0  # how many this session opened (for tests and benchmarks)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def post(
        self,
        url: str,
        *,
        body: bytes,
        deadline: float,
        max_bytes: int,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """POST `body` to `url` and return the answer, whatever its status, within
        `deadline` seconds, or raise FetchError. Redirects are answers, never followed."""
        end = time.monotonic() + deadline
        if self._last is None or self._last[0] != url:
            self._last = (url, _parse(url))  # a session mostly posts to one address
        target = self._last[1]
        if self._origin != (target.scheme, target.host, target.port):
            self.close()
        reused = self._connection is not None
        try:
            with _translated_errors():
                try:
                    return self._exchange(target, end, body, headers, max_bytes)
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    if not reused:
                        raise
                    # The server closed the kept-alive connection while it sat idle (as it may
                    # at any time): say it again on a fresh one, checked afresh.
                    self.close()
                    return self._exchange(target, end, body, headers, max_bytes)
        except BaseException:
            self.close()
            raise

    def _exchange(
        self,
        target: _Target,
        end: float,
        body: bytes,
        headers: Mapping[str, str] | None,
        max_bytes: int,
    ) -> Answer:
        connection = self._connection
        if connection is None:
            self._opened = _open(target, end, public_only=self.public_only)
            self.connections += 1
            self._origin = (target.scheme, target.host, target.port)
            connection = self._connection = _Connection(
                target.host,
                target.port,
                opened=self._opened,
                end=end,
                default_port=target.default_port,
            )
        connection.set_deadline(end)
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json", **dict(headers or {})},
        )
        response = connection.getresponse()
        try:
            answer = Answer(status=response.status, body=response.read(max_bytes))
            # Only an answer read to its end leaves the connection ready for the next one.
            keep = not response.will_close and response.isclosed()
        finally:
            response.close()
        if not keep:
            self.close()
        return answer

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._opened is not None:
            self._opened.close()
        self._origin = self._opened = self._connection = None


def post(
    url: str,
    *,
    body: bytes,
    deadline: float,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    public_only: bool | None = None,
) -> Answer:
    """One POST on a connection of its own (see `Session` for several to one server)."""
    with Session(public_only=public_only) as session:
        return session.post(url, body=body, deadline=deadline, max_bytes=max_bytes,
                            headers=headers)  # fmt: skip


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    default_port: int
    path: str  # with the query


def _parse(url: str) -> _Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise FetchError("address") from error
    host = (parts.hostname or "").rstrip(".")  # "example.com." is example.com
    if parts.scheme not in ("http", "https") or not host:
        raise FetchError("address")
    default_port = 443 if parts.scheme == "https" else 80
    return _Target(
        scheme=parts.scheme,
        host=host,
        port=port or default_port,
        default_port=default_port,
        path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
    )


def guarded() -> bool:
    """Whether calls are held to public addresses on the web's ports: always in production;
    elsewhere unless OUTBOUND_HTTP_ALLOW_PRIVATE is set (tests, a developer's fake servers)."""
    return settings.IS_PRODUCTION or not getattr(settings, "OUTBOUND_HTTP_ALLOW_PRIVATE", False)


WEB_PORTS = frozenset({80, 443})


def _is_this_site(target: _Target) -> bool:
    """True only for this site's own origin: scheme, host and port all as in SITE_URL. (The
    site may sit on a private address behind its proxy; nothing else on that host may.)"""
    try:
        site = _parse(settings.SITE_URL)
    except FetchError:
        return False
    return (site.scheme, site.host, site.port) == (target.scheme, target.host, target.port)


def _open(target: _Target, end: float, *, public_only: bool) -> socket.socket:
    """A socket connected (and for https, shaken hands) to a checked address of `target`."""
    checked = public_only and not _is_this_site(target)
    if checked and target.port not in WEB_PORTS:
        # Another port on a public host is another service (a database, an admin page).
        raise FetchError("private")
    # Resolved once: the addresses checked are the very ones connected to.
    addresses = _resolve(target.host, target.port, end)
    if checked:
        _refuse_non_public(addresses)
    opened = _connect(addresses, end)
    # As http.client does for its own sockets: a request's head and body are two writes,
    # and with Nagle's algorithm the second waits for the server's delayed ACK (~40 ms).
    with contextlib.suppress(OSError):
        opened.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if target.scheme == "https":
        try:
            opened.settimeout(_remaining(end))
            # The handshake is one call, and ssl bounds a whole call by the socket timeout.
            opened = ssl.create_default_context().wrap_socket(opened, server_hostname=target.host)
        except BaseException:
            opened.close()
            raise
    return opened


def connect(
    host: str, port: int, *, end: float, public_only: bool, ports: frozenset[int]
) -> socket.socket:
    """A plain TCP socket to a checked address of `host`, for protocols other than HTTP (a
    seeker's IMAP server): the same name lookup within the deadline, and with `public_only`
    the same refusal of non-public addresses, on the given ports only. `end` is a
    `time.monotonic()` deadline. Raises FetchError."""
    with _translated_errors():
        if public_only and port not in ports:
            raise FetchError("private")
        addresses = _resolve(host, port, end)
        if public_only:
            _refuse_non_public(addresses)
        return _connect(addresses, end)


@contextlib.contextmanager
def _translated_errors() -> Iterator[None]:
    """Every failure of a request as a FetchError with a reason (see MESSAGES)."""
    try:
        yield
    except FetchError:
        raise
    except TimeoutError as error:
        raise FetchError("deadline") from error
    except http.client.InvalidURL as error:
        raise FetchError("address") from error
    except (OSError, http.client.HTTPException) as error:
        raise FetchError("unreachable") from error
    except ValueError as error:  # a host name no resolver could take (bad IDNA, NUL, …)
        raise FetchError("address") from error


def _remaining(end: float) -> float:
    left = end - time.monotonic()
    if left <= 0:
        raise TimeoutError("the fetch deadline passed")
    return left


def _resolve(host: str, port: int, end: float) -> list[_AddressInfo]:
    """The host's addresses, found within the deadline.

    getaddrinfo takes no timeout, so a slow resolver runs in a daemon thread that we stop
    waiting for at the deadline; the thread ends on its own when the resolver gives up.
    """
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        # A literal address needs no resolver, and no thread.
        return cast(
            list[_AddressInfo],
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST),
        )
    found: list[_AddressInfo] = []
    failed: list[Exception] = []

    def lookup() -> None:
        try:
            found.extend(
                cast(list[_AddressInfo], socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
            )
        except (OSError, ValueError) as error:
            failed.append(error)

    thread = threading.Thread(target=lookup, name="http-resolve", daemon=True)
    thread.start()
    thread.join(_remaining(end))
    if thread.is_alive():
        raise TimeoutError("the name lookup outlived the deadline")
    if failed or not found:
        raise FetchError("unresolvable")
    return found


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 scope id
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one (::ffff:127.0.0.1, 6to4, Teredo) is judged as
        # the IPv4 address it reaches; older Pythons don't look inside.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return is_public(str(embedded))
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _refuse_non_public(addresses: list[_AddressInfo]) -> None:
    # Any one private answer refuses the host: we won't pick the public one and hope.
    if not all(is_public(info[4][0]) for info in addresses):
        raise FetchError("private")


def _connect(addresses: list[_AddressInfo], end: float) -> socket.socket:
    last: OSError | None = None
    for family, kind, proto, _, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(_remaining(end))
            sock.connect(address)
        except TimeoutError:
            sock.close()
            raise
        except OSError as error:
            sock.close()
            last = error
            continue
        return sock
    raise FetchError("unreachable") from last


class _DeadlineReader(io.RawIOBase):
    """The socket's reads, each given only the time left before the deadline."""

    def __init__(self, sock: socket.socket, end: float) -> None:
        super().__init__()
        self._sock = sock
        self._end = end  # one response's deadline: http.client asks for a reader per response

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(_remaining(self._end))
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What http.client uses of a socket (sendall, makefile, close), bound by the deadline.

    http.client reads the status line, headers and body through `makefile`, in many small
    reads; routing them all through `_DeadlineReader` is what makes the deadline overall.
    """

    def __init__(self, sock: socket.socket, end: float) -> None:
        self._sock = sock
        self.end = end  # a kept-alive connection gets a new deadline for every request

    def sendall(self, data: bytes) -> None:
        # A single sendall is bounded as a whole by the socket timeout.
        self._sock.settimeout(_remaining(self.end))
        self._sock.sendall(data)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self.end))

    def close(self) -> None:
        # http.client closes "the socket" as soon as it has the response headers, while the
        # response still reads the body through makefile; `get` closes the real one at the end.
        pass


class _Connection(http.client.HTTPConnection):
    """http.client's request writing and response parsing (with its checks on paths,
    headers and line lengths), over a socket we opened to an address we checked."""

    def __init__(
        self, host: str, port: int, *, opened: socket.socket, end: float, default_port: int
    ) -> None:
        super().__init__(host, port)
        # Decides whether the Host header carries the port, as for any client.
        self.default_port = default_port
        self._opened = opened
        self._end = end

    def connect(self) -> None:
        # Duck-typed on purpose: http.client only sends, reads through makefile, and closes.
        self.sock = cast(socket.socket, _DeadlineSocket(self._opened, self._end))

    def set_deadline(self, end: float) -> None:
        """The next request on this (kept-alive) connection ends by `end`."""
        self._end = end
        if self.sock is not None:
            cast(_DeadlineSocket, self.sock).end = end
