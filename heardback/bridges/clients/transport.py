"""httpx over the network loop's careful connections (`heardback.runtime.http`).

The ATS clients use httpx (keep-alive, auth helpers, Link headers), but every connection it
opens goes through `GuardedBackend`:

- the host is resolved within the call's deadline (getaddrinfo takes no timeout of its own);
- unless private addresses are allowed (`careful.guarded()`: never in production, in tests
  where the fake ATS servers live on loopback) every address it resolves to must be public
  and the port 80 or 443, and we connect to exactly the addresses we checked, so a name
  that answers differently a second time can't slip past;
- every connect, TLS handshake, read and write gets only the time left before the call's
  overall deadline, so a server that trickles a byte at a time can't hold the loop past it.

TLS still verifies the certificate against the host name: httpcore passes the name it was
asked for as `server_hostname`, whatever address we connected to.
"""

from __future__ import annotations

import math
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from heardback.runtime import http as careful
from heardback.runtime.http import FetchError, is_public


class GuardedBackend(httpcore.SyncBackend):
    """Connections to checked addresses, bounded by `end` (a `time.monotonic()` moment that
    the client moves forward before each call)."""

    def __init__(self, *, public_only: bool | None = None) -> None:
        self.public_only = careful.guarded() if public_only is None else public_only
        self.end = math.inf

    def left(self, timeout: float | None, timeout_error: type[Exception]) -> float:
        """The smaller of httpcore's own timeout and the time left before the deadline."""
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise timeout_error("the call's deadline passed")
        return remaining if timeout is None else min(timeout, remaining)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.left(timeout, httpcore.ConnectTimeout)
        if self.public_only and port not in careful.WEB_PORTS:
            raise FetchError("private")  # as for the loop's own fetches
        try:
            addresses = careful._resolve(host, port, self.end)
        except TimeoutError as error:
            raise httpcore.ConnectTimeout(str(error)) from error
        if self.public_only and not all(is_public(str(info[4][0])) for info in addresses):
            # Any one private answer refuses the host, as for the loop's own fetches.
            raise FetchError("private")
        last: Exception | None = None
        for info in addresses:
            try:
                stream = super().connect_tcp(
                    str(info[4][0]),
                    port,
                    timeout=self.left(timeout, httpcore.ConnectTimeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as error:
                last = error
                continue
            return DeadlineStream(stream, self)
        raise httpcore.ConnectError("no address of the host accepted the connection") from last


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the backend's current deadline (a kept-alive
    connection serves several calls, each with its own)."""

    def __init__(self, inner: httpcore.NetworkStream, backend: GuardedBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wrapped = self._inner.start_tls(
            ssl_context, server_hostname, self._backend.left(timeout, httpcore.ConnectTimeout)
        )
        return DeadlineStream(wrapped, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport with its connection pool on a `GuardedBackend`."""

    def __init__(self, backend: GuardedBackend) -> None:
        # trust_env=False: a proxy from the environment would connect for us, past the check.
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=4,
            max_keepalive_connections=2,
            keepalive_expiry=30.0,
            network_backend=backend,
        )
