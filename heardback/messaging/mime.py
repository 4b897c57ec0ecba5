"""Turning an outbox row into the bytes that go over the wire.

Two builders produce the same message: a direct one for the everyday case (plain addresses,
any text in names, subjects and bodies) and Python's `email` package for everything else.
The direct one exists for speed: the `email` package's header registry and generator cost
several milliseconds per message, more than the SMTP exchange itself, and the worker builds
one message per send. Safety is the same in both: every header value is single-lined first
(no CR, LF, U+2028, U+2029, U+0085…), so nothing a person typed can start a header.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, parseaddr
from functools import lru_cache

from django.conf import settings

from heardback.messaging.headers import single_line
from heardback.messaging.models import Message


@lru_cache(maxsize=16)
def _domain_of(from_email: str) -> str:
    return parseaddr(from_email)[1].rpartition("@")[2] or "heardback.localhost"


def message_id_for(message_pk: int) -> str:
    return f"<hb.{message_pk}@{_domain_of(settings.DEFAULT_FROM_EMAIL)}>"


def envelope_sender() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


@lru_cache(maxsize=64)
def _parse_from(value: str) -> tuple[str, str]:
    return parseaddr(value)


_KIND = re.compile(r"[a-z_]{1,40}")


def _kind_header(kind: str) -> str:
    """The outbox kind, so filters, the seeker side and tests classify mail without reading it."""
    return kind if _KIND.fullmatch(kind or "") else "system"


_UNSUBSCRIBE_URL = re.compile(r"https?://[\x21-\x7e]{1,490}")


def list_unsubscribe_headers(message: Message) -> list[tuple[str, str]]:
    """RFC 8058 one-click unsubscribe, for mail with an unsubscribe URL (the seeker's
    digest): mail clients show an unsubscribe button and POST
    `List-Unsubscribe=One-Click` to the URL. A URL that isn't plain printable ASCII
    (never ours) is left out rather than sent broken."""
    url = message.list_unsubscribe
    if not url or not _UNSUBSCRIBE_URL.fullmatch(url) or ">" in url:
        return []
    return [
        ("List-Unsubscribe", f"<{url}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    ]


def build_mime(message: Message) -> bytes:
    """RFC 5322 bytes with a text and (if there is one) an HTML part."""
    fast = _build_direct(message)
    return fast if fast is not None else build_mime_with_email_package(message)


# --- the email package: handles every case --------------------------------------------------


def _address(name: str, email: str) -> Address:
    display_name = single_line(name, max_length=200)
    email = single_line(email, max_length=320)
    try:
        # addr_spec, not username/domain: a quoted local part must stay quoted once, not twice.
        return Address(display_name=display_name, addr_spec=email)
    except (ValueError, HeaderParseError):
        local, _, domain = email.rpartition("@")
        return Address(display_name=display_name, username=local, domain=domain)


def build_mime_with_email_package(message: Message) -> bytes:
    """Names and subjects are single-lined again here, so even a row written by other code
    can't inject a header."""
    mime = EmailMessage(policy=SMTP)
    from_name, from_addr = _parse_from(message.from_email or settings.DEFAULT_FROM_EMAIL)
    mime["From"] = _address(from_name, from_addr)
    mime["To"] = _address(message.to_name, message.to_email)
    if message.reply_to:
        reply_name, reply_addr = getaddresses([message.reply_to])[0]
        if reply_addr:
            mime["Reply-To"] = _address(reply_name, reply_addr)
    mime["Subject"] = single_line(message.subject)
    mime["Date"] = format_datetime(message.created_at)
    mime["Message-ID"] = message_id_for(message.pk)
    mime["X-Heardback-Kind"] = _kind_header(message.kind)
    if message.automated:
        mime["Auto-Submitted"] = "auto-generated"
    for name, value in list_unsubscribe_headers(message):
        mime[name] = value
    mime.set_content(message.body_text)
    if message.body_html:
        mime.add_alternative(message.body_html, subtype="html")
    # After the body: set_content() and add_alternative() move or drop Content-* headers.
    mime["Content-Language"] = single_line(message.language, max_length=8)
    return mime.as_bytes()


# --- the direct builder: the common case, fast -------------------------------------------------

# A plain address: dot-atom local part and an ASCII domain. Anything else (quoted local parts,
# internationalised domains) goes to the email package.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")
# Display names made only of these need no quoting at all.
_ATEXT_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
_LINE_END = re.compile(r"\r\n|\r|\n")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
_MAX_LINE = 78
_ENCODED_CHUNK = 45  # bytes of UTF-8 per encoded word: base64 of 45 bytes is 60 characters


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 `=?utf-8?b?…?=` words, never splitting a character across two words."""
    words: list[str] = []
    chunk = bytearray()
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > _ENCODED_CHUNK:
            words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=")
            chunk = bytearray()
        chunk += encoded
    if chunk:
        words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=")
    return words


def _fold(name: str, words: list[str]) -> str:
    """`Name: word word…`, folded at spaces so lines stay near 78 characters."""
    lines: list[str] = []
    line = f"{name}:"
    for word in words:
        if len(line) + 1 + len(word) > _MAX_LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line = f"{line} {word}"
    lines.append(line)
    return "\r\n".join(lines)


def _text_header(name: str, value: str) -> str:
    value = single_line(value)
    if _PRINTABLE_ASCII.fullmatch(value) and "=?" not in value:
        return _fold(name, value.split(" ") if value else [])
    return _fold(name, _encoded_words(value))


def _address_header(name: str, display_name: str, address: str) -> str | None:
    if not _PLAIN_ADDRESS.fullmatch(address):
        return None
    display_name = single_line(display_name, max_length=200)
    if not display_name:
        return _fold(name, [address])
    if _ATEXT_PHRASE.fullmatch(display_name):
        words = display_name.split(" ")
    elif _PRINTABLE_ASCII.fullmatch(display_name) and "=?" not in display_name:
        quoted = display_name.replace("\\", "\\\\").replace('"', '\\"')
        words = [f'"{quoted}"']
    else:
        words = _encoded_words(display_name)
        if len(words) > 1:
            # Readers differ on the space between encoded words inside an address; a name
            # this long is rare, so let the email package write it.
            return None
    header = _fold(name, [*words, f"<{address}>"])
    if any(len(line) > _MAX_LINE for line in header.split("\r\n")):
        return None  # a long quoted name: let the email package fold it
    return header


def _body_part(content_type: str, text: str) -> bytes:
    lines = _LINE_END.split(text)
    if text.isascii() and (len(text) <= 998 or max(map(len, lines)) <= 998):
        body = "\r\n".join(lines).encode("ascii")
        encoding = "7bit"
    else:
        normalised = "\n".join(lines).encode("utf-8")
        body = binascii.b2a_qp(normalised, istext=True).replace(b"\n", b"\r\n")
        encoding = "quoted-printable"
    if not body.endswith(b"\r\n"):
        body += b"\r\n"  # a part always ends at a line end
    head = (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii")
    return head + body


def _build_direct(message: Message) -> bytes | None:
    """The message's bytes, or None when it needs the email package."""
    from_name, from_addr = _parse_from(message.from_email or settings.DEFAULT_FROM_EMAIL)
    headers = [
        _address_header("From", from_name, from_addr),
        _address_header("To", message.to_name, message.to_email),
    ]
    if message.reply_to:
        reply_name, reply_addr = getaddresses([message.reply_to])[0]
        if reply_addr:
            headers.append(_address_header("Reply-To", reply_name, reply_addr))
    if None in headers:
        return None
    lines = [h for h in headers if h is not None]
    language = single_line(message.language, max_length=8)
    if not _LANGUAGE.fullmatch(language):
        return None
    lines += [
        _text_header("Subject", message.subject),
        f"Date: {format_datetime(message.created_at)}",
        f"Message-ID: {message_id_for(message.pk)}",
    ]
    lines.append(f"X-Heardback-Kind: {_kind_header(message.kind)}")
    if message.automated:
        lines.append("Auto-Submitted: auto-generated")
    lines += [f"{name}: {value}" for name, value in list_unsubscribe_headers(message)]
    lines += ["MIME-Version: 1.0", f"Content-Language: {language}"]
    text_part = _body_part("text/plain", message.body_text)
    try:
        if not message.body_html:
            return "\r\n".join(lines).encode("ascii") + b"\r\n" + text_part
        html_part = _body_part("text/html", message.body_html)
        boundary = f"=_hb_{os.urandom(16).hex()}"
        lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        head = "\r\n".join(lines).encode("ascii")
    except UnicodeEncodeError:
        return None  # e.g. a non-ASCII domain in DEFAULT_FROM_EMAIL
    marker = boundary.encode("ascii")
    if marker in text_part or marker in html_part:
        return None
    # The CRLF before each "--boundary" belongs to the delimiter, not to the part.
    return b"".join(
        [
            head,
            b"\r\n\r\n--",
            marker,
            b"\r\n",
            text_part,
            b"\r\n--",
            marker,
            b"\r\n",
            html_part,
            b"\r\n--",
            marker,
            b"--\r\n",
        ]
    )
