"""Importing a seeker's mail: uploaded `.eml` and `.mbox` files, and IMAP (`imap.py`).

Every message goes through the same steps:

1. its headers alone are parsed, and `mailread.looks_relevant` decides whether it is read at
   all (a sender or domain of a tracked application, or hiring mail by its sender and
   subject); anything else is counted and forgotten;
2. a relevant message is parsed whole and classified; one that says nothing we can act on
   is forgotten too;
3. what remains becomes a `MailProposal`, keeping only what the proposal page shows, for
   the seeker to confirm (`services.accept_proposal`) or dismiss.

A `.mbox` is read as a stream, one message at a time, so a mailbox of any size needs only
one message's worth of memory (and at most `MAX_MESSAGE_BYTES` of that message). The same
message imported twice (a file, then IMAP) proposes once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from typing import IO, Any

from django.conf import settings
from django.db import transaction

from heardback import clock

from . import mailread, status_feed
from .models import OPEN_STATUSES, JobApplication, MailKind, MailProposal, SeekerProfile

# A message bigger than this is read up to here: its headers and text come first, what is
# cut off is attachments.
MAX_MESSAGE_BYTES = 1024 * 1024
_BATCH = 200
_FROM_LINE = re.compile(rb"^>+From ")


class MailImportError(ValueError):
    """A file we can't read as mail, said so the seeker can act on it."""


@dataclass
class ImportResult:
    messages: int = 0  # seen
    read: int = 0  # relevant by their headers, so read whole
    proposed: int = 0  # new proposals
    known: int = 0  # already proposed (or dismissed) before
    linked: list[int] = field(default_factory=list)  # applications linked to a status page


# --- Reading files -------------------------------------------------------------------------


def iter_mbox(stream: IO[bytes]) -> Iterator[bytes]:
    """The messages of an mbox, one at a time (mboxo and mboxrd: a line `From ` after a
    blank line starts a message; `>From ` lines are unquoted once)."""
    current: list[bytes] = []
    size = 0
    previous_blank = True
    started = False
    for line in stream:
        if line.startswith(b"From ") and previous_blank:
            if started:
                yield b"".join(current)
            current, size, started = [], 0, True
            previous_blank = False
            continue
        if not started:
            if line.strip():
                raise MailImportError(
                    "That file isn't an mbox: it should start with a line beginning “From ”."
                )
            continue
        previous_blank = line in (b"\n", b"\r\n")
        if size < MAX_MESSAGE_BYTES:
            if _FROM_LINE.match(line):
                line = line[1:]
            current.append(line)
            size += len(line)
    if started:
        yield b"".join(current)


def iter_upload(stream: IO[bytes], *, name: str) -> Iterator[bytes]:
    """An uploaded file's messages: an mbox, or one message (`.eml`)."""
    head = stream.read(5)
    stream.seek(0)
    if head == b"From ":
        yield from iter_mbox(stream)
        return
    if name.lower().endswith(".mbox"):
        raise MailImportError(
            "That file isn't an mbox: it should start with a line beginning “From ”."
        )
    raw = stream.read(MAX_MESSAGE_BYTES)
    if b":" not in raw[:1000]:
        raise MailImportError(
            "That file doesn't look like an email. Save the message as .eml (most mail apps "
            "call it “Save as” or “Download message”) and upload that."
        )
    yield raw


# --- From messages to proposals ------------------------------------------------------------


@dataclass(frozen=True)
class Proposed:
    """What one message proposes, before it is stored."""

    mail: mailread.Email
    reading: mailread.Reading
    application: JobApplication | None


def read_message(
    raw: bytes, *, applications: list[JobApplication], profile: SeekerProfile, today: date
) -> tuple[bool, Proposed | None]:
    """(was it read whole?, what it proposes, if anything). Headers first: a message that
    isn't relevant by them is never parsed further."""
    headers = BytesHeaderParser().parsebytes(raw)  # compat32: raw strings, cheap
    envelope = mailread.envelope(headers, fallback_day=today)
    if not mailread.looks_relevant(envelope, applications):
        return False, None
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    mail = replace(envelope, text=mailread.body_text(message))
    app = mailread.match(mail, applications)
    reading = mailread.classify(
        mail, about_job=app is not None, country=profile.country, subdivision=profile.subdivision
    )
    if reading.kind == MailKind.OTHER:
        return True, None
    return True, Proposed(mail=mail, reading=reading, application=app)


def import_messages(
    *, owner: Any, messages: Iterable[bytes], source: str = "upload", now: datetime | None = None
) -> ImportResult:
    """Read messages and store what they propose; returns the counts. Never changes an
    application, except to link it to the live status page an email gave (that only reads
    the employer's public status, and the seeker sees it)."""
    now = now or clock.now()
    profile = SeekerProfile.objects.get(user=owner)
    applications = list(JobApplication.objects.filter(owner=owner).order_by("-applied_on", "-id"))
    known = set(MailProposal.objects.filter(owner=owner).values_list("message_key", flat=True))
    today = now.date()
    result = ImportResult()
    batch: list[MailProposal] = []
    for raw in messages:
        result.messages += 1
        try:
            was_read, proposed = read_message(
                raw, applications=applications, profile=profile, today=today
            )
        except (ValueError, LookupError, IndexError, TypeError, AttributeError):
            # A message the email package can't make sense of: skip it, keep the rest.
            continue
        result.read += int(was_read)
        if proposed is None:
            continue
        if proposed.mail.message_key in known:
            result.known += 1
            continue
        known.add(proposed.mail.message_key)
        batch.append(_proposal(owner, proposed, source=source, now=now))
        app, link = proposed.application, proposed.reading.status_link
        if link and app is not None and _link_status_page(app, link, now=now):
            result.linked.append(app.pk)
        if len(batch) >= _BATCH:
            result.proposed += _save(batch)
            batch = []
    result.proposed += _save(batch)
    return result


def _proposal(owner: Any, proposed: Proposed, *, source: str, now: datetime) -> MailProposal:
    mail, reading, app = proposed.mail, proposed.reading, proposed.application
    sender = f"{mail.sender_name} <{mail.sender}>" if mail.sender_name else mail.sender
    return MailProposal(
        owner=owner,
        application=app,
        kind=reading.kind,
        message_key=mail.message_key,
        sender=sender[:300],
        subject=mail.subject[:300],
        received_on=mail.sent_on,
        excerpt=reading.excerpt[:500],
        event_on=reading.event_on,
        event_explained=reading.event_explained[:300],
        company="" if app else mailread.guess_company(mail)[:200],
        role="" if app else mailread.guess_role(mail)[:200],
        status_link=reading.status_link,
        source=source,
        created_at=now,
    )


def _save(batch: list[MailProposal]) -> int:
    if not batch:
        return 0
    with transaction.atomic():
        # A concurrent import of the same message (IMAP while a file uploads) is ignored.
        MailProposal.objects.bulk_create(batch, ignore_conflicts=True)
    return len(batch)


def _link_status_page(app: JobApplication, link: str, *, now: datetime) -> bool:
    """Link an application to its live Heardback status page, unless it already has one.
    The network loop reads the status on its next round (never checked yet)."""
    if status_feed.status_json_url(app.link) is not None or app.status not in OPEN_STATUSES:
        return False
    linked = JobApplication.objects.filter(pk=app.pk, link=app.link).update(
        link=link, employer_checked_at=None, employer_error="", updated_at=now
    )
    if linked:
        app.link = link
    return bool(linked)


def max_upload_bytes() -> int:
    return int(settings.SEEKER_MAIL_IMPORT_MAX_BYTES)
