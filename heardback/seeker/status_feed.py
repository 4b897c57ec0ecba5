"""Reading an employer's live status from a Heardback status page, over plain HTTP.

The seeker side never imports the employer apps: if an application's link is a Heardback
status page (`…/s/<token>/`) or its JSON (`…/s/<token>.json`), we fetch the JSON the page
publishes for the candidate and keep the stage and respond-by date. The fetch is careful,
because the URL comes from a user: http(s) only, no redirects, a short timeout, a size cap,
and (in production) no private or loopback addresses unless it is this very site.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

MAX_BYTES = 64 * 1024
TIMEOUT_SECONDS = 3.0
STAGES = {"received", "in_review", "interview", "offer", "closed"}
STATUSES = {"active", "declined", "withdrawn", "hired"}
_STATUS_PATH = re.compile(r"^(?P<prefix>.*/s/[A-Za-z0-9_\-:.]+?)(?:/|\.json)?$")


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
    return urlunsplit((parts.scheme, parts.netloc, match["prefix"] + ".json", "", ""))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _check_host(url: str) -> None:
    if not settings.IS_PRODUCTION:
        return
    host = urlsplit(url).hostname or ""
    if host == urlsplit(settings.SITE_URL).hostname:
        return
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as error:
        raise StatusFeedError("We couldn't find that address.") from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local:
            raise StatusFeedError("That address isn't a public status page.")


def fetch(link: str, *, timeout: float = TIMEOUT_SECONDS) -> EmployerStatus:
    url = status_json_url(link)
    if url is None:
        raise StatusFeedError("That link isn't a Heardback status page.")
    _check_host(url)
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, headers={"Accept": "application/json", "User-Agent": "Heardback-seeker/1"}
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            if response.status != 200:
                raise StatusFeedError(f"The status page answered {response.status}.")
            raw = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise StatusFeedError(f"The status page answered {error.code}.") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise StatusFeedError(
            "The status page didn't answer in time; we'll try again later."
        ) from error
    if len(raw) > MAX_BYTES:
        raise StatusFeedError("The status page sent far more than a status; we ignored it.")
    return parse(raw)


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
