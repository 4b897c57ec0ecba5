"""Pulling from the ATS's API: what webhooks lost, and what a webhook left out.

Two steps of the network loop (`heardback netloop`), never of the engine: they wait on
other people's servers.

`reconcile_connections`: every RECONCILE_EVERY, each enabled connection with API
credentials reads what changed in its ATS since its cursor (clients/), page by page. Each
application's current state is stored in the inbox as an InboundEvent, in the provider's
own webhook shape, with the dedupe key `reconcile:<application id>:<ATS time of the
state>`; the engine step then applies it exactly like a webhook, in the ATS's own time
order, and a state already applied from a webhook changes nothing. A reconcile never
applies anything itself. A connection is claimed by compare-and-set on
`last_reconciled_at`, so several network loops can run the step. Every call has an overall
deadline (CALL_SECONDS) and each connection's round has one too (CONNECTION_SECONDS);
each page's events and the cursor after it are stored in one transaction, so a round cut
short (by its time, the loop's budget or a shutdown) goes on from there next round. A 429
is waited out when the ATS asks for little enough (Retry-After), else the connection comes
back when the ATS said. A failure is recorded as a fault of the connection (console banner,
`heardback doctor`) and retried with backoff.

`fetch_lever_details`: a Lever webhook carries ids only. For each such delivery in the inbox
this fetches the opportunity (with its stage, archive reason and posting) and stores it in
the delivery's body (`fetched`), after which the engine step applies it like any event.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from heardback import clock
from heardback.bridges.clients import CLIENTS, client_for
from heardback.bridges.clients.base import (
    ApiClient,
    ApiError,
    CursorExpired,
    Limits,
    OutOfTime,
    Page,
    RateLimited,
)
from heardback.bridges.clients.lever import LeverClient
from heardback.bridges.models import Connection, InboundEvent, InboundStatus, Provider
from heardback.bridges.processing import WAITING_FOR_FETCH
from heardback.bridges.secrets import decrypt
from heardback.runtime import network
from heardback.runtime.isolation import ItemGuard, describe, record_failure, resolve

log = logging.getLogger(__name__)

SOURCE = "reconcile_connections"  # the steps' names in runtime faults
FETCH_SOURCE = "fetch_lever_details"

RECONCILE_EVERY = timedelta(minutes=15)
CALL_SECONDS = 10.0  # one call, from the name lookup to the last byte
CONNECTION_SECONDS = 30.0  # one connection's share of a round
# A Lever delivery being fetched is hidden from other loops (and the engine) this long; a
# loop that dies mid-fetch leaves it to be fetched again after that.
FETCH_CLAIM = timedelta(minutes=5)
EVENT_TYPE = "reconcile"


def connection_item(connection_id: int) -> str:
    return f"connection:{connection_id}"


def limits() -> Limits:
    return Limits(call_seconds=CALL_SECONDS, round_seconds=CONNECTION_SECONDS)


def credentials_of(connection: Connection) -> dict[str, Any]:
    try:
        data = json.loads(decrypt(connection.api_credentials) or "{}")
    except ValueError as error:
        raise ApiError("The connection's API credentials are not a JSON object.") from error
    if not isinstance(data, dict):
        raise ApiError("The connection's API credentials are not a JSON object.")
    return data


def _label(connection: Connection) -> str:
    return f"the connection to {connection.get_provider_display()} ({connection.name})"


# --- the reconcile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    stored: int
    done: bool  # the sweep reached the ATS's last page


def reconcile_connections(*, now: datetime, limit: int) -> int:
    """Network step: reconcile the connections that are due, one at a time, each claimed
    just before its turn (a round cut short leaves the rest unclaimed, still due)."""
    guard = ItemGuard(SOURCE, now=now)
    due = list(
        Connection.objects.filter(enabled=True, provider__in=list(CLIENTS))
        .exclude(api_credentials="")
        .filter(
            Q(last_reconciled_at__isnull=True) | Q(last_reconciled_at__lte=now - RECONCILE_EVERY)
        )
        .order_by(F("last_reconciled_at").asc(nulls_first=True), "id")
        .values_list("id", "last_reconciled_at")[:limit]
    )
    handled = 0
    for connection_id, last in due:
        if network.stopping():
            break
        if guard.waiting(connection_item(connection_id)):
            continue
        claimed = Connection.objects.filter(pk=connection_id, last_reconciled_at=last).update(
            last_reconciled_at=now
        )
        if not claimed:
            continue  # another network loop has it
        connection = Connection.objects.select_related("org").get(pk=connection_id)
        _reconcile_in_isolation(guard, connection, now=now)
        handled += 1
    return handled


def _reconcile_in_isolation(guard: ItemGuard, connection: Connection, *, now: datetime) -> None:
    item = connection_item(connection.pk)
    try:
        outcome = reconcile_connection(connection, now=now)
    except RateLimited as error:
        # Not a failure: come back when the ATS said (its next round is then due).
        _due_at(connection, now + timedelta(seconds=error.retry_after))
        return
    except Exception as error:  # one connection's failure never stops the others
        fault = record_failure(
            source=SOURCE,
            item=item,
            org_id=connection.org_id,
            error=str(error) if isinstance(error, ApiError) else describe(error),
            label=_label(connection),
            now=now,
        )
        log.log(
            logging.WARNING if isinstance(error, ApiError) else logging.ERROR,
            "reconcile of connection %s failed (%s times): %s",
            connection.pk,
            fault.attempts,
            fault.last_error,
            exc_info=not isinstance(error, ApiError),
        )
        return
    if guard.fault(item) is not None:
        resolve(source=SOURCE, item=item)
    if not outcome.done:
        _due_at(connection, now)  # cut short: go on from the stored cursor next round


def _due_at(connection: Connection, moment: datetime) -> None:
    """Make the connection due again at `moment` (due means RECONCILE_EVERY after the last)."""
    Connection.objects.filter(pk=connection.pk).update(last_reconciled_at=moment - RECONCILE_EVERY)


def reconcile_connection(connection: Connection, *, now: datetime) -> Outcome:
    """Read what changed in the connection's ATS and store it in the inbox; raises ApiError
    (RateLimited included) when the ATS can't be read."""
    state = _load(connection.reconcile_cursor)
    # Applications whose last change is older than the connection owe nobody anything from
    # us: a first full sweep must not acknowledge the ATS's whole history.
    floor = connection.created_at
    stored = 0
    with client_for(connection.provider, credentials_of(connection), limits=limits()) as client:
        for attempt in (1, 2):
            try:
                for page in client.pages(state, floor=floor, now=now):
                    stored += _store(connection, page)
                    if page.done:
                        break
                return Outcome(stored=stored, done=True)
            except OutOfTime:
                return Outcome(stored=stored, done=False)
            except CursorExpired:
                if attempt == 2:
                    raise
                # Sweep again from where the last finished sweep started (or from the
                # start, for Ashby's sync token): the inbox keeps one of each state.
                state = {"since": state["since"]} if state.get("since") else {}
                _save(connection, state)
    return Outcome(stored=stored, done=True)  # not reached: the loop returns or raises


def _load(raw: str) -> dict[str, Any]:
    try:
        state = json.loads(raw) if raw else {}
    except ValueError:
        return {}  # not ours (or damaged): a fresh sweep from the connection's start
    return state if isinstance(state, dict) else {}


def _save(connection: Connection, state: dict[str, Any]) -> None:
    Connection.objects.filter(pk=connection.pk).update(reconcile_cursor=json.dumps(state))


def _store(connection: Connection, page: Page) -> int:
    """One page's states into the inbox and the cursor after it, together."""
    unique = {item.dedupe_key: item for item in page.items}
    with transaction.atomic():
        known = set(
            InboundEvent.objects.filter(
                connection=connection, dedupe_key__in=list(unique)
            ).values_list("dedupe_key", flat=True)
        )
        received_at = clock.now()
        new = [
            InboundEvent(
                connection=connection,
                org_id=connection.org_id,
                dedupe_key=key,
                received_at=received_at,
                body=json.dumps(item.body, separators=(",", ":")).encode(),
                event_type=EVENT_TYPE,
            )
            for key, item in unique.items()
            if key not in known
        ]
        # ignore_conflicts: a webhook loop or another reconcile may store the same key
        # between our look and our insert; the inbox keeps one.
        InboundEvent.objects.bulk_create(new, ignore_conflicts=True)
        _save(connection, page.state)
    return len(new)


# --- what Lever's webhooks leave out -----------------------------------------------------------

FETCHING = "fetching the details from Lever's API"


def _waiting_opportunity(body: bytes) -> str:
    """The opportunity a stored Lever delivery names and still needs, or ""."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""  # the engine step fails it as unreadable
    if not isinstance(data, dict) or "fetched" in data or not isinstance(data.get("data"), dict):
        return ""
    opportunity = data["data"].get("opportunityId")
    return str(opportunity) if opportunity else ""


def fetch_lever_details(*, now: datetime, limit: int) -> int:
    """Network step: fetch the opportunity of each Lever delivery that waits for it, and
    store it with the delivery for the engine step to apply."""
    guard = ItemGuard(FETCH_SOURCE, now=now)
    waiting = (
        InboundEvent.objects.filter(
            status=InboundStatus.RECEIVED,
            connection__provider=Provider.LEVER,
            connection__enabled=True,
        )
        # Put aside by the engine (it waits for us), or not yet seen; not one another loop
        # is fetching, nor one whose fetch failed and waits for its next try.
        .filter(
            Q(next_attempt_at__isnull=True)
            | Q(next_attempt_at__lte=now)
            | Q(outcome=WAITING_FOR_FETCH)
        )
        .order_by("received_at", "id")
        .only("id", "connection_id", "body", "next_attempt_at", "outcome")
    )
    clients: dict[int, LeverClient | None] = {}  # None: no more calls this round
    handled = 0
    try:
        for event in waiting[: limit * 4].iterator(chunk_size=100):
            if handled >= limit or network.stopping():
                break
            opportunity = _waiting_opportunity(bytes(event.body))
            connection_id = event.connection_id
            if not opportunity or guard.waiting(connection_item(connection_id)):
                continue
            if connection_id in clients and clients[connection_id] is None:
                continue
            claimed = InboundEvent.objects.filter(
                pk=event.pk,
                status=InboundStatus.RECEIVED,
                next_attempt_at=event.next_attempt_at,
                outcome=event.outcome,
            ).update(next_attempt_at=now + FETCH_CLAIM, outcome=FETCHING)
            if not claimed:
                continue  # another loop, or the engine, got there first
            handled += 1
            clients[connection_id] = _fetch_one(
                guard, event.pk, connection_id, opportunity, clients.get(connection_id), now=now
            )
    finally:
        for client in clients.values():
            if client is not None:
                client.close()
    return handled


def _fetch_one(
    guard: ItemGuard,
    event_id: int,
    connection_id: int,
    opportunity: str,
    client: LeverClient | None,
    *,
    now: datetime,
) -> LeverClient | None:
    """Fetch one claimed delivery's opportunity; returns the client to go on with, or None
    when this connection makes no more calls this round."""
    connection = Connection.objects.get(pk=connection_id)
    claimed = InboundEvent.objects.filter(pk=event_id, status=InboundStatus.RECEIVED)
    try:
        if client is None:
            client = LeverClient(credentials_of(connection), limits=limits())
        details = client.opportunity(opportunity)
    except OutOfTime:
        claimed.update(next_attempt_at=None, outcome=WAITING_FOR_FETCH)
        _close(client)
        return None
    except RateLimited as error:
        claimed.update(
            next_attempt_at=now + timedelta(seconds=error.retry_after), outcome=WAITING_FOR_FETCH
        )
        _close(client)
        return None
    except Exception as error:  # the connection's problem (credentials, server): a fault
        fault = record_failure(
            source=FETCH_SOURCE,
            item=connection_item(connection_id),
            org_id=connection.org_id,
            error=str(error) if isinstance(error, ApiError) else describe(error),
            label=_label(connection),
            now=now,
        )
        log.warning("fetch from Lever for connection %s failed: %s", connection_id, error)
        claimed.update(
            next_attempt_at=fault.next_try_at,
            outcome=WAITING_FOR_FETCH,
            last_error=f"Lever's API: {fault.last_error}"[:2000],
        )
        _close(client)
        return None
    if guard.fault(connection_item(connection_id)) is not None:
        resolve(source=FETCH_SOURCE, item=connection_item(connection_id))
    if details is None:
        claimed.update(
            status=InboundStatus.IGNORED,
            processed_at=now,
            next_attempt_at=None,
            outcome="Lever no longer has this opportunity: nothing to apply",
        )
        return client
    event = InboundEvent.objects.only("body").get(pk=event_id)
    body = json.loads(bytes(event.body))
    body["fetched"] = details
    claimed.update(
        body=json.dumps(body, separators=(",", ":")).encode(),
        next_attempt_at=None,
        outcome="details fetched from Lever's API",
        last_error="",
    )
    return client


def _close(client: ApiClient | None) -> None:
    if client is not None:
        client.close()
