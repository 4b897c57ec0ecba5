"""Reading search boxes, filters and ids out of a request's query string or form.

A query string is whatever anyone types into the address bar. Two things in it used to end
in a server error: a NUL character (PostgreSQL refuses it in any text it is asked to compare
with) and digits Python's `str.isdigit` accepts but `int` does not ("²"). These helpers are
the one way views read such values, so every search box and filter answers alike.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import QueryDict

MAX_ID = 2**63 - 1


def text_param(params: QueryDict, name: str, *, max_length: int = 100) -> str:
    """A search box's text, cut to `max_length`; BadRequest (a 400) for a NUL character,
    which no search can match and the database can't take."""
    value = params.get(name, "")
    if "\x00" in value:
        raise BadRequest(f"The “{name}” parameter contains a NUL character.")
    return value[:max_length]


def id_param(params: QueryDict, name: str) -> int | None:
    """A positive database id in ASCII digits, or None for anything else (empty, "²",
    "12a", a number too large for any id)."""
    value = params.get(name, "")
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
