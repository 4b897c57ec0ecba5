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
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.shortcuts import get_object_or_404

from heardback import clock
from heardback.clock.business import is_valid_time_zone, zone

from . import status_feed, thankyou
from .models import (
    OPEN_STATUSES,
    FollowUp,
    Interview,
    InterviewKind,
    JobApplication,
    Note,
    SeekerProfile,
    Status,
)
from .phrases import parse_promise

SEEKER_USERNAME_PREFIX = "seeker:"
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
) -> AbstractBaseUser:
    User = get_user_model()
    username = seeker_username(email)
    if User.objects.filter(username=username).exists():
        raise SeekerError("There's already a job-seeker account for this email. Sign in instead?")
    if not is_valid_time_zone(time_zone):
        raise SeekerError("Please pick a time zone such as Europe/London.")
    user = User.objects.create_user(
        username=username, email=email.strip().lower(), password=password
    )
    SeekerProfile.objects.create(
        user=user, full_name=full_name.strip(), email=email.strip().lower(),
        country=country.strip().upper(), time_zone=time_zone, created_at=clock.now(),
    )  # fmt: skip
    return user


def update_profile(*, owner: Any, **fields: Any) -> SeekerProfile:
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
    profile.save()
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
    return hashlib.sha256(token.encode()).hexdigest()


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
) -> JobApplication:
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
    app.save()
    return app


def update_application(*, owner: Any, application_id: int, **fields: Any) -> JobApplication:
    allowed = {"company", "role", "link", "contact_name", "contact_email", "applied_on",
               "source", "notes"}  # fmt: skip
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
    """Read the live status; on failure keep the last good values and say why."""
    app = _app(owner, application_id)
    if status_feed.status_json_url(app.link) is None:
        return app
    now = clock.now()
    try:
        found = status_feed.fetch(app.link)
    except status_feed.StatusFeedError as error:
        JobApplication.objects.filter(pk=app.pk).update(
            employer_error=str(error)[:300], employer_checked_at=now
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
        return FollowUp.objects.create(
            application=app, round=app.news_round, number=number,
            text=thankyou.draft_follow_up(
                profile=profile, application=app, number=number, today=today
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


def import_csv(*, owner: Any, data: bytes) -> int:
    """Import applications from CSV: all rows or none. Errors name the row (header = row 1)."""
    if len(data) > CSV_MAX_BYTES:
        raise CsvImportError(["The file is larger than 2 MB; please split it."])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvImportError(["The file isn't UTF-8 text. Save it as “CSV UTF-8”."]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("company", "role", "applied_on") if c not in header]
    if missing:
        raise CsvImportError([f"Row 1: the header needs the column(s) {', '.join(missing)}."])
    reader.fieldnames = header
    url_ok = URLValidator(schemes=["http", "https"])
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for number, raw in enumerate(reader, start=2):
        if len(rows) + len(errors) >= CSV_MAX_ROWS:
            errors.append(f"More than {CSV_MAX_ROWS} rows; please split the file.")
            break
        row = {c: _clean_cell(raw.get(c)) for c in CSV_COLUMNS}
        if not any(row.values()):
            continue
        problems = []
        if not row["company"]:
            problems.append("company is empty")
        if not row["role"]:
            problems.append("role is empty")
        try:
            row["applied_on"] = date.fromisoformat(row["applied_on"])
        except ValueError:
            problems.append(f"applied_on {row['applied_on']!r} isn't a date like 2026-11-02")
        status = (row["status"] or Status.APPLIED).lower()
        if status not in Status.values:
            problems.append(f"status {row['status']!r} isn't one of {', '.join(Status.values)}")
        row["status"] = status
        if row["contact_email"]:
            try:
                validate_email(row["contact_email"])
            except ValidationError:
                problems.append(f"contact_email {row['contact_email']!r} isn't an email address")
        if row["link"]:
            try:
                url_ok(row["link"])
            except ValidationError:
                problems.append(f"link {row['link']!r} isn't a web address")
        for name, limit in (("company", 200), ("role", 200), ("source", 100),
                            ("contact_name", 200)):  # fmt: skip
            if len(str(row[name])) > limit:
                problems.append(f"{name} is longer than {limit} characters")
        if problems:
            errors.append(f"Row {number}: " + "; ".join(problems) + ".")
        else:
            rows.append(row)
    if errors:
        raise CsvImportError(errors)
    if not rows:
        raise CsvImportError(["The file has a header but no applications."])
    with transaction.atomic():
        for row in rows:
            create_application(owner=owner, **row)
    return len(rows)
