"""Fake ATS APIs on 127.0.0.1, each in a thread, answering in the vendor's documented shapes
(the ones docs/integrations.md, "Reconcile", lists): auth, filters, paging, and what a
reconcile reads. Each keeps the truth (every application's latest `Story`), records every
request, and can misbehave on demand:

- `throttle(n, retry_after)`: the next n requests are answered 429 with that Retry-After;
- `trickle`: answers start at once, then the body comes a byte every 0.1 s (a slow server
  that a per-read timeout would never stop);
- `delay`: seconds to wait before each answer.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from heardback.bridges.providers.base import parse_time
from tests.bridges.payloads import PROVIDERS, Story, at, iso

Answer = tuple[int, dict[str, str], Any]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


def _basic(user: str, password: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _token(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _untoken(value: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(value.encode()))
    return data


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class FakeAts:
    page_size: int = 100
    stories: dict[int, Story] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    trickle: bool = False
    delay: float = 0.0
    _throttled: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                status, headers, body = fake.answer(request)
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                if fake.delay:
                    time.sleep(fake.delay)
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json", **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    if fake.trickle:
                        for byte in raw:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(0.1)
                    else:
                        self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its deadline): as a real server would see it

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the truth -------------------------------------------------------------------------

    def set(self, story: Story) -> None:
        with self._lock:
            self.stories[story.app_id] = story
            self.changed(story)

    def changed(self, story: Story) -> None:
        """A hook for fakes that keep a change log (Ashby's sync tokens)."""

    def throttle(self, times: int, retry_after: str = "1") -> None:
        self._throttled.extend([retry_after] * times)

    def calls(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def answer(self, request: Request) -> Answer:
        with self._lock:
            self.requests.append(request)
            if self._throttled:
                return 429, {"Retry-After": self._throttled.pop(0)}, {"error": "slow down"}
            return self.route(request)

    def route(self, request: Request) -> Answer:
        raise NotImplementedError

    def updated(self, story: Story) -> datetime:
        return at(story.minute)


# --- Greenhouse Harvest v3 ----------------------------------------------------------------------


STAGE_IDS: dict[str, int] = {}


def stage_id(name: str) -> int:
    return STAGE_IDS.setdefault(name, 71_000 + len(STAGE_IDS))


@dataclass
class FakeGreenhouse(FakeAts):
    client_id: str = "gh-client"
    client_secret: str = "gh-secret"
    access_token: str = "gh-access-token"

    def credentials(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "user_id": "4080",
            "base_url": self.url,
            "auth_url": self.url,
        }

    def route(self, request: Request) -> Answer:
        if request.path == "/token" and request.method == "POST":
            form = parse_qs(request.body.decode())
            if request.headers.get("authorization") != _basic(self.client_id, self.client_secret):
                return 401, {}, {"error": "invalid_client"}
            if form.get("grant_type") != ["client_credentials"]:
                return 400, {}, {"error": "unsupported_grant_type"}
            return (
                200,
                {},
                {"access_token": self.access_token, "token_type": "Bearer", "expires_in": 3600},
            )
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return 401, {}, {"errors": [{"message": "Unauthorized"}]}
        if request.path == "/v3/applications":
            return self._applications(request)
        ids = set(request.query.get("ids", [""])[0].split(","))
        if len(ids) > 50:
            return 422, {}, {"errors": [{"message": "ids: at most 50"}]}
        rows = {
            "/v3/candidates": self._candidates,
            "/v3/jobs": self._jobs,
            "/v3/job_stages": self._stages,
            "/v3/rejection_reasons": self._reasons,
        }.get(request.path)
        if rows is None:
            return 404, {}, {"errors": [{"message": "Not found"}]}
        return 200, {}, [row for row in rows() if str(row["id"]) in ids]

    def _applications(self, request: Request) -> Answer:
        if "cursor" in request.query:
            if len(request.query) > 1:  # documented: the cursor must be the only parameter
                return 422, {}, {"errors": [{"message": "cursor must be used alone"}]}
            position = _untoken(request.query["cursor"][0])
        else:
            since = request.query.get("updated_at[gte]", [""])[0]
            per_page = int(request.query.get("per_page", ["100"])[0])
            position = {"since": since, "offset": 0, "per_page": min(per_page, self.page_size)}
        since_at = parse_time(position["since"])
        rows = [
            self.application(story)
            for story in sorted(self.stories.values(), key=lambda s: s.app_id)
            if since_at is None or self.updated(story) >= since_at
        ]
        start, size = position["offset"], position["per_page"]
        headers = {}
        if start + size < len(rows):
            cursor = _token({**position, "offset": start + size})
            headers["Link"] = f'<{self.url}/v3/applications?cursor={cursor}>; rel="next"'
        return 200, headers, rows[start : start + size]

    def application(self, story: Story) -> dict[str, Any]:
        return {
            "id": story.app_id,
            "candidate_id": 900_000 + story.app_id,
            "prospect": False,
            "applied_at": iso(0),
            "rejected_at": iso(story.minute) if story.state == "rejected" else None,
            "last_activity_at": iso(story.minute),
            "created_at": iso(0),
            "updated_at": iso(story.minute),
            "status": story.state,
            "job_id": story.job_id,
            "job_post_id": 553282,
            "current_stage_id": stage_id(story.stage),
            "rejection_reason_id": 14 if story.state == "rejected" else None,
            "source_id": 27,
            "credited_to_id": None,
            "custom_fields": {},
        }

    def _candidates(self) -> list[dict[str, Any]]:
        return [
            {
                "id": 900_000 + s.app_id,
                "first_name": s.first_name,
                "last_name": s.last_name,
                "company": None,
                "title": None,
                "email_addresses": [{"value": s.address, "type": "personal"}],
                "phone_numbers": [],
                "created_at": iso(0),
                "updated_at": iso(s.minute),
            }
            for s in self.stories.values()
        ]

    def _jobs(self) -> list[dict[str, Any]]:
        return [
            {"id": s.job_id, "name": s.job_title, "status": "open", "confidential": False}
            for s in self.stories.values()
        ]

    def _stages(self) -> list[dict[str, Any]]:
        return [
            {"id": stage_id(s.stage), "name": s.stage, "priority": 1} for s in self.stories.values()
        ]

    def _reasons(self) -> list[dict[str, Any]]:
        return [{"id": 14, "name": "Too Junior", "type": {"id": 3, "name": "Wrong skill set"}}]


# --- Ashby application.list ---------------------------------------------------------------------


@dataclass
class FakeAshby(FakeAts):
    api_key: str = "ashby-key"
    version: int = 0
    versions: dict[int, int] = field(default_factory=dict)  # app id → version of its change
    expired: set[str] = field(default_factory=set)

    def credentials(self) -> dict[str, Any]:
        return {"api_key": self.api_key, "base_url": self.url}

    def changed(self, story: Story) -> None:
        self.version += 1
        self.versions[story.app_id] = self.version

    def expire_tokens(self) -> None:
        self.expired.update(f"sync-{n}" for n in range(self.version + 1))

    def route(self, request: Request) -> Answer:
        if request.path != "/application.list" or request.method != "POST":
            return 404, {}, {"success": False, "errors": ["not_found"]}
        if request.headers.get("authorization") != _basic(self.api_key):
            return 401, {}, {"success": False, "errors": ["invalid_api_key"]}
        body = request.json()
        token = body.get("syncToken") or ""
        if token in self.expired:
            return 200, {}, {"success": False, "errors": ["sync_token_expired"]}
        if body.get("cursor"):
            position = _untoken(body["cursor"])
        else:
            since = int(token.removeprefix("sync-")) if token else 0
            position = {"since": since, "offset": 0, "upto": self.version}
        rows = [
            PROVIDERS["ashby"].application(story)["data"]["application"]
            for story in sorted(self.stories.values(), key=lambda s: s.app_id)
            if position["since"] < self.versions[story.app_id]
        ]
        size = min(int(body.get("limit") or 100), self.page_size)
        start = position["offset"]
        page = rows[start : start + size]
        if start + size < len(rows):
            return (
                200,
                {},
                {
                    "success": True,
                    "results": page,
                    "moreDataAvailable": True,
                    "nextCursor": _token({**position, "offset": start + size}),
                },
            )
        return (
            200,
            {},
            {
                "success": True,
                "results": page,
                "moreDataAvailable": False,
                "syncToken": f"sync-{position['upto']}",
            },
        )


# --- Workable candidates ------------------------------------------------------------------------


@dataclass
class FakeWorkable(FakeAts):
    token: str = "workable-token"

    def credentials(self) -> dict[str, Any]:
        return {"subdomain": "initech", "token": self.token, "base_url": self.url}

    def route(self, request: Request) -> Answer:
        if request.path != "/spi/v3/candidates":
            return 404, {}, {"error": "Not found"}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {}, {"error": "Not authorized"}
        since = parse_time(request.query.get("updated_after", [""])[0])
        limit = min(int(request.query.get("limit", ["100"])[0]), self.page_size)
        after = int(request.query.get("since_id", ["0"])[0])
        rows = [
            story
            for story in sorted(self.stories.values(), key=lambda s: s.app_id)
            if (since is None or self.updated(story) >= since) and story.app_id > after
        ]
        body: dict[str, Any] = {
            "candidates": [PROVIDERS["workable"].application(s) for s in rows[:limit]]
        }
        if len(rows) > limit:
            query = urlencode(
                {
                    "limit": limit,
                    "updated_after": request.query["updated_after"][0],
                    "since_id": rows[limit - 1].app_id,
                }
            )
            body["paging"] = {"next": f"{self.url}/spi/v3/candidates?{query}"}
        return 200, {}, body


# --- Lever opportunities ------------------------------------------------------------------------


REASONS = [
    {"id": "reason-hired", "text": "Hired", "status": "hired"},
    {"id": "reason-junior", "text": "Underqualified", "status": "non-hired"},
]


def opportunity_id(app_id: int) -> str:
    return f"opp-{app_id}"


@dataclass
class FakeLever(FakeAts):
    api_key: str = "lever-key"
    deleted: set[int] = field(default_factory=set)

    def credentials(self) -> dict[str, Any]:
        return {"api_key": self.api_key, "base_url": self.url}

    def route(self, request: Request) -> Answer:
        if request.headers.get("authorization") != _basic(self.api_key):
            return 401, {}, {"code": "Unauthorized", "message": "Invalid API key"}
        expand = set(request.query.get("expand", []))
        if request.path == "/v1/opportunities":
            return self._list(request, expand)
        if match := re.fullmatch(r"/v1/opportunities/opp-(\d+)", request.path):
            story = self.stories.get(int(match[1]))
            if story is None or story.app_id in self.deleted:
                return 404, {}, {"code": "ResourceNotFound", "message": "Not found"}
            return 200, {}, {"data": self.opportunity(story, expand)}
        if request.path == "/v1/archive_reasons":
            return 200, {}, {"data": REASONS, "hasNext": False}
        if match := re.fullmatch(r"/v1/postings/post-(\d+)", request.path):
            job_id = int(match[1])
            title = next((s.job_title for s in self.stories.values() if s.job_id == job_id), "")
            return 200, {}, {"data": {"id": f"post-{job_id}", "text": title, "state": "published"}}
        return 404, {}, {"code": "ResourceNotFound", "message": "Not found"}

    def _list(self, request: Request, expand: set[str]) -> Answer:
        since = int(request.query.get("updated_at_start", ["0"])[0])
        limit = min(int(request.query.get("limit", ["100"])[0]), self.page_size)
        offset = int(request.query.get("offset", ["0"])[0] or 0)
        rows = [
            self.opportunity(story, expand)
            for story in sorted(self.stories.values(), key=lambda s: s.app_id)
            if ms(self.updated(story)) >= since and story.app_id not in self.deleted
        ]
        more = offset + limit < len(rows)
        return (
            200,
            {},
            {
                "data": rows[offset : offset + limit],
                "hasNext": more,
                **({"next": str(offset + limit)} if more else {}),
            },
        )

    def opportunity(self, story: Story, expand: set[str]) -> dict[str, Any]:
        stage_key = "stage-" + re.sub(r"\W+", "-", story.stage.lower())
        archived = None
        if story.state in ("rejected", "hired"):
            reason = "reason-hired" if story.state == "hired" else "reason-junior"
            archived = {"reason": reason, "archivedAt": ms(at(story.minute))}
        application = {
            "id": f"app-{story.app_id}",
            "type": "posting",
            "opportunityId": opportunity_id(story.app_id),
            "posting": f"post-{story.job_id}",
            "createdAt": ms(at(0)),
        }
        return {
            "id": opportunity_id(story.app_id),
            "name": f"{story.first_name} {story.last_name}",
            "headline": "Compiler person",
            "contact": f"contact-{story.app_id}",
            "emails": [story.address],
            "phones": [],
            "confidentiality": "non-confidential",
            "location": "Berlin",
            "stage": {"id": stage_key, "text": story.stage} if "stage" in expand else stage_key,
            "origin": "applied",
            "sources": ["Careers page"],
            "tags": [],
            "archived": archived,
            "createdAt": ms(at(0)),
            "updatedAt": ms(self.updated(story)),
            "lastAdvancedAt": ms(at(story.minute)),
            "applications": [application] if "applications" in expand else [application["id"]],
            "isAnonymized": False,
        }
