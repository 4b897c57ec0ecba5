"""Reading a job posting from its page: schema.org `JobPosting` in JSON-LD, else the title.

Most job boards and applicant tracking systems publish the posting as JSON-LD for search
engines (`<script type="application/ld+json">`), so that is what "save this job" reads: the
title, the company, the location (and its ISO 3166-2 region, which decides a legal duty to
answer, see `rights.py`), the salary, and the dates posted and valid through. Pages differ:
the posting may sit in an `@graph` beside the website and the breadcrumbs, among several
scripts, with `@type` as a list; the JSON may be broken (trailing commas, raw line breaks in
the description, an HTML comment around it). A script that can't be read is skipped; with
no posting at all the page's `<title>` is used.

Parsing uses the standard library's `html.parser` and `json` (extruct would bring lxml,
rdflib and four more packages for the one format we read). The page is fetched with the
outbound guard (`runtime.http`): one deadline, a size cap, public addresses only.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from typing import Any

from django.conf import settings

from heardback.runtime import http

MAX_PAGE_BYTES = 3 * 1024 * 1024
_HEADERS = {
    "Accept": "text/html,application/xhtml+xml",
    "User-Agent": "Mozilla/5.0 (compatible; Heardback-seeker/1; +save-this-job)",
}
_MESSAGES: dict[http.Reason, str] = {
    "address": "That isn't a web address (it should start with https://).",
    "unresolvable": "We couldn't find that site.",
    "private": "That address isn't a public web page.",
    "deadline": "The page didn't load in time.",
    "unreachable": "We couldn't reach that page.",
    "status": "That page didn't load (it may need you to sign in).",
    "too_large": "That page is far larger than a job posting.",
}
# Regions we name in words as well as codes (the ones a duty to answer needs).
_REGIONS = {("CA", "ONTARIO"): "CA-ON"}
_COUNTRIES = {
    "CANADA": "CA", "UNITED STATES": "US", "USA": "US", "GERMANY": "DE", "DEUTSCHLAND": "DE",
    "SPAIN": "ES", "ESPAÑA": "ES", "UNITED KINGDOM": "GB",
}  # fmt: skip


class PageError(Exception):
    """The page could not be read; the message is for the seeker."""


@dataclass(frozen=True)
class Posting:
    title: str
    company: str = ""
    location: str = ""
    region: str = ""
    salary: str = ""
    date_posted: date | None = None
    valid_through: date | None = None
    read_from: str = "json-ld"  # or "title"


class _Scripts(HTMLParser):
    """The JSON-LD scripts and the title of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.title = ""
        self.og_title = ""
        self._in: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: (v or "") for k, v in attrs}
        if tag == "script" and found.get("type", "").split(";")[0].strip().lower() == (
            "application/ld+json"
        ):
            self._in, self._buffer = "script", []
        elif tag == "title" and not self.title:
            self._in, self._buffer = "title", []
        elif tag == "meta" and found.get("property") == "og:title" and not self.og_title:
            self.og_title = found.get("content", "").strip()

    def handle_endtag(self, tag: str) -> None:
        if self._in == "script" and tag == "script":
            self.scripts.append("".join(self._buffer))
            self._in = None
        elif self._in == "title" and tag == "title":
            self.title = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buffer.append(data)


def fetch(url: str) -> bytes:
    """The page's bytes, within the network deadline. Raises PageError."""
    try:
        response = http.get(
            url.strip(), deadline=float(settings.NETWORK_FETCH_DEADLINE_SECONDS),
            max_bytes=MAX_PAGE_BYTES, headers=_HEADERS,
        )  # fmt: skip
    except http.FetchError as error:
        raise PageError(_MESSAGES[error.reason]) from error
    return response.body


def read(raw: bytes) -> Posting:
    """The posting on a page; raises PageError if it has neither a JobPosting nor a title."""
    text = _decode(raw)
    parser = _Scripts()
    parser.feed(text)
    parser.close()
    for script in parser.scripts:
        data = _loads(script)
        if data is None:
            continue
        for posting in _postings(data):
            found = _posting(posting)
            if found is not None:
                return found
    title = parser.og_title or parser.title
    if not title:
        raise PageError("That page has no job posting we can read, and no title.")
    return Posting(title=html.unescape(title)[:300], read_from="title")


def _decode(raw: bytes) -> str:
    head = raw[:2048].decode("ascii", "replace")
    found = re.search(r"charset=[\"']?([\w-]+)", head, re.IGNORECASE)
    try:
        return raw.decode(found.group(1) if found else "utf-8", "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


def _loads(script: str) -> Any:
    """JSON-LD as pages publish it: strict JSON first, then with the usual damage repaired
    (an HTML comment or CDATA around it, raw line breaks in strings, trailing commas)."""
    text = script.strip()
    text = re.sub(r"^(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)", "", text)
    text = re.sub(r"(?:-->|//\s*\]\]>|\]\]>)$", "", text).strip()
    for attempt in (text, re.sub(r",\s*([}\]])", r"\1", text)):
        try:
            return json.loads(attempt, strict=False)
        except ValueError:
            continue
    return None


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type", [])
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds}


def _postings(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(data, list):
        for item in data:
            yield from _postings(item, depth + 1)
    elif isinstance(data, dict):
        if "JobPosting" in _types(data):
            yield data
        for key in ("@graph", "mainEntity", "itemListElement", "item"):
            if key in data:
                yield from _postings(data[key], depth + 1)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return re.sub(r"\s+", " ", html.unescape(str(value or ""))).strip()


def _date(value: Any) -> date | None:
    found = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value or ""))
    if not found:
        return None
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        return None


def _places(posting: dict[str, Any]) -> list[dict[str, Any]]:
    location = posting.get("jobLocation") or []
    places = location if isinstance(location, list) else [location]
    addresses = []
    for place in places:
        if isinstance(place, dict):
            address = place.get("address", place)
            if isinstance(address, dict):
                addresses.append(address)
    return addresses


def _region(address: dict[str, Any]) -> str:
    country = _text(address.get("addressCountry")).upper()
    country = _COUNTRIES.get(country, country)
    region = _text(address.get("addressRegion")).upper()
    if (country, region) in _REGIONS:
        return _REGIONS[(country, region)]
    if len(country) == 2 and 1 <= len(region) <= 3 and region.isalnum():
        return f"{country}-{region}"
    return ""


def _salary(posting: dict[str, Any]) -> str:
    salary = posting.get("baseSalary") or posting.get("estimatedSalary")
    if isinstance(salary, list):
        salary = salary[0] if salary else None
    if not isinstance(salary, dict):
        return _text(salary)[:200]
    currency = _text(salary.get("currency"))
    value = salary.get("value")
    unit = ""
    if isinstance(value, dict):
        unit = _text(value.get("unitText")).lower()
        low, high = value.get("minValue"), value.get("maxValue")
        amount = (
            f"{_number(low)}\u2013{_number(high)}"
            if low is not None and high is not None
            else _number(value.get("value", low if low is not None else high))
        )
    else:
        amount = _number(value)
    per = {"year": "a year", "month": "a month", "hour": "an hour", "week": "a week",
           "day": "a day"}.get(unit, unit)  # fmt: skip
    return " ".join(part for part in (currency, amount, per) if part)[:200]


def _number(value: Any) -> str:
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        return _text(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"


def _posting(posting: dict[str, Any]) -> Posting | None:
    title = _text(posting.get("title") or posting.get("name"))
    if not title:
        return None
    addresses = _places(posting)
    location = ", ".join(
        part
        for part in (
            _text(addresses[0].get("addressLocality")),
            _text(addresses[0].get("addressRegion")),
            _text(addresses[0].get("addressCountry")),
        )
        if part
    ) if addresses else ""  # fmt: skip
    if not location and str(posting.get("jobLocationType", "")).upper() == "TELECOMMUTE":
        location = "Remote"
    return Posting(
        title=title[:300],
        company=_text(posting.get("hiringOrganization"))[:200],
        location=location[:300],
        region=next((r for r in map(_region, addresses) if r), ""),
        salary=_salary(posting),
        date_posted=_date(posting.get("datePosted")),
        valid_through=_date(posting.get("validThrough")),
    )
