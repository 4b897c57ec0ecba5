"""Lever's API (hire.lever.co/developer/documentation), HTTP Basic with the API key as the
user name and no password.

- One opportunity, for a webhook that carries ids only: `GET /v1/opportunities/{id}
  ?expand=stage&expand=applications` → `{"data": Opportunity}`.
- Opportunities changed since the cursor: `GET /v1/opportunities?updated_at_start=<ms>
  &limit=100&expand=stage&expand=applications`, then `&offset=<next>` while `hasNext`;
  the answer is `{"data": [Opportunity…], "hasNext": bool, "next": "<offset>"}`.
- An archived opportunity's `archived.reason` is an id: `GET /v1/archive_reasons` gives
  each reason's `text` and `status` (`hired` or `non-hired`), read once a round.
- Its job is the posting of its first application: `GET /v1/postings/{id}` for the title
  (`text`) and `state`, remembered for the round.

What was fetched is stored with the delivery as `fetched: {"opportunity", "archiveReason",
"posting"}`; providers/lever.py reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from heardback.bridges.clients.base import (
    ApiClient,
    ApiError,
    CursorExpired,
    Item,
    Limits,
    Page,
    moment_of,
    next_since,
    since_of,
)

API = "https://api.lever.co"
LIMIT = 100
EXPAND = [("expand", "stage"), ("expand", "applications")]


class LeverClient(ApiClient):
    def __init__(self, credentials: dict[str, Any], *, limits: Limits) -> None:
        api_key = str(credentials.get("api_key") or "")
        if not api_key:
            raise ApiError("The Lever credentials need an api_key.")
        super().__init__(
            base_url=str(credentials.get("base_url") or API), limits=limits, auth=(api_key, "")
        )
        self._reasons: dict[str, dict[str, Any]] | None = None
        self._postings: dict[str, dict[str, Any] | None] = {}

    def opportunity(self, opportunity_id: str) -> dict[str, Any] | None:
        """What a webhook left out, ready to store as `fetched`; None if Lever has no such
        opportunity (deleted since)."""
        try:
            _response, body = self.call(
                "GET", self.url(f"v1/opportunities/{quote(opportunity_id, safe='')}"),
                params=EXPAND,
            )  # fmt: skip
        except ApiError as error:
            if error.status == 404:
                return None
            raise
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise ApiError("Lever answered an opportunity with something else.")
        return self.details(data)

    def details(self, opportunity: dict[str, Any]) -> dict[str, Any]:
        reason_id = (opportunity.get("archived") or {}).get("reason")
        return {
            "opportunity": opportunity,
            "archiveReason": self._reason(str(reason_id)) if reason_id else None,
            "posting": self._posting(_posting_id(opportunity)),
        }

    def _reason(self, reason_id: str) -> dict[str, Any] | None:
        if self._reasons is None:
            self._reasons = {}
            for reason in self._all("v1/archive_reasons", []):
                if isinstance(reason, dict) and reason.get("id"):
                    self._reasons[str(reason["id"])] = reason
        return self._reasons.get(reason_id)

    def _posting(self, posting_id: str) -> dict[str, Any] | None:
        if not posting_id:
            return None
        if posting_id not in self._postings:
            try:
                _response, body = self.call(
                    "GET", self.url(f"v1/postings/{quote(posting_id, safe='')}")
                )
            except ApiError as error:
                if error.status != 404:
                    raise
                body = None
            data = body.get("data") if isinstance(body, dict) else None
            self._postings[posting_id] = (
                {"id": data.get("id"), "text": data.get("text"), "state": data.get("state")}
                if isinstance(data, dict)
                else {"id": posting_id}
            )
        return self._postings[posting_id]

    def _all(self, path: str, params: list[tuple[str, Any]]) -> list[Any]:
        found: list[Any] = []
        offset = ""
        while True:
            _response, body = self.call(
                "GET", self.url(path), params=[*params, *([("offset", offset)] if offset else [])]
            )
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ApiError("Lever answered a list with something else.")
            found.extend(body["data"])
            offset = str(body.get("next") or "")
            if body.get("hasNext") is not True or not offset:
                return found

    def pages(self, state: dict[str, Any], *, floor: datetime, now: datetime) -> Iterator[Page]:
        since = since_of(state, floor)
        started = state.get("sweep_started") or now.isoformat()
        offset = str(state.get("offset") or "")
        while True:
            params = [
                ("updated_at_start", int(since.timestamp() * 1000)),
                ("limit", LIMIT),
                *EXPAND,
                *([("offset", offset)] if offset else []),
            ]
            try:
                _response, body = self.call("GET", self.url("v1/opportunities"), params=params)
            except ApiError as error:
                if offset and error.status in (400, 404, 410, 422):
                    raise CursorExpired("Lever no longer takes our page offset.") from error
                raise
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ApiError("Lever answered its opportunity list with something else.")
            items = self._items(body["data"], floor)
            offset = str(body.get("next") or "")
            if body.get("hasNext") is not True or not offset:
                yield Page(items=items, state={"since": next_since(started, now)}, done=True)
                return
            yield Page(
                items=items,
                state={"since": since.isoformat(), "sweep_started": started, "offset": offset},
            )

    def _items(self, opportunities: list[Any], floor: datetime) -> list[Item]:
        items = []
        for opportunity in opportunities:
            if not isinstance(opportunity, dict) or not opportunity.get("id"):
                continue
            moment = moment_of(opportunity.get("updatedAt"))
            if moment is None or moment < floor:
                continue  # before the connection existed: nothing was owed to anyone yet
            items.append(
                Item(
                    external_id=str(opportunity["id"]),
                    moment=moment,
                    body={
                        "event": "reconcile",
                        "triggeredAt": opportunity.get("updatedAt"),
                        "data": {"opportunityId": opportunity["id"]},
                        "fetched": self.details(opportunity),
                    },
                )
            )
        return items


def _posting_id(opportunity: dict[str, Any]) -> str:
    for application in opportunity.get("applications") or []:
        posting = application.get("posting") if isinstance(application, dict) else None
        if isinstance(posting, dict):
            posting = posting.get("id")
        if posting:
            return str(posting)
    return ""
