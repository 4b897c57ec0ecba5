"""Rate limits and sign-in throttles, counted where every web process sees the same count.

Counts live in the default cache's store, which is shared by default:

- the database cache (the default): counters in `RateCount`, one atomic
  INSERT … ON CONFLICT … RETURNING per count, so two processes can never both read 4 and
  both write 5 (Django's generic `incr` is a read followed by a write);
- any other cache (Redis through CACHE_URL): the cache's own `incr`, which Redis does
  atomically.

Keys are hashed before they are stored, so no table or cache holds raw client or email
addresses. `FixedWindow` counts requests per window ("20/h"); `FailureThrottle` counts
failed sign-ins from the first failure for a fixed time and is cleared by a success.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from heardback import clock
from heardback.web.models import RateCount

# A new window's first count also deletes expired counters, this often (they are keyed by
# window, so nothing else ever reads them again).
PRUNE_PROBABILITY = 0.01

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The unit's first letter decides ("m", "min" and "minute" are all minutes), as the API
# throttle's rates were read before they were counted here.
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*")


@lru_cache(maxsize=64)
def parse_rate(text: str) -> tuple[int, int]:
    """A rate setting as (requests, seconds): "60/10m" is (60, 600), "3/h" is (3, 3600)."""
    match = _RATE.fullmatch(text or "")
    if match is None or int(match.group(1)) < 1 or match.group(2) == "0":
        raise ImproperlyConfigured(
            f"A rate looks like 60/10m, 3/h or 20/s (requests per window); got {text!r}."
        )
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNITS[unit]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# --- counters -----------------------------------------------------------------------------


def _in_database() -> bool:
    return isinstance(caches["default"], DatabaseCache)


def add(key: str, *, expires_in: int, by: int = 1) -> int:
    """Add `by` to the counter `key` (created to expire in `expires_in` seconds if it is
    missing or expired) and return its new value, atomically across processes."""
    if _in_database():
        return _add_in_database(key, expires_in=expires_in, by=by)
    cache = caches["default"]
    try:
        return int(cache.incr(key, by))
    except ValueError:  # missing (or expired): create it
        pass
    if cache.add(key, by, timeout=expires_in):
        return by
    try:
        return int(cache.incr(key, by))  # another process created it just now
    except ValueError:  # and it expired in between: start again
        cache.set(key, by, timeout=expires_in)
        return by


def _unflushed_commit() -> str:
    """On PostgreSQL, when the count is its own transaction: commit it without waiting for
    the write-ahead log to reach the disk (`synchronous_commit` off for this transaction
    only). That wait was a fifth of an uncached status page; a crash of the database server
    can at worst forget the last fraction of a second of counts, never corrupt them. Inside
    a caller's transaction nothing changes: its commit must stay as durable as it was."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return ""
    # Evaluated once, by the statement's only row; local to the statement's transaction.
    return " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed"


def _add_in_database(key: str, *, expires_in: int, by: int) -> int:
    now = timezone.now()
    ops = connection.ops
    table = ops.quote_name(RateCount._meta.db_table)
    key_, count_, expires_ = (ops.quote_name(n) for n in ("key", "count", "expires_at"))
    expires_at = ops.adapt_datetimefield_value(now + timedelta(seconds=expires_in))
    at = ops.adapt_datetimefield_value(now)
    # One statement: an expired counter starts again, a live one adds; the database
    # serialises two processes counting the same key. Only quoted names are formatted in.
    sql = (
        f"INSERT INTO {table} ({key_}, {count_}, {expires_}) "
        f"SELECT %s, %s, %s{_unflushed_commit()} "
        f"ON CONFLICT ({key_}) DO UPDATE SET "
        f"{count_} = CASE WHEN {table}.{expires_} <= %s THEN excluded.{count_} "
        f"ELSE {table}.{count_} + excluded.{count_} END, "
        f"{expires_} = CASE WHEN {table}.{expires_} <= %s THEN excluded.{expires_} "
        f"ELSE {table}.{expires_} END "
        f"RETURNING {count_}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, by, expires_at, at, at])
        row = cursor.fetchone()
    count = int(row[0])
    if count == by and random.random() < PRUNE_PROBABILITY:
        RateCount.objects.filter(expires_at__lte=now).delete()
    return count


def peek(key: str) -> int:
    """The counter's value without counting (0 when missing or expired)."""
    if _in_database():
        found = (
            RateCount.objects.filter(key=key, expires_at__gt=timezone.now())
            .values_list("count", flat=True)
            .first()
        )
        return int(found or 0)
    return int(caches["default"].get(key) or 0)


def forget(key: str) -> None:
    if _in_database():
        RateCount.objects.filter(key=key).delete()
    else:
        caches["default"].delete(key)


# --- fixed windows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends


def hit(scope: str, who: str, *, limit: int, window: int) -> Verdict:
    """Count one request by `who` (an address, an email address…) against `limit` per
    `window` seconds in `scope`, in fixed windows (the clock's, so tests can move it)."""
    now = int(clock.now().timestamp())
    bucket = now // window
    count = add(f"rl:{scope}:{digest(who)}:{bucket}", expires_in=window + 1)
    return Verdict(allowed=count <= limit, count=count, retry_after=window - (now % window))


def hit_rate(scope: str, who: str, *, rate: str) -> Verdict:
    limit, window = parse_rate(rate)
    return hit(scope, who, limit=limit, window=window)


# --- sign-in throttles --------------------------------------------------------------------


@dataclass(frozen=True)
class FailureThrottle:
    """Failed sign-ins per (username, client): after `max_failures` within `window_seconds`
    of the first one, that pair is refused until the window ends; a success clears it.

    Per pair, so a guesser at one account doesn't lock its owner out from elsewhere.
    """

    name: str
    max_failures: int
    window_seconds: int

    def _key(self, *, username: str, address: str) -> str:
        return f"throttle:{self.name}:{digest(username.strip().lower() + '|' + address)}"

    def blocked(self, *, username: str, address: str) -> bool:
        return peek(self._key(username=username, address=address)) >= self.max_failures

    def record_failure(self, *, username: str, address: str) -> int:
        return add(self._key(username=username, address=address), expires_in=self.window_seconds)

    def clear(self, *, username: str, address: str) -> None:
        forget(self._key(username=username, address=address))
