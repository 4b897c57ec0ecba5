"""Compile a fixed read query once per database connection, then only run it.

The status page is the most requested page there is, and a first view of it used to spend
most of its time in Django building SQL for the same three queries on every request (about
two thirds of a full render). A `Prepared` query is an ordinary values queryset, written
with the ORM as usual; the first run on a connection compiles it and checks that the
parameters it was given come out in the order the SQL expects. Later runs execute the
stored SQL with new parameters through Django's own cursor (so query logging, execute
wrappers and `assertNumQueries` all still see them) and apply the same value converters the
ORM would (aware datetimes, booleans on SQLite, ...).

Only for queries whose shape never changes; the parameters are the only thing that varies.

On PostgreSQL the statement is also prepared on the server (`PREPARE`, once per database
session), so the server plans it once instead of on every request: planning the status
page's joined query (six tables, many indexes) cost more than running it. Behind a pooler
in transaction mode, where a session's prepared statements don't follow the client, set
`DATABASE_PREPARED_STATEMENTS=0`.
"""

from __future__ import annotations

import itertools
import re
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import Model, QuerySet

# What a compiled query keeps per connection: its SQL, the compiler (for the converters,
# which need the connection they were made for) and the converters themselves.
_Compiled = tuple[str, Any, dict[int, Any]]
_PLACEHOLDER = re.compile(r"%s")
_numbers = itertools.count(1)


def _session(connection: Any) -> Any:
    """What a compiled query is kept per: the driver's connection on PostgreSQL (a reconnect
    is a new session, without the statements the old one prepared); Django's wrapper
    elsewhere (SQLite's connections can't be weakly referenced, and prepare nothing)."""
    return connection.connection if connection.vendor == "postgresql" else connection


class Prepared:
    """A read query whose SQL is compiled once per database connection.

    `build(*args)` returns a `values_list()` queryset; `bind(*args)` gives the parameters
    that queryset's SQL binds, in order. The query is compiled with `probe`, sample
    arguments whose bound values are all different, and refused unless `bind(*probe)` is
    exactly what the ORM bound: parameters can never end up in the wrong places, even when
    a real request's values happen to coincide.
    """

    def __init__(
        self,
        model: type[Model],
        build: Callable[..., QuerySet],
        bind: Callable[..., Sequence[Any]],
        *,
        probe: Sequence[Any],
    ) -> None:
        bound = list(bind(*probe))
        if len(set(map(repr, bound))) != len(bound):
            raise ValueError(f"probe values must all differ, got {bound!r}")
        self.model = model
        self.build = build
        self.bind = bind
        self.probe = tuple(probe)
        # Forgotten with its connection (see _session).
        self._compiled: weakref.WeakKeyDictionary[Any, _Compiled] = weakref.WeakKeyDictionary()
        self._name = f"heardback_prepared_{next(_numbers)}"

    def _compile(self, connection: Any) -> _Compiled:
        queryset = self.build(*self.probe)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, compiled_params = compiler.as_sql()
        params = list(self.bind(*self.probe))
        if list(compiled_params) != params:
            raise AssertionError(f"prepared query binds {compiled_params!r}, not {params!r}")
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        if connection.vendor == "postgresql" and settings.DATABASE_PREPARED_STATEMENTS:
            sql = self._prepare_on_server(connection, sql, len(params))
        compiled = (sql, compiler, converters)
        self._compiled[_session(connection)] = compiled
        return compiled

    def _prepare_on_server(self, connection: Any, sql: str, count: int) -> str:
        """PREPARE the statement in this session; returns the EXECUTE that runs it."""
        numbers = itertools.count(1)
        numbered, found = _PLACEHOLDER.subn(lambda _match: f"${next(numbers)}", sql)
        if "%%" in sql or found != count:
            raise AssertionError("a prepared query must bind exactly its placeholders")
        # On the driver's own connection: setting up the session is not one of the page's
        # queries (their count is pinned), and a prepared statement outlives any rollback.
        session = connection.connection
        # A statement of this name can only be left from an earlier compile in this session
        # that failed before it was remembered: replace it.
        leftover = session.execute(
            "SELECT 1 FROM pg_prepared_statements WHERE name = %s", [self._name]
        ).fetchone()
        if leftover:
            session.execute(f"DEALLOCATE {self._name}")
        session.execute(f"PREPARE {self._name} AS {numbered}")
        arguments = f"({', '.join(['%s'] * count)})" if count else ""
        return f"EXECUTE {self._name}{arguments}"

    def rows(self, *args: Any) -> list[Sequence[Any]]:
        """All rows for these arguments, converted as the ORM would convert them."""
        connection = connections[router.db_for_read(self.model)]
        connection.ensure_connection()
        compiled = self._compiled.get(_session(connection)) or self._compile(connection)
        sql, compiler, converters = compiled
        with connection.cursor() as cursor:
            cursor.execute(sql, self.bind(*args))
            rows: list[Sequence[Any]] = cursor.fetchall()
        if converters and rows:
            return list(compiler.apply_converters(rows, converters))
        return rows
