"""Turning an outbox row into the bytes that go over the wire."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, parseaddr

from django.conf import settings

from heardback.messaging.headers import single_line
from heardback.messaging.models import Message


def message_id_for(message_pk: int) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "heardback.localhost"
    return f"<hb.{message_pk}@{domain}>"


def envelope_sender() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def _address(name: str, email: str) -> Address:
    local, _, domain = email.rpartition("@")
    return Address(display_name=single_line(name, max_length=200), username=local, domain=domain)


def build_mime(message: Message) -> bytes:
    """RFC 5322 bytes with a text and an HTML part. Names and subjects are single-lined
    again here, so even a row written by other code can't inject a header."""
    mime = EmailMessage(policy=SMTP)
    from_name, from_addr = parseaddr(message.from_email or settings.DEFAULT_FROM_EMAIL)
    mime["From"] = _address(from_name, from_addr)
    mime["To"] = _address(message.to_name, message.to_email)
    if message.reply_to:
        reply_name, reply_addr = getaddresses([message.reply_to])[0]
        if reply_addr:
            mime["Reply-To"] = _address(reply_name, reply_addr)
    mime["Subject"] = single_line(message.subject)
    mime["Date"] = format_datetime(message.created_at)
    mime["Message-ID"] = message_id_for(message.pk)
    if message.automated:
        mime["Auto-Submitted"] = "auto-generated"
    mime.set_content(message.body_text)
    if message.body_html:
        mime.add_alternative(message.body_html, subtype="html")
    # After the body: set_content() and add_alternative() move or drop Content-* headers.
    mime["Content-Language"] = single_line(message.language, max_length=8)
    return mime.as_bytes()
