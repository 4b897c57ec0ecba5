"""Reading an employer's live status from a Heardback status page, over plain HTTP.

The seeker side never imports the employer apps: if an application's link is a Heardback
status page (`…/s/<token>/`) or its JSON (`…/s/<token>.json`), we fetch the JSON the page
publishes for the candidate and keep the stage and respond-by date. The fetch is careful,
because the URL comes from a user (`heardback.runtime.http`): http(s) only, no redirects,
one overall deadline, a size cap, and (in production) no private or loopback addresses
unless it is this very site.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from heardback.runtime import http

MAX_BYTES = 64 * 1024
STAGES = {"received", "in_review", "interview", "offer", "closed"}
STATUSES = {"active", "declined", "withdrawn", "hired"}
_STATUS_PATH = re.compile(r"^(?P<prefix>.*/s/[A-Za-z0-9_\-:.]+?)(?:/|\.json)?$")
_HEADERS = {"Accept": "application/json", "User-Agent": "Heardback-seeker/1"}
# In the seeker's words. None of them repeats what the other server said.
_MESSAGES: dict[http.Reason, str] = {
    "address": "That link isn't a Heardback status page.",
    "unresolvable": "We couldn't find that address.",
    "private": "That address isn't a public status page.",
    "deadline": "The status page didn't answer in time; we'll try again later.",
    "unreachable": "We couldn't reach the status page; we'll try again later.",
    "status": "The status page didn't send a status; we'll try again later.",
    "too_large": "The status page sent far more than a status; we ignored it.",
}


class StatusFeedError(Exception):
    """Why the status could not be read, in words the seeker can act on."""


@dataclass(frozen=True)
class EmployerStatus:
    employer: str
    job: str
    stage: str
    stage_label: str
    respond_by: datetime | None
    status: str


def status_json_url(link: str) -> str | None:
    """The JSON address for a Heardback status-page link, or None if it isn't one."""
    try:
        parts = urlsplit(link.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    match = _STATUS_PATH.match(parts.path)
    if not match or "/s/" not in parts.path:
        return None
    prefix: str = match["prefix"]
    return urlunsplit((parts.scheme, parts.netloc, prefix + ".json", "", ""))


def fetch(link: str, *, deadline: float | None = None) -> EmployerStatus:
    """The status behind `link`, read within `deadline` seconds in all (default: the
    `NETWORK_FETCH_DEADLINE_SECONDS` setting); raises StatusFeedError. Safe in any thread:
    it touches no database."""
    url = status_json_url(link)
    if url is None:
        raise StatusFeedError("That link isn't a Heardback status page.")
    seconds = settings.NETWORK_FETCH_DEADLINE_SECONDS if deadline is None else deadline
    try:
        response = http.get(url, deadline=seconds, max_bytes=MAX_BYTES, headers=_HEADERS)
    except http.FetchError as error:
        raise StatusFeedError(_MESSAGES[error.reason]) from error
    return parse(response.body)


def parse(raw: bytes) -> EmployerStatus:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StatusFeedError("The status page didn't send a status we can read.") from error
    if not isinstance(data, dict):
        raise StatusFeedError("The status page didn't send a status we can read.")
    stage, status = data.get("stage"), data.get("status")
    if stage not in STAGES or status not in STATUSES:
        raise StatusFeedError("The status page sent a stage we don't know.")
    respond_by = None
    if data.get("respond_by"):
        try:
            respond_by = datetime.fromisoformat(str(data["respond_by"]))
        except ValueError as error:
            raise StatusFeedError("The status page's respond-by date is unreadable.") from error
        if respond_by.tzinfo is None:
            raise StatusFeedError("The status page's respond-by date has no time zone.")
    return EmployerStatus(
        employer=str(data.get("employer", ""))[:200],
        job=str(data.get("job", ""))[:200],
        stage=stage,
        stage_label=str(data.get("stage_label") or stage)[:100],
        respond_by=respond_by,
        status=status,
    )
