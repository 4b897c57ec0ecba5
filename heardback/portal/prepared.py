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
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Model, QuerySet

# What a compiled query keeps per connection: its SQL, the compiler (for the converters,
# which need the connection they were made for) and the converters themselves.
_Compiled = tuple[str, Any, dict[int, Any]]


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
        # Connections are per thread; a compiled query is forgotten with its connection.
        self._compiled: weakref.WeakKeyDictionary[Any, _Compiled] = weakref.WeakKeyDictionary()

    def _compile(self, connection: Any) -> _Compiled:
        queryset = self.build(*self.probe)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, compiled_params = compiler.as_sql()
        params = list(self.bind(*self.probe))
        if list(compiled_params) != params:
            raise AssertionError(f"prepared query binds {compiled_params!r}, not {params!r}")
        converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
        compiled = (sql, compiler, converters)
        self._compiled[connection] = compiled
        return compiled

    def rows(self, *args: Any) -> list[Sequence[Any]]:
        """All rows for these arguments, converted as the ORM would convert them."""
        connection = connections[router.db_for_read(self.model)]
        compiled = self._compiled.get(connection) or self._compile(connection)
        sql, compiler, converters = compiled
        with connection.cursor() as cursor:
            cursor.execute(sql, self.bind(*args))
            rows: list[Sequence[Any]] = cursor.fetchall()
        if converters and rows:
            return list(compiler.apply_converters(rows, converters))
        return rows
