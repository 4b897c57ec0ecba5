"""Ashby's `application.list` (developers.ashbyhq.com, "Pagination and Incremental
Synchronization").

`POST https://api.ashbyhq.com/application.list`, HTTP Basic with the API key as the user
name and no password, JSON body `{"limit": 100}` plus `syncToken` (from the last finished
sweep: only what changed since) and `cursor` (the previous page's `nextCursor`). The answer:
`{"success": true, "results": [Application…], "moreDataAvailable": bool, "nextCursor": …}`,
and on the last page a new `syncToken` to keep. An expired sync token is answered
`{"success": false, "errors": ["sync_token_expired"], …}` (assumed from the guide: "start
a full sync again"); we then sweep everything again, from the connection's start.

Application objects are those Ashby's webhooks carry, so each becomes the body of an Ashby
webhook (`{"action": "reconcile", "data": {"application": …}}`) for providers/ashby.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from heardback.bridges.clients.base import (
    ApiClient,
    ApiError,
    CursorExpired,
    Item,
    Limits,
    Page,
    moment_of,
)

API = "https://api.ashbyhq.com"
LIMIT = 100


class AshbyClient(ApiClient):
    def __init__(self, credentials: dict[str, Any], *, limits: Limits) -> None:
        api_key = str(credentials.get("api_key") or "")
        if not api_key:
            raise ApiError("The Ashby credentials need an api_key.")
        super().__init__(
            base_url=str(credentials.get("base_url") or API), limits=limits, auth=(api_key, "")
        )

    def pages(self, state: dict[str, Any], *, floor: datetime, now: datetime) -> Iterator[Page]:
        sync_token = str(state.get("syncToken") or "")
        cursor = str(state.get("cursor") or "")
        while True:
            request: dict[str, Any] = {"limit": LIMIT}
            if sync_token:
                request["syncToken"] = sync_token
            if cursor:
                request["cursor"] = cursor
            _response, body = self.call("POST", self.url("application.list"), json_body=request)
            if not isinstance(body, dict) or body.get("success") is not True:
                errors = body.get("errors") if isinstance(body, dict) else None
                if isinstance(errors, list) and "sync_token_expired" in errors:
                    raise CursorExpired("Ashby's sync token expired: a full sync follows.")
                raise ApiError("Ashby answered application.list without success.")
            results = body.get("results")
            items = _items(results if isinstance(results, list) else [], floor)
            if body.get("moreDataAvailable") is True and body.get("nextCursor"):
                cursor = str(body["nextCursor"])
                yield Page(items=items, state={"syncToken": sync_token, "cursor": cursor})
                continue
            # The last page carries the token of the next incremental sync.
            yield Page(
                items=items,
                state={"syncToken": str(body.get("syncToken") or sync_token)},
                done=True,
            )
            return


def _items(results: list[Any], floor: datetime) -> list[Item]:
    items = []
    for application in results:
        if not isinstance(application, dict) or not application.get("id"):
            continue
        moment = moment_of(application.get("updatedAt"))
        if moment is None or moment < floor:
            continue  # before the connection existed (a full sync reads all of history)
        items.append(
            Item(
                external_id=str(application["id"]),
                moment=moment,
                body={"action": "reconcile", "data": {"application": application}},
            )
        )
    return items
