"""Greenhouse Harvest API v3 (harvestdocs.greenhouse.io).

- Token: `POST https://auth.greenhouse.io/token`, HTTP Basic with the client id and secret,
  form `grant_type=client_credentials` (and `sub=<user id>` when the credentials name one);
  the answer's `access_token` is sent as `Authorization: Bearer …`.
- Applications changed since the cursor: `GET /v3/applications?updated_at[gte]=<ISO>&
  per_page=50`, then the `cursor` of the `Link: <…>; rel="next"` header, alone, until there
  is no next link. A list answer is a JSON array.
- v3 objects refer to each other by id, so each page's candidates, jobs, stages and
  rejection reasons are read with `GET /v3/candidates|jobs|job_stages|rejection_reasons
  ?ids=…` (50 ids at most, hence 50 applications a page), remembered for the round.

Each application becomes the body of a Greenhouse web hook (`{"action": "reconcile",
"payload": {"application": {…}}}`), read by providers/greenhouse.py like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

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

API = "https://harvest.greenhouse.io"
AUTH = "https://auth.greenhouse.io"
PER_PAGE = 50  # the most ids a lookup takes


class GreenhouseClient(ApiClient):
    def __init__(self, credentials: dict[str, Any], *, limits: Limits) -> None:
        self.client_id = str(credentials.get("client_id") or "")
        self.client_secret = str(credentials.get("client_secret") or "")
        if not (self.client_id and self.client_secret):
            raise ApiError("The Greenhouse credentials need a client_id and a client_secret.")
        self.user_id = str(credentials.get("user_id") or "")
        self.auth_url = str(credentials.get("auth_url") or AUTH).rstrip("/")
        super().__init__(base_url=str(credentials.get("base_url") or API), limits=limits)
        self._token = ""
        self._known: dict[str, dict[str, dict[str, Any]]] = {
            "candidates": {},
            "jobs": {},
            "job_stages": {},
            "rejection_reasons": {},
        }

    def _authorization(self) -> dict[str, str]:
        if not self._token:
            form = {"grant_type": "client_credentials"}
            if self.user_id:
                form["sub"] = self.user_id
            _response, body = self.call(
                "POST",
                f"{self.auth_url}/token",
                form=form,
                auth=(self.client_id, self.client_secret),
            )
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise ApiError("Greenhouse's token endpoint gave no access token.")
            self._token = token
        return {"Authorization": f"Bearer {self._token}"}

    def _get(self, path: str, params: dict[str, Any]) -> tuple[list[Any], str]:
        """One page of a v3 list and the cursor of the next one ("" on the last)."""
        response, body = self.call(
            "GET", self.url(path), params=params, headers=self._authorization()
        )
        if not isinstance(body, list):
            raise ApiError("Greenhouse answered a list with something else.")
        following = response.links.get("next", {}).get("url", "")
        # Only the cursor is taken from the link: our token goes to our base URL, never to
        # an address the answer names.
        cursor = parse_qs(urlsplit(following).query).get("cursor", [""])[0]
        return body, cursor

    def pages(self, state: dict[str, Any], *, floor: datetime, now: datetime) -> Iterator[Page]:
        since = since_of(state, floor)
        started = state.get("sweep_started") or now.isoformat()
        cursor = str(state.get("cursor") or "")
        while True:
            params = (
                {"cursor": cursor}  # "when you pass a cursor, it must be the only parameter"
                if cursor
                else {"updated_at[gte]": since.isoformat(), "per_page": PER_PAGE}
            )
            try:
                applications, cursor = self._get("v3/applications", params)
            except ApiError as error:
                if "cursor" in params and error.status in (400, 404, 410, 422):
                    raise CursorExpired("Greenhouse no longer takes our page cursor.") from error
                raise
            items = self._items([a for a in applications if isinstance(a, dict)], floor)
            if not cursor:
                yield Page(items=items, state={"since": next_since(started, now)}, done=True)
                return
            yield Page(
                items=items,
                state={"since": since.isoformat(), "sweep_started": started, "cursor": cursor},
            )

    def _lookup(self, kind: str, ids: set[str]) -> dict[str, dict[str, Any]]:
        known = self._known[kind]
        missing = sorted(i for i in ids if i and i not in known)
        for start in range(0, len(missing), PER_PAGE):
            chunk = missing[start : start + PER_PAGE]
            found, _next = self._get(f"v3/{kind}", {"ids": ",".join(chunk), "per_page": PER_PAGE})
            for row in found:
                if isinstance(row, dict) and row.get("id") is not None:
                    known[str(row["id"])] = row
        return known

    def _items(self, applications: list[dict[str, Any]], floor: datetime) -> list[Item]:
        def ids(field: str) -> set[str]:
            return {str(a[field]) for a in applications if a.get(field) is not None}

        candidates = self._lookup("candidates", ids("candidate_id"))
        jobs = self._lookup("jobs", ids("job_id"))
        stages = self._lookup("job_stages", ids("current_stage_id"))
        reasons = self._lookup("rejection_reasons", ids("rejection_reason_id"))
        items = []
        for application in applications:
            moment = moment_of(application.get("updated_at"), application.get("last_activity_at"))
            if moment is None or moment < floor or application.get("id") is None:
                continue  # before the connection existed: nothing was owed to anyone yet
            candidate = candidates.get(str(application.get("candidate_id")))
            if candidate is None:
                continue  # the candidate is gone (or hidden from this user): nothing to say
            items.append(
                Item(
                    external_id=str(application["id"]),
                    moment=moment,
                    body=_webhook_body(
                        application,
                        moment=moment,
                        candidate=candidate,
                        job=jobs.get(str(application.get("job_id")))
                        or ({"id": application["job_id"]} if application.get("job_id") else None),
                        stage=stages.get(str(application.get("current_stage_id"))),
                        reason=reasons.get(str(application.get("rejection_reason_id"))),
                    ),
                )
            )
        return items


def _emails(candidate: dict[str, Any]) -> list[dict[str, str]]:
    found = []
    for entry in candidate.get("email_addresses") or candidate.get("emails") or []:
        value = entry.get("value") if isinstance(entry, dict) else entry
        if isinstance(value, str) and value:
            found.append({"value": value})
    return found


def _webhook_body(
    application: dict[str, Any],
    *,
    moment: datetime,
    candidate: dict[str, Any],
    job: dict[str, Any] | None,
    stage: dict[str, Any] | None,
    reason: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "action": "reconcile",
        "payload": {
            "application": {
                "id": application["id"],
                "status": application.get("status"),
                "prospect": application.get("prospect"),
                "applied_at": application.get("applied_at"),
                "rejected_at": application.get("rejected_at"),
                # The time the state we read is from: orders it among webhooks.
                "last_activity_at": moment.isoformat(),
                "current_stage": {"id": stage.get("id"), "name": stage.get("name")}
                if stage
                else None,
                "rejection_reason": {"id": reason.get("id"), "name": reason.get("name")}
                if reason
                else None,
                "candidate": {
                    "id": candidate.get("id"),
                    "first_name": candidate.get("first_name"),
                    "last_name": candidate.get("last_name"),
                    "email_addresses": _emails(candidate),
                },
                "jobs": [{"id": job.get("id"), "name": job.get("name")}] if job else [],
            }
        },
    }
