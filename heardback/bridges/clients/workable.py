"""Workable's candidates (workable.readme.io, SPI v3).

`GET https://<subdomain>.workable.com/spi/v3/candidates?updated_after=<ISO>&limit=100` with
`Authorization: Bearer <token>`; the answer is `{"candidates": [Candidate…], "paging":
{"next": "<url of the next page>"}}`, `paging` missing on the last page. The next URL is
followed only while it stays on the same server and path (our token goes nowhere else).

A listed candidate has what providers/workable.py reads (`id`, `name`, `email`, `stage`,
`disqualified`, `disqualification_reason`, `hired_at`, `sourced`, `job` with `shortcode`
and `title`, `updated_at`), so each becomes a Workable webhook body
(`{"event_type": "reconcile", "data": …}`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

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

LIMIT = 100


class WorkableClient(ApiClient):
    def __init__(self, credentials: dict[str, Any], *, limits: Limits) -> None:
        token = str(credentials.get("token") or "")
        subdomain = str(credentials.get("subdomain") or "")
        base_url = str(credentials.get("base_url") or "")
        if not token or not (subdomain or base_url):
            raise ApiError("The Workable credentials need a token and the account's subdomain.")
        if not base_url and not subdomain.replace("-", "").isalnum():
            raise ApiError("A Workable subdomain has letters, digits and dashes only.")
        super().__init__(
            base_url=base_url or f"https://{subdomain}.workable.com",
            limits=limits,
            headers={"Authorization": f"Bearer {token}"},
        )

    def pages(self, state: dict[str, Any], *, floor: datetime, now: datetime) -> Iterator[Page]:
        since = since_of(state, floor)
        started = state.get("sweep_started") or now.isoformat()
        first = self.url("spi/v3/candidates")
        following = str(state.get("next") or "")
        while True:
            try:
                _response, body = self.call(
                    "GET",
                    following or first,
                    params=None if following else {"updated_after": since.isoformat(),
                                                   "limit": LIMIT},
                )  # fmt: skip
            except ApiError as error:
                if following and error.status in (400, 404, 410, 422):
                    raise CursorExpired("Workable no longer takes our next-page link.") from error
                raise
            if not isinstance(body, dict):
                raise ApiError("Workable answered its candidate list with something else.")
            candidates = body.get("candidates")
            items = _items(candidates if isinstance(candidates, list) else [], floor)
            paging = body.get("paging")
            following = str(paging.get("next") or "") if isinstance(paging, dict) else ""
            if not following:
                yield Page(items=items, state={"since": next_since(started, now)}, done=True)
                return
            self._check_same_place(following, first)
            yield Page(
                items=items,
                state={"since": since.isoformat(), "sweep_started": started, "next": following},
            )

    @staticmethod
    def _check_same_place(url: str, first: str) -> None:
        given, ours = urlsplit(url), urlsplit(first)
        if (given.scheme, given.netloc, given.path) != (ours.scheme, ours.netloc, ours.path):
            raise ApiError("Workable's next page points somewhere else: not followed.")


def _items(candidates: list[Any], floor: datetime) -> list[Item]:
    items = []
    for candidate in candidates:
        if not isinstance(candidate, dict) or not candidate.get("id"):
            continue
        moment = moment_of(candidate.get("updated_at"))
        if moment is None or moment < floor:
            continue  # before the connection existed: nothing was owed to anyone yet
        items.append(
            Item(
                external_id=str(candidate["id"]),
                moment=moment,
                body={"event_type": "reconcile", "data": candidate},
            )
        )
    return items
