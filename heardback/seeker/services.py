"""Writes for the job-seeker companion. Every function takes the seeker (`owner`) and only
ever touches that seeker's rows; another seeker's id simply isn't found (Http404).

Nothing here sends anything on the seeker's behalf: drafts are drafts until the seeker
marks them sent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse

from heardback import clock
from heardback.clock.business import is_valid_time_zone, zone
from heardback.imports.reading import describe_csv_error
from heardback.messaging.kinds import MessageKind
from heardback.messaging.models import Message, MessageStatus
from heardback.messaging.rendering import Rendered, text_to_html
from heardback.messaging.services import enqueue
from heardback.web import limits

from . import jobpage, rights, status_feed, thankyou
from .models import (
    OPEN_STATUSES,
    FollowUp,
    Interview,
    InterviewKind,
    JobApplication,
    MailKind,
    MailProposal,
    Note,
    ProposalState,
    SavedJob,
    SeekerProfile,
    Status,
)
from .phrases import parse_promise

SEEKER_USERNAME_PREFIX = "seeker:"
CONFIRMATION_LIFETIME = timedelta(days=3)
# The same guard as the console's sign-in: failures per (email, client address), counted in
# the shared store so every web process sees them.
LOGIN_THROTTLE = limits.FailureThrottle("seeker-login", max_failures=5, window_seconds=15 * 60)
ASSUMED_WAIT_DAYS = 7
CSV_COLUMNS = [
    "company", "role", "link", "contact_name", "contact_email", "applied_on", "source",
    "status", "notes",
]  # fmt: skip
CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MAX_ROWS = 5000


class SeekerError(ValueError):
    """A request we can't do, with a message for the seeker."""


class FollowUpRefused(SeekerError):
    """Asked for a third follow-up: we say no, kindly, and propose moving on."""

    propose_ghosted = True


REFUSAL = (
    "You've already followed up twice, and that's the most that helps. Don't harass them: "
    "it won't help, and may hurt if they're still deciding. How about marking this one "
    "ghosted and moving on? If they reply later, you can revive it in one click. "
    "You're not alone in this. It happens to almost everyone."
)


def seeker_username(email: str) -> str:
    """Seeker accounts live in their own username space, apart from employer logins."""
    return SEEKER_USERNAME_PREFIX + email.strip().lower()


def local_today(profile: SeekerProfile) -> date:
    return clock.now().astimezone(zone(profile.time_zone)).date()


# --- Accounts -----------------------------------------------------------------------------


@transaction.atomic
def sign_up(
    *, email: str, password: str, full_name: str, country: str = "", time_zone: str = "UTC"
) -> User:
    username = seeker_username(email)
    if User.objects.filter(username=username).exists():
        raise SeekerError("There's already a job-seeker account for this email. Sign in instead?")
    if not is_valid_time_zone(time_zone):
        raise SeekerError("Please pick a time zone such as Europe/London.")
    user = User.objects.create_user(
        username=username, email=email.strip().lower(), password=password
    )
    profile = SeekerProfile.objects.create(
        user=user, full_name=full_name.strip(), email=email.strip().lower(),
        country=country.strip().upper(), time_zone=time_zone, created_at=clock.now(),
    )  # fmt: skip
    send_confirmation(profile=profile)
    return user


def update_profile(*, owner: Any, **fields: Any) -> SeekerProfile:
    """Save the profile; a new email address is unconfirmed (nothing is sent to it) until
    its owner follows the link we send there."""
    profile = SeekerProfile.objects.get(user=owner)
    allowed = {"full_name", "email", "phone", "links", "qualifications", "country",
               "subdivision", "time_zone", "digest_opt_in"}  # fmt: skip
    for name, value in fields.items():
        if name not in allowed:
            raise SeekerError(f"Unknown profile field {name}")
        setattr(profile, name, value)
    if not is_valid_time_zone(profile.time_zone):
        raise SeekerError("Please pick a time zone such as Europe/London.")
    profile.country = profile.country.upper()
    profile.email = profile.email.strip().lower()
    with transaction.atomic():
        before = SeekerProfile.objects.select_for_update().get(pk=profile.pk)
        changed_email = before.email != profile.email
        if changed_email:
            profile.email_confirmed_at = None
            profile.email_token_hash = None
            profile.email_token_sent_at = None
        else:  # what the confirmation link may have changed meanwhile stays as it is
            profile.email_confirmed_at = before.email_confirmed_at
            profile.email_token_hash = before.email_token_hash
            profile.email_token_sent_at = before.email_token_sent_at
        profile.save()
        if changed_email:
            send_confirmation(profile=profile)
    return profile


# --- Confirming the email address ---------------------------------------------------------


def send_confirmation(*, profile: SeekerProfile) -> str | None:
    """Email a link that confirms `profile.email`; returns its token (which exists only in
    that email), or None when nothing was sent: the address is confirmed already, or it
    had its SEEKER_CONFIRM_RATE_PER_EMAIL of links (whoever asked for them).

    This is the one email an unconfirmed address gets, so the limit is per address: a
    stranger can't use sign-ups or profile changes to mail someone over and over.
    """
    if profile.email_confirmed_at is not None:
        return None
    verdict = limits.hit_rate(
        "seeker-confirm", profile.email.strip().lower(), rate=settings.SEEKER_CONFIRM_RATE_PER_EMAIL
    )
    if not verdict.allowed:
        return None
    token = secrets.token_urlsafe(32)
    digest = hash_token(token)
    with transaction.atomic():
        SeekerProfile.objects.filter(pk=profile.pk).update(
            email_token_hash=digest, email_token_sent_at=clock.now()
        )
        enqueue(
            idempotency_key=f"seeker-confirm:{profile.pk}:{digest[:16]}",
            to_email=profile.email,
            to_name=profile.full_name,
            rendered=_confirmation_mail(profile, token),
            kind=MessageKind.SYSTEM,
            from_email=settings.SEEKER_FROM_EMAIL,
        )
    profile.email_token_hash = digest
    return token


def _confirmation_mail(profile: SeekerProfile, token: str) -> Rendered:
    text = (
        f"Hello {profile.full_name or 'there'},\n\n"
        "Someone (we hope you) created a job-seeker account on Heardback with this address.\n"
        "To receive its emails (the optional daily digest), confirm the address here:\n\n"
        f"{settings.SITE_URL}/seeker/email/confirm/{token}/\n\n"
        f"The link works for {CONFIRMATION_LIFETIME.days} days. If this wasn't you, ignore "
        "this email: nothing more will be sent to this address.\n"
    )
    return Rendered(
        subject="Confirm your email address for Heardback", text=text, html=text_to_html(text)
    )


def profile_for_confirmation(token: str) -> SeekerProfile | None:
    """The profile a live confirmation link belongs to (None: unknown, used or expired)."""
    return SeekerProfile.objects.filter(
        email_token_hash=hash_token(token),
        email_token_sent_at__gt=clock.now() - CONFIRMATION_LIFETIME,
    ).first()


def confirm_email(*, token: str) -> SeekerProfile | None:
    """Confirm the address the link was sent to; once (compare-and-set on the token)."""
    profile = profile_for_confirmation(token)
    if profile is None:
        return None
    confirmed = SeekerProfile.objects.filter(
        pk=profile.pk, email_token_hash=profile.email_token_hash, email=profile.email
    ).update(email_confirmed_at=clock.now(), email_token_hash=None, email_token_sent_at=None)
    if not confirmed:
        return None  # used a moment ago, or the address changed since the link was sent
    profile.refresh_from_db()
    return profile


def issue_calendar_token(*, owner: Any) -> str:
    """A new private calendar token (256 bits). Only its hash is stored; the old one stops."""
    token = secrets.token_urlsafe(32)
    SeekerProfile.objects.filter(user=owner).update(
        calendar_token_hash=hash_token(token), calendar_token_created_at=clock.now()
    )
    return token


def revoke_calendar_token(*, owner: Any) -> None:
    SeekerProfile.objects.filter(user=owner).update(
        calendar_token_hash=None, calendar_token_created_at=None
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --- Applications -------------------------------------------------------------------------


def _app(owner: Any, application_id: int, *, lock: bool = False) -> JobApplication:
    qs = JobApplication.objects.filter(owner=owner)
    if lock:
        qs = qs.select_for_update()
    return get_object_or_404(qs, pk=application_id)


def create_application(
    *,
    owner: Any,
    company: str,
    role: str,
    applied_on: date,
    link: str = "",
    contact_name: str = "",
    contact_email: str = "",
    source: str = "",
    status: str = Status.APPLIED,
    notes: str = "",
    region: str = "",
) -> JobApplication:
    app = _new_application(
        owner=owner, company=company, role=role, applied_on=applied_on, link=link,
        contact_name=contact_name, contact_email=contact_email, source=source, status=status,
        notes=notes,
    )  # fmt: skip
    app.region = region.strip().upper()
    app.save()
    return app


def _new_application(
    *,
    owner: Any,
    company: str,
    role: str,
    applied_on: date,
    link: str = "",
    contact_name: str = "",
    contact_email: str = "",
    source: str = "",
    status: str = Status.APPLIED,
    notes: str = "",
) -> JobApplication:
    """A checked application, not yet saved (ValidationError if a field won't fit)."""
    now = clock.now()
    if status not in Status.values:
        raise SeekerError(f"Unknown status {status!r}")
    app = JobApplication(
        owner=owner, company=company.strip(), role=role.strip(), link=link.strip(),
        contact_name=contact_name.strip(), contact_email=contact_email.strip(),
        applied_on=applied_on, source=source.strip(), status=status, notes=notes,
        last_news_on=applied_on, created_at=now, updated_at=now,
    )  # fmt: skip
    if status not in (Status.APPLIED, Status.GHOSTED, Status.WITHDRAWN):
        app.first_response_on = applied_on
    app.full_clean(exclude=["owner"])
    return app


def update_application(*, owner: Any, application_id: int, **fields: Any) -> JobApplication:
    allowed = {"company", "role", "link", "contact_name", "contact_email", "applied_on",
               "source", "notes", "region"}  # fmt: skip
    with transaction.atomic():
        app = _app(owner, application_id, lock=True)
        for name, value in fields.items():
            if name not in allowed:
                raise SeekerError(f"Unknown field {name}")
            setattr(app, name, value)
        if app.link != JobApplication.objects.get(pk=app.pk).link:
            app.employer_stage = app.employer_stage_label = app.employer_status = ""
            app.employer_respond_by = app.employer_checked_at = None
            app.employer_error = ""
        app.last_news_on = max(app.last_news_on, app.applied_on)
        app.updated_at = clock.now()
        app.save()
    return app


def _news(app: JobApplication, day: date) -> None:
    """Something was heard: a new round of silence starts (follow-ups count from zero)."""
    if app.first_response_on is None:
        app.first_response_on = day
    app.last_news_on = max(app.last_news_on, day)
    app.news_round += 1


def record_news(*, owner: Any, application_id: int) -> JobApplication:
    """They replied. A ghosted application comes back to life."""
    with transaction.atomic():
        app = _app(owner, application_id, lock=True)
        profile = SeekerProfile.objects.get(user=owner)
        _news(app, local_today(profile))
        if app.status in (Status.GHOSTED, Status.APPLIED):
            app.status = Status.INTERVIEWING if app.interviews.exists() else Status.APPLIED
        app.updated_at = clock.now()
        app.save()
    return app


def set_status(*, owner: Any, application_id: int, status: str) -> JobApplication:
    if status not in Status.values:
        raise SeekerError(f"Unknown status {status!r}")
    with transaction.atomic():
        app = _app(owner, application_id, lock=True)
        profile = SeekerProfile.objects.get(user=owner)
        if status in (Status.OFFER, Status.REJECTED, Status.ACCEPTED):
            _news(app, local_today(profile))
        elif status == Status.INTERVIEWING and app.status == Status.GHOSTED:
            _news(app, local_today(profile))  # reviving means they replied
        app.status = status
        app.updated_at = clock.now()
        app.save()
    return app


def add_note(*, owner: Any, application_id: int, text: str) -> Note:
    if not text.strip():
        raise SeekerError("Paste the email or write the note first.")
    app = _app(owner, application_id)
    return Note.objects.create(application=app, text=text.strip(), created_at=clock.now())


def refresh_employer_status(*, owner: Any, application_id: int) -> JobApplication:
    """Read the live status now (the seeker asked, so the request waits at most one fetch
    deadline); on failure keep the last good values and say why."""
    app = _app(owner, application_id)
    if status_feed.status_json_url(app.link) is None:
        return app
    found: status_feed.EmployerStatus | status_feed.StatusFeedError
    try:
        found = status_feed.fetch(app.link)
    except status_feed.StatusFeedError as error:
        found = error
    return record_employer_status(owner=owner, application_id=application_id, found=found)


def record_employer_status(
    *,
    owner: Any,
    application_id: int,
    found: status_feed.EmployerStatus | status_feed.StatusFeedError,
    now: datetime | None = None,
) -> JobApplication:
    """Keep what a fetch found. A failure (a deadline passed, say) keeps the last good
    values and says why on the application, so the seeker sees it and we try again later.

    Separate from the fetch so the network loop can fetch in worker threads and write here,
    in the thread that owns the database connection.
    """
    now = now or clock.now()
    app = _app(owner, application_id)
    if isinstance(found, status_feed.StatusFeedError):
        JobApplication.objects.filter(pk=app.pk).update(
            employer_error=str(found)[:300], employer_checked_at=now
        )
        app.refresh_from_db()
        return app
    with transaction.atomic():
        app = _app(owner, application_id, lock=True)
        app.employer_stage = found.stage
        app.employer_stage_label = found.stage_label
        app.employer_status = found.status
        app.employer_respond_by = found.respond_by
        app.employer_checked_at = now
        app.employer_error = ""
        app.save()
    return app


# --- Interviews and the thank-you note ----------------------------------------------------


def log_interview(
    *,
    owner: Any,
    application_id: int,
    held_on: date,
    kind: str = InterviewKind.VIDEO,
    interviewers: str = "",
    notes: str = "",
    next_steps: str = "",
    promise_phrase: str = "",
    promised_on: date | None = None,
    promised_by: str = "",
    interesting_remark: str = "",
) -> Interview:
    """Log an interview, read the promised date, and draft the thank-you note at once.

    An explicit date wins over a phrase; with neither, we say so and assume a week.
    Raises PromiseNotUnderstood (nothing saved) when a phrase can't be read.
    """
    profile = SeekerProfile.objects.get(user=owner)
    promised_on, explained, assumed = _read_promise(
        profile=profile, held_on=held_on, promise_phrase=promise_phrase, promised_on=promised_on
    )
    with transaction.atomic():
        app = _app(owner, application_id, lock=True)
        interview = Interview(
            application=app, held_on=held_on, kind=kind, interviewers=interviewers.strip(),
            notes=notes, next_steps=next_steps, promise_phrase=promise_phrase.strip(),
            promised_on=promised_on, promise_explained=explained, promise_assumed=assumed,
            promised_by=promised_by.strip(), interesting_remark=interesting_remark.strip(),
            created_at=clock.now(),
        )  # fmt: skip
        interview.thank_you_text = thankyou.draft_thank_you(
            profile=profile, application=app, interview=interview
        )
        interview.full_clean(exclude=["application"])
        interview.save()
        _news(app, held_on)
        if app.status in (Status.APPLIED, Status.GHOSTED):
            app.status = Status.INTERVIEWING
        app.updated_at = clock.now()
        app.save()
    return interview


def _read_promise(
    *, profile: SeekerProfile, held_on: date, promise_phrase: str, promised_on: date | None
) -> tuple[date, str, bool]:
    """(date, how it was read, assumed?) An exact date wins; nothing at all means a week."""
    if promised_on is not None:
        if promised_on < held_on:
            raise SeekerError("The promised date is before the interview; please check it.")
        return (
            promised_on,
            f"the date you entered: {promised_on:%a} {promised_on.day} {promised_on:%b}",
            False,
        )
    if promise_phrase.strip():
        parsed = parse_promise(
            promise_phrase, interview_on=held_on, country=profile.country,
            subdivision=profile.subdivision,
        )  # fmt: skip
        return parsed.on, parsed.explained, False
    assumed_on = date.fromordinal(held_on.toordinal() + ASSUMED_WAIT_DAYS)
    return (
        assumed_on,
        (
            "No date was given, so we're assuming a week: "
            f"{assumed_on:%a} {assumed_on.day} {assumed_on:%b}."
        ),
        True,
    )


def update_interview(
    *,
    owner: Any,
    interview_id: int,
    held_on: date,
    kind: str,
    interviewers: str = "",
    notes: str = "",
    next_steps: str = "",
    promise_phrase: str = "",
    promised_on: date | None = None,
    promised_by: str = "",
    interesting_remark: str = "",
) -> Interview:
    """Correct a logged interview (a misread promise, a typo). The thank-you text is kept."""
    profile = SeekerProfile.objects.get(user=owner)
    promised, explained, assumed = _read_promise(
        profile=profile, held_on=held_on, promise_phrase=promise_phrase, promised_on=promised_on
    )
    with transaction.atomic():
        interview = _interview(owner, interview_id)
        interview.held_on, interview.kind = held_on, kind
        interview.interviewers, interview.notes = interviewers.strip(), notes
        interview.next_steps, interview.promise_phrase = next_steps, promise_phrase.strip()
        interview.promised_on, interview.promise_explained = promised, explained
        interview.promise_assumed, interview.promised_by = assumed, promised_by.strip()
        interview.interesting_remark = interesting_remark.strip()
        interview.full_clean(exclude=["application"])
        interview.save()
        app = interview.application
        app.last_news_on = max(app.last_news_on, held_on)
        app.save(update_fields=["last_news_on"])
    return interview


def _interview(owner: Any, interview_id: int) -> Interview:
    return get_object_or_404(
        Interview.objects.select_related("application").filter(application__owner=owner),
        pk=interview_id,
    )


def save_thank_you(*, owner: Any, interview_id: int, text: str) -> Interview:
    interview = _interview(owner, interview_id)
    interview.thank_you_text = text.replace("\r\n", "\n")
    interview.save(update_fields=["thank_you_text"])
    return interview


def mark_thank_you_sent(*, owner: Any, interview_id: int, sent: bool = True) -> Interview:
    interview = _interview(owner, interview_id)
    interview.thank_you_sent_at = clock.now() if sent else None
    interview.save(update_fields=["thank_you_sent_at"])
    return interview


# --- Follow-ups: at most two per silence --------------------------------------------------


def draft_follow_up(*, owner: Any, application_id: int) -> FollowUp:
    """The next follow-up draft, or the unsent one already waiting. A third is refused."""
    profile = SeekerProfile.objects.get(user=owner)
    with transaction.atomic():
        app = _app(owner, application_id, lock=True)
        if app.status not in OPEN_STATUSES:
            raise SeekerError(
                f"This application is {app.get_status_display().lower()}; no follow-up needed."
            )
        round_follow_ups = list(app.follow_ups.filter(round=app.news_round).order_by("number"))
        waiting = [f for f in round_follow_ups if f.sent_at is None]
        if waiting:
            return waiting[0]
        if len(round_follow_ups) >= 2:
            raise FollowUpRefused(REFUSAL)
        number = len(round_follow_ups) + 1
        today = local_today(profile)
        legal = rights.answer_due(application=app, interviews=list(app.interviews.all()),
                                  today=today)  # fmt: skip
        return FollowUp.objects.create(
            application=app, round=app.news_round, number=number,
            text=thankyou.draft_follow_up(
                profile=profile, application=app, number=number, today=today,
                legal=legal if legal is not None and legal.passed else None,
            ),
            drafted_on=today, created_at=clock.now(),
        )  # fmt: skip


def _follow_up(owner: Any, follow_up_id: int) -> FollowUp:
    return get_object_or_404(
        FollowUp.objects.select_related("application").filter(application__owner=owner),
        pk=follow_up_id,
    )


def save_follow_up(*, owner: Any, follow_up_id: int, text: str) -> FollowUp:
    follow_up = _follow_up(owner, follow_up_id)
    if not text.strip():
        raise SeekerError("The follow-up is empty; one or two sentences is plenty.")
    follow_up.text = text.replace("\r\n", "\n")
    follow_up.save(update_fields=["text"])
    return follow_up


def mark_follow_up_sent(*, owner: Any, follow_up_id: int) -> FollowUp:
    follow_up = _follow_up(owner, follow_up_id)
    if follow_up.sent_at is None:
        follow_up.sent_at = clock.now()
        follow_up.save(update_fields=["sent_at"])
    return follow_up


# --- CSV ----------------------------------------------------------------------------------


class CsvImportError(SeekerError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def _clean_cell(value: str | None) -> str:
    value = (value or "").strip()
    # Undo the apostrophe our export puts before cells a spreadsheet would run as a formula.
    if value[:2] in {"'=", "'+", "'-", "'@"}:
        value = value[1:]
    return value


def _records(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(row number, cells) for each record, or (row number, why it can't be read): a cell
    over the csv module's size limit or a bare CR refuses its row, not the whole request.
    The row number counts records (header = row 1), as the messages always have."""
    number = 1
    while True:
        number += 1
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield number, describe_csv_error(error)
            continue
        yield number, raw


def import_csv(*, owner: Any, data: bytes) -> int:
    """Import applications from CSV: all rows or none. Errors name the row (header = row 1).

    Whatever the file holds, the answer is a list of what to fix, never a half import: the
    rows are read and checked (every field as the model will store it) before the first is
    written, and the writes are one transaction.
    """
    if len(data) > CSV_MAX_BYTES:
        raise CsvImportError(["The file is larger than 2 MB; please split it."])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError(["The file isn't UTF-8 text. Save it as “CSV UTF-8”."]) from None
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")  # a file with CR line endings (old Mac spreadsheets)
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as error:
        raise CsvImportError([f"Row 1: {describe_csv_error(error)}"]) from None
    missing = [c for c in ("company", "role", "applied_on") if c not in header]
    if missing:
        raise CsvImportError([f"Row 1: the header needs the column(s) {', '.join(missing)}."])
    reader.fieldnames = header
    apps: list[JobApplication] = []
    errors: list[str] = []
    for number, raw in _records(reader):
        if len(apps) + len(errors) >= CSV_MAX_ROWS:
            errors.append(f"More than {CSV_MAX_ROWS} rows; please split the file.")
            break
        if isinstance(raw, str):
            errors.append(f"Row {number}: {raw}")
            continue
        row: dict[str, Any] = {c: _clean_cell(raw.get(c)) for c in CSV_COLUMNS}
        if not any(row.values()):
            continue
        problems = []
        cells = [c for v in raw.values() for c in (v if isinstance(v, list) else [v or ""])]
        if any("\x00" in cell for cell in cells):
            # PostgreSQL can't store a NUL, and no real cell holds one.
            problems.append("a cell contains a NUL character")
            row = {name: value.replace("\x00", "") for name, value in row.items()}
        problems += _row_problems(row)
        if not problems:
            try:
                apps.append(_new_application(owner=owner, **row))
            except ValidationError as error:
                problems = [
                    f"{name} {message[:1].lower()}{message[1:].rstrip('.')}"
                    for name, messages in error.message_dict.items()
                    for message in messages
                ]
        if problems:
            errors.append(f"Row {number}: " + "; ".join(problems) + ".")
    if errors:
        raise CsvImportError(errors)
    if not apps:
        raise CsvImportError(["The file has a header but no applications."])
    with transaction.atomic():
        JobApplication.objects.bulk_create(apps)
    return len(apps)


def _row_problems(row: dict[str, Any]) -> list[str]:
    """What is wrong with one row, in the seeker's words; fixes `applied_on` and `status`."""
    url_ok = URLValidator(schemes=["http", "https"])
    problems = []
    if not row["company"]:
        problems.append("company is empty")
    if not row["role"]:
        problems.append("role is empty")
    try:
        row["applied_on"] = date.fromisoformat(row["applied_on"])
    except ValueError:
        problems.append(f"applied_on {row['applied_on'][:40]!r} isn't a date like 2026-11-02")
    status = (row["status"] or Status.APPLIED).lower()
    if status not in Status.values:
        problems.append(f"status {row['status'][:40]!r} isn't one of {', '.join(Status.values)}")
    row["status"] = status
    if row["contact_email"]:
        try:
            validate_email(row["contact_email"])
        except ValidationError:
            problems.append(f"contact_email {row['contact_email'][:80]!r} isn't an email address")
    if row["link"]:
        try:
            url_ok(row["link"])
        except ValidationError:
            problems.append(f"link {row['link'][:80]!r} isn't a web address")
    for name, limit in (("company", 200), ("role", 200), ("source", 100),
                        ("contact_name", 200), ("link", 500), ("contact_email", 254)):  # fmt: skip
        if len(str(row[name])) > limit:
            problems.append(f"{name} is longer than {limit} characters")
    return problems


# --- Mail import: the seeker confirms what an email proposes ------------------------------


def _proposal(owner: Any, proposal_id: int) -> MailProposal:
    return get_object_or_404(
        MailProposal.objects.select_for_update().filter(owner=owner), pk=proposal_id
    )


def accept_proposal(
    *, owner: Any, proposal_id: int, application_id: int | None = None
) -> JobApplication:
    """Apply what an email said, now that the seeker said yes. `application_id` corrects
    the match (0: make it a new application). Each kind does what the seeker would have done
    by hand: an interview is logged (on its date, when the email gave one), a promised date
    goes on the latest interview, a rejection or an offer sets the status. The sentence is
    kept as a note on the application (where the likely-no signs are looked for)."""
    with transaction.atomic():
        proposal = _proposal(owner, proposal_id)
        if proposal.state != ProposalState.PENDING:
            raise SeekerError("That update was already dealt with.")
        chosen = proposal.application_id if application_id is None else application_id
        if chosen:
            app = _app(owner, chosen, lock=True)
        else:
            app = _new_application(
                owner=owner, company=proposal.company or "Unknown company",
                role=proposal.role or "Role not stated", applied_on=proposal.received_on,
                link=proposal.status_link, source="email",
            )  # fmt: skip
            app.save()
        if proposal.status_link and status_feed.status_json_url(app.link) is None:
            JobApplication.objects.filter(pk=app.pk).update(
                link=proposal.status_link, employer_checked_at=None, employer_error=""
            )
        _apply_mail(owner, app, proposal)
        Note.objects.create(
            application=app,
            text=f"Email from {proposal.sender}, {proposal.received_on:%d %b %Y}: "
            f"“{proposal.subject}”\n{proposal.excerpt}".strip(),
            created_at=clock.now(),
        )
        proposal.application = app
        proposal.state = ProposalState.ACCEPTED
        proposal.decided_at = clock.now()
        proposal.save(update_fields=["application", "state", "decided_at"])
    return app


def _apply_mail(owner: Any, app: JobApplication, proposal: MailProposal) -> None:
    kind, day = proposal.kind, proposal.received_on
    if kind == MailKind.INTERVIEW:
        if proposal.event_on is not None:
            log_interview(
                owner=owner, application_id=app.pk, held_on=proposal.event_on,
                notes=f"Invitation by email: {proposal.excerpt}"[:2000],
            )  # fmt: skip
            return
        app.refresh_from_db()
        _news(app, day)
        if app.status in (Status.APPLIED, Status.GHOSTED):
            app.status = Status.INTERVIEWING
    elif kind == MailKind.PROMISE and proposal.event_on is not None:
        latest = app.interviews.order_by("-held_on", "-id").first()
        if latest is not None and proposal.event_on >= latest.held_on:
            latest.promised_on = proposal.event_on
            latest.promise_phrase = proposal.excerpt[:200]
            latest.promise_explained = f"From their email: {proposal.event_explained}"[:300]
            latest.promise_assumed = False
            latest.save(
                update_fields=[
                    "promised_on", "promise_phrase", "promise_explained", "promise_assumed"
                ]
            )  # fmt: skip
        app.refresh_from_db()
        if app.status == Status.GHOSTED:
            _news(app, day)
            app.status = Status.INTERVIEWING if app.interviews.exists() else Status.APPLIED
    elif kind in (MailKind.REJECTION, MailKind.OFFER):
        app.refresh_from_db()
        _news(app, day)
        app.status = Status.REJECTED if kind == MailKind.REJECTION else Status.OFFER
    else:  # an acknowledgement: the application arrived; no answer yet
        return
    app.updated_at = clock.now()
    app.save()


def dismiss_proposal(*, owner: Any, proposal_id: int) -> None:
    """Not this one. Kept as dismissed (sender, subject, date) so it isn't proposed again."""
    with transaction.atomic():
        proposal = _proposal(owner, proposal_id)
        if proposal.state == ProposalState.PENDING:
            proposal.state = ProposalState.DISMISSED
            proposal.excerpt = ""
            proposal.decided_at = clock.now()
            proposal.save(update_fields=["state", "excerpt", "decided_at"])


# --- "Save this job": the bookmarklet and the paste-a-URL box ------------------------------


def issue_bookmarklet_token(*, owner: Any) -> str:
    """A new bookmarklet key (256 bits), shown once inside the bookmarklet. Only its hash
    is stored; the previous bookmarklet stops working."""
    token = secrets.token_urlsafe(32)
    SeekerProfile.objects.filter(user=owner).update(
        bookmarklet_token_hash=hash_token(token), bookmarklet_token_created_at=clock.now()
    )
    return token


def revoke_bookmarklet_token(*, owner: Any) -> None:
    SeekerProfile.objects.filter(user=owner).update(
        bookmarklet_token_hash=None, bookmarklet_token_created_at=None
    )


def save_job(*, owner: Any, url: str, given_title: str = "") -> SavedJob:
    """Fetch the page and save the posting on it (JSON-LD, else the page's title). A page we
    can't fetch (it needs a sign-in, say) is saved with the title the bookmarklet saw, and
    says why; with no title either, SeekerError and nothing is saved."""
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise SeekerError("That isn't a web address (it should start with https://).") from error
    if len(url) > 1000:
        raise SeekerError("That address is too long to save.")
    note = ""
    try:
        posting = jobpage.read(jobpage.fetch(url))
    except jobpage.PageError as error:
        title = " ".join(given_title.split())[:300]
        if not title:
            raise SeekerError(str(error)) from error
        posting = jobpage.Posting(title=title, read_from="given")
        note = f"{error} We saved the page's title; add the details when you apply."
    return SavedJob.objects.create(
        owner=owner, url=url, title=posting.title, company=posting.company,
        location=posting.location, region=posting.region, salary=posting.salary,
        date_posted=posting.date_posted, valid_through=posting.valid_through,
        read_from=posting.read_from, note=note[:300], created_at=clock.now(),
    )  # fmt: skip


def applied_to_saved_job(*, owner: Any, saved_id: int) -> JobApplication:
    """The seeker applied: the saved job becomes a tracked application (applied today)."""
    profile = SeekerProfile.objects.get(user=owner)
    with transaction.atomic():
        saved = get_object_or_404(SavedJob.objects.select_for_update(), owner=owner, pk=saved_id)
        if saved.application_id is not None:
            raise SeekerError("You've already marked this one applied.")
        app = _new_application(
            owner=owner, company=saved.company or "Company not stated", role=saved.title,
            applied_on=local_today(profile), link=saved.url[:500], source="saved job",
        )  # fmt: skip
        app.region = saved.region
        app.save()
        saved.application = app
        saved.save(update_fields=["application"])
    return app


def delete_saved_job(*, owner: Any, saved_id: int) -> None:
    get_object_or_404(SavedJob, owner=owner, pk=saved_id).delete()


# --- Unsubscribe (RFC 8058 one-click) ----------------------------------------------------

UNSUBSCRIBE_SALT = "heardback.seeker.unsubscribe"


def unsubscribe_token(profile: SeekerProfile) -> str:
    """A signed token naming the seeker, for the digest's unsubscribe link. Signed, not
    stored: it can only ever turn mail off, and it keeps working for every digest sent."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(profile.pk)).replace(":", ".")


def unsubscribe_url(profile: SeekerProfile) -> str:
    # From SITE_URL, never a request's Host header.
    return settings.SITE_URL + reverse("seeker:unsubscribe", args=[unsubscribe_token(profile)])


def profile_for_unsubscribe(token: str) -> SeekerProfile | None:
    try:
        pk = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token.replace(".", ":"))
    except signing.BadSignature:
        return None
    return SeekerProfile.objects.filter(pk=int(pk)).first() if pk.isdigit() else None


def unsubscribe(*, profile: SeekerProfile) -> int:
    """Stop the seeker's mail at once: the digest is turned off, and any digest already
    queued and not yet handed to the mail server is cancelled. Returns how many were."""
    now = clock.now()
    with transaction.atomic():
        SeekerProfile.objects.filter(pk=profile.pk).update(digest_opt_in=False, unsubscribed_at=now)
        return Message.objects.filter(
            kind=MessageKind.SEEKER_DIGEST,
            idempotency_key__startswith=f"seeker-digest:{profile.user_id}:",
            status=MessageStatus.QUEUED,
        ).update(status=MessageStatus.CANCELLED, last_error="The seeker unsubscribed.")
