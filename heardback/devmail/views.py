"""The local mailbox page: read every email the system sent in development."""

from __future__ import annotations

from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import Message as MimeMessage
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from heardback.devmail.server import read_mailbox


def _parts(message: MimeMessage) -> tuple[str, str]:
    text, html = "", ""
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        decoded = payload.decode(part.get_content_charset() or "utf-8", "replace")
        if part.get_content_type() == "text/plain" and not text:
            text = decoded
        elif part.get_content_type() == "text/html" and not html:
            html = decoded
    return text, html


def readable(value: object) -> str:
    """A header as a person reads it: `=?utf-8?b?…?=` words decoded (RFC 2047)."""
    text = str(value or "")
    try:
        return str(make_header(decode_header(text)))
    except (HeaderParseError, LookupError, UnicodeDecodeError, ValueError):
        return text  # a malformed encoded word: show what arrived


def _require_enabled() -> None:
    if not settings.DEVMAIL_ENABLED:
        raise Http404("The development mailbox is off.")


def inbox(request: HttpRequest) -> HttpResponse:
    _require_enabled()
    query = request.GET.get("to", "").strip().lower()
    rows = []
    for key, message in read_mailbox(settings.DEVMAIL_MAILDIR):
        to = readable(message.get("To", ""))
        if query and query not in to.lower():
            continue
        date = message.get("Date")
        rows.append(
            {
                "key": key,
                "to": to,
                "subject": readable(message.get("Subject", "")),
                "date": parsedate_to_datetime(date) if date else None,
            }
        )
        if len(rows) >= 500:
            break
    return render(request, "devmail/inbox.html", {"rows": rows, "query": query})


def detail(request: HttpRequest, key: str) -> HttpResponse:
    _require_enabled()
    for message_key, message in read_mailbox(settings.DEVMAIL_MAILDIR):
        if message_key == key:
            text, html = _parts(message)
            headers = [(name, readable(value)) for name, value in message.items()]
            return render(
                request,
                "devmail/detail.html",
                {"key": key, "headers": headers, "text": text, "has_html": bool(html)},
            )
    raise Http404("No such message.")


def html_part(request: HttpRequest, key: str) -> HttpResponse:
    _require_enabled()
    for message_key, message in read_mailbox(settings.DEVMAIL_MAILDIR):
        if message_key == key:
            _text, html = _parts(message)
            response = HttpResponse(html, content_type="text/html; charset=utf-8")
            # Email HTML is untrusted here: no scripts, no same-origin access.
            response["Content-Security-Policy"] = (
                "sandbox; default-src 'none'; style-src 'unsafe-inline'"
            )
            response["X-Frame-Options"] = "SAMEORIGIN"
            return response
    raise Http404("No such message.")
