"""What every ATS client shares: one httpx client on guarded connections, an overall
deadline per call and per round, and patience with rate limits (429 and Retry-After).

A client reads; it never writes to the database. `pages()` yields what changed in the ATS
as `Item`s, each a body in the provider's own webhook shape (so the provider's `read` turns
it into the same `AtsEvent`s a webhook would), with the state to store once the page is
safely kept. The reconcile step (heardback/bridges/reconcile.py) stores them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from heardback import clock
from heardback.bridges.clients.transport import GuardedBackend, GuardedTransport
from heardback.bridges.providers.base import parse_time
from heardback.runtime import network
from heardback.runtime.http import FetchError

MAX_BYTES = 10_000_000  # one page of an ATS's API is far smaller; more is not an answer
# A 429 asking us to wait longer than this (or longer than the round has left) ends the
# connection's round; the reconcile comes back when the ATS said.
MAX_PATIENCE_SECONDS = 30.0
MAX_THROTTLED_TRIES = 4
# However long an ATS asks us to stay away, its connection is tried again within the hour:
# a Retry-After of a year (or a date long past the point) can't switch the reconcile off.
MAX_RETRY_AFTER_SECONDS = 3600.0
DEFAULT_BACKOFF_SECONDS = 1.0  # a 429 without Retry-After: 1 s, then 2 s, then 4 s


class ApiError(Exception):
    """A call failed. The message is ours, never the other server's words (it is shown on
    the connection page and in `heardback doctor`)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class OutOfTime(ApiError):
    """The round's time for this connection is spent (or the loop is stopping): not a
    failure; what was kept so far stays kept, and the next round goes on from there."""


class RateLimited(ApiError):
    """The ATS asked us to come back later than we are willing to wait now."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"The ATS asked us to wait {retry_after:.0f} s (rate limit).")
        self.retry_after = retry_after


class CursorExpired(ApiError):
    """A saved page cursor (or sync token) is no longer accepted: start the sweep again."""


@dataclass(frozen=True)
class Item:
    """One application's state as the ATS's API has it now."""

    external_id: str
    moment: datetime  # the ATS's own time of that state (ordering and deduplication)
    body: dict[str, Any]  # in the provider's webhook shape

    @property
    def dedupe_key(self) -> str:
        stamp = self.moment.astimezone(UTC).isoformat(timespec="milliseconds")
        return f"reconcile:{self.external_id[:150]}:{stamp}"


@dataclass(frozen=True)
class Page:
    items: list[Item]
    state: dict[str, Any]  # the cursor to store with these items
    done: bool = False  # the sweep is over: `state` is where the next one starts


@dataclass(frozen=True)
class Limits:
    """Seconds for one call (connect to last byte) and for one connection's whole round."""

    call_seconds: float
    round_seconds: float


def retry_after_seconds(value: str, *, default: float) -> float:
    """Retry-After in seconds: a number of seconds or an HTTP date (RFC 9110 10.2.3),
    at most MAX_RETRY_AFTER_SECONDS."""
    value = value.strip()
    if not value:
        seconds = default
    elif value.isascii() and value.isdigit():
        seconds = float(value)
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return default
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = max(0.0, (moment - clock.now()).total_seconds())
    return min(seconds, MAX_RETRY_AFTER_SECONDS)


def _pause(seconds: float) -> None:
    """Sleep, a second at a time, so a stopping loop doesn't wait out a long Retry-After."""
    end = time.monotonic() + seconds
    while not network.stopping():
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 1.0))
    raise OutOfTime("The network loop is stopping.")


class ApiClient:
    """An ATS's API, for one connection and one round."""

    def __init__(
        self,
        *,
        base_url: str,
        limits: Limits,
        auth: httpx.Auth | tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        public_only: bool | None = None,
        sleep: Callable[[float], None] = _pause,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limits = limits
        self._round_end = time.monotonic() + limits.round_seconds
        self._sleep = sleep
        self._backend = GuardedBackend(public_only=public_only)
        self._http = httpx.Client(
            transport=GuardedTransport(self._backend),
            auth=auth,
            headers={
                "Accept": "application/json",
                # Uncompressed, please: a body's size is then what we count (see `_read`).
                "Accept-Encoding": "identity",
                "User-Agent": "Heardback",
                **(headers or {}),
            },
            follow_redirects=False,  # an answer, never followed (credentials go nowhere else)
            trust_env=False,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def pages(self, state: dict[str, Any], *, floor: datetime, now: datetime) -> Iterator[Page]:
        """What changed since `state` (a fresh sweep from `floor` when empty)."""
        raise NotImplementedError

    # --- calls -----------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def call(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[httpx.Response, Any]:
        """One call and its JSON, waiting out short rate limits; raises ApiError."""
        waited = 0
        while True:
            response, body = self._once(method, url, params, json_body, form, auth, headers)
            if response.status_code != 429:
                break
            waited += 1
            seconds = retry_after_seconds(
                response.headers.get("Retry-After", ""),
                default=DEFAULT_BACKOFF_SECONDS * 2 ** (waited - 1),
            )
            left = self._round_end - time.monotonic()
            if waited >= MAX_THROTTLED_TRIES or seconds > min(MAX_PATIENCE_SECONDS, left):
                raise RateLimited(seconds)
            self._sleep(seconds)
        if response.status_code in (401, 403):
            raise ApiError(
                f"The ATS refused our credentials ({response.status_code}): check the API "
                f"credentials on the connection page.",
                status=response.status_code,
            )
        if not 200 <= response.status_code < 300:
            raise ApiError(
                f"The ATS's API answered {response.status_code}.", status=response.status_code
            )
        return response, body

    def _once(
        self,
        method: str,
        url: str,
        params: Any,
        json_body: Any,
        form: Mapping[str, str] | None,
        auth: httpx.Auth | tuple[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> tuple[httpx.Response, Any]:
        left = self._round_end - time.monotonic()
        if left <= 0 or network.stopping():
            raise OutOfTime("This connection's time for the round is spent.")
        deadline = min(self.limits.call_seconds, left)
        self._backend.end = time.monotonic() + deadline
        request = self._http.build_request(
            method,
            url,
            params=params,
            json=json_body,
            data=form,
            headers=headers,
            timeout=httpx.Timeout(deadline),
        )
        try:
            response = self._http.send(
                request, auth=httpx.USE_CLIENT_DEFAULT if auth is None else auth, stream=True
            )
            try:
                raw = self._read(response)
            finally:
                response.close()
        except httpx.TimeoutException as error:
            if deadline < self.limits.call_seconds:
                # It was the round's end that cut this call short, not a slow server.
                raise OutOfTime("This connection's time for the round is spent.") from error
            raise ApiError("The ATS's API didn't answer in time.") from error
        except FetchError as error:
            raise ApiError(str(error)) from error
        except httpx.HTTPError as error:
            raise ApiError("We couldn't reach the ATS's API.") from error
        finally:
            self._backend.end = float("inf")
        if response.status_code == 429 or not 200 <= response.status_code < 300:
            return response, None
        try:
            return response, json.loads(raw) if raw else None
        except ValueError as error:
            raise ApiError("The ATS's API answered something other than JSON.") from error

    def _read(self, response: httpx.Response) -> bytes:
        """The body, counted as it arrives (decoded, should a server compress anyway), and
        refused past MAX_BYTES: a page is never that large."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BYTES:
                raise ApiError("The ATS's API sent far more than a page.")
            chunks.append(chunk)
        return b"".join(chunks)


def later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def moment_of(*values: Any) -> datetime | None:
    """The latest of the ATS times given (ISO strings or Unix times), or None."""
    found: datetime | None = None
    for value in values:
        found = later(found, parse_time(value))
    return found


def since_of(state: Mapping[str, Any], floor: datetime) -> datetime:
    """Where a sweep starts: the stored `since`, never before `floor`."""
    stored = parse_time(state.get("since"))
    return max(stored, floor) if stored is not None else floor


# Each sweep starts this much before the previous one started: a change saved in the ATS
# while we read (or a clock a little off ours) is read again rather than missed; reading
# twice costs nothing, the inbox's dedupe key keeps one.
OVERLAP = timedelta(minutes=10)


def next_since(sweep_started: Any, now: datetime) -> str:
    started = parse_time(sweep_started) or now
    return (started - OVERLAP).isoformat()
