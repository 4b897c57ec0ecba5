"""The inbound endpoint: verify, store, answer — in milliseconds, before any processing."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from heardback import clock
from heardback.bridges.models import Connection, InboundEvent, InboundStatus
from heardback.bridges.providers import ADAPTERS
from heardback.bridges.secrets import decrypt
from heardback.portal.prepared import Prepared
from heardback.web import limits

log = logging.getLogger(__name__)


def _answer(status: int, text: str) -> JsonResponse:
    return JsonResponse({"status": text}, status=status)


def _event_type(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    kind = data.get("action") or data.get("event") or data.get("event_type") or data.get("type")
    return str(kind)[:100] if kind else ""


# Every delivery of every ATS looks its connection up: two columns, no model instance, and
# SQL compiled once per database connection (heardback.portal.prepared).
# `enabled` is read, not filtered on: PostgreSQL compiles `enabled=True` to a bare column
# and SQLite binds it, and a prepared query must bind the same parameters everywhere.
_ENDPOINT = Prepared(
    Connection,
    lambda connection_id, provider: Connection.objects.filter(
        pk=connection_id, provider=provider
    ).values_list("org_id", "webhook_secret", "enabled")[:1],
    lambda connection_id, provider: [connection_id, provider],
    probe=(7, "probe"),
)

# Every other column of a new event takes its model default.
_STORED_FIELDS = [f for f in InboundEvent._meta.concrete_fields if not f.primary_key]


def _store(**values: Any) -> None:
    """INSERT one inbox row with the ORM's own conversions (`get_db_prep_save`) but without
    building the query each time: on the path every delivery takes, that was a third of
    the view's own work."""
    params = [
        field.get_db_prep_save(
            values[field.attname] if field.attname in values else field.get_default(),
            connection,
        )
        for field in _STORED_FIELDS
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor), params)


@cache
def _insert_sql(vendor: str) -> str:
    """The statement, built once per database vendor (quoting differs)."""
    quote = connection.ops.quote_name
    table = quote(InboundEvent._meta.db_table)
    columns = ", ".join(quote(str(field.column)) for field in _STORED_FIELDS)
    marks = ", ".join(["%s"] * len(_STORED_FIELDS))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names, not data


# Ids beyond a 64-bit integer can't name a row, and some databases refuse to compare them.
MAX_ID = 2**63 - 1


@csrf_exempt  # signed by the ATS, not by a browser session
@require_POST
def receive(request: HttpRequest, provider: str, connection_id: int) -> HttpResponse:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not (length.isascii() and length.isdigit()) or int(length) > settings.BRIDGE_MAX_BODY_BYTES:
        return _answer(413, "too large")  # refused before a byte of the body is read
    adapter = ADAPTERS.get(provider)
    if adapter is None or connection_id > MAX_ID:
        return _answer(404, "unknown endpoint")
    found = _ENDPOINT.rows(connection_id, provider)
    if not found or not found[0][2]:
        return _answer(404, "unknown endpoint")
    org_id, secret, _enabled = found[0]
    body = request.body
    headers = {key: value for key, value in request.headers.items()}
    now = clock.now()
    if not adapter.verify(headers, body, decrypt(secret)):
        # Recorded for the connection page (no body: unsigned bytes are not kept), never
        # processed; up to BRIDGE_REFUSED_RECORD_RATE per connection, because anyone can
        # post here and must not be able to fill the org's table (still 401 past it).
        if limits.hit_rate(
            "bridge-refused", str(connection_id), rate=settings.BRIDGE_REFUSED_RECORD_RATE
        ).allowed:
            _record_refused(connection_id, org_id, now, body)
        return _answer(401, "bad signature")
    try:
        # The unique (connection, dedupe key) refuses a delivery seen before, whichever
        # worker stored it; the savepoint keeps a caller's transaction usable after that.
        with transaction.atomic():
            _store(
                connection_id=connection_id,
                org_id=org_id,
                dedupe_key=adapter.dedupe_key(headers, body),
                received_at=now,
                body=body,
                event_type=_event_type(body),
            )
    except IntegrityError:
        return _answer(200, "duplicate")  # delivered before: processed once
    return _answer(202, "accepted")


def _record_refused(connection_id: int, org_id: int, now: datetime, body: bytes) -> None:
    InboundEvent.objects.create(
        connection_id=connection_id,
        org_id=org_id,
        dedupe_key="",
        received_at=now,
        body=b"",
        event_type=_event_type(body)[:100],
        status=InboundStatus.BAD_SIGNATURE,
    )
