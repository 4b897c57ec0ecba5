"""Inserting many rows of one model in one or a few statements, with the model's own defaults and
column conversions: the ORM's `bulk_create` spends most of its time building objects and
compiling SQL, which a 100,000-row import can't afford.

No signals are sent (the project uses none for these models); the caller's transaction
holds it all together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection, models

MAX_ROWS_PER_STATEMENT = 500


def insert(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, returning: bool = False
) -> list[int]:
    """INSERT `rows` (dicts by attname; missing fields take the field's default). Returns the
    new primary keys in row order when `returning` (as `bulk_create` relies on too)."""
    if not rows:
        return []
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    defaults = {f.attname: f.get_default() for f in fields}
    preparers: list[tuple[str, Callable[[Any], Any] | None]] = [
        (f.attname, _preparer(f)) for f in fields
    ]
    columns = ", ".join(quote(str(f.column)) for f in fields)
    table = quote(meta.db_table)
    tail = f" RETURNING {quote(str(meta.pk.column))}" if returning and meta.pk else ""

    def values(row: Mapping[str, Any]) -> list[Any]:
        return [
            prepare(row.get(attname, defaults[attname]))
            if prepare
            else row.get(attname, defaults[attname])
            for attname, prepare in preparers
        ]

    ids: list[int] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array per column (as Django's bulk_create does there): a short statement
            # with a handful of parameters, whatever the number of rows.
            arrays = ", ".join(
                f"(%s)::{(f.db_type(connection) or 'text').split('(')[0]}[]" for f in fields
            )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM UNNEST({arrays}){tail}",  # noqa: S608
                [list(column) for column in zip(*(values(row) for row in rows), strict=True)],
            )
            if tail:
                ids.extend(int(found[0]) for found in cursor.fetchall())
            return ids
        width = len(fields)
        limit = connection.features.max_query_params or 65_535
        batch = max(1, min(MAX_ROWS_PER_STATEMENT, limit // width))
        placeholders = "(" + ", ".join(["%s"] * width) + ")"
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            params = [value for row in part for value in values(row)]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
                + ", ".join([placeholders] * len(part))
                + tail,
                params,
            )
            if tail:
                ids.extend(int(found[0]) for found in cursor.fetchall())
    return ids


def _preparer(field: models.Field) -> Callable[[Any], Any] | None:
    """How a value of `field` goes to the database; dates are converted once per value
    (an import repeats a few moments thousands of times)."""
    if isinstance(field, models.JSONField):
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DateField):  # DateTimeField too
        seen: dict[Any, Any] = {}

        def prepare(value: Any) -> Any:
            if value not in seen:
                seen[value] = field.get_db_prep_save(value, connection)
            return seen[value]

        return prepare
    return None
