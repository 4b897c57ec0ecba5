"""What a candidate can do from the portal. Plain functions, keyword-only arguments.

The hiring rules stay in `heardback.hiring.services`; these add what only the candidate's
side needs (a CV next to the application, reachability, the survey) and keep each request
all-or-nothing: if anything fails, nothing is stored.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from heardback import clock
from heardback.hiring import messages, names
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Candidate,
    EventKind,
    Job,
    Member,
    Org,
)
from heardback.messaging.headers import clean_email_address, clean_person_name, single_line
from heardback.messaging.kinds import MessageKind
from heardback.portal import uploads
from heardback.portal.models import (
    Attachment,
    KeptPromises,
    ReportCardSetting,
    SurveyInvitation,
    SurveyResponse,
)

SOURCE = "job board"


@dataclass(frozen=True)
class Submitted:
    application: Application
    created: bool


def _stored_email(email: str) -> str:
    """The address as apply stores it (an internationalised domain IDNA-encoded), so a
    repeat typed either way is recognised; a bad one is apply's to refuse."""
    try:
        return clean_email_address(email)
    except ValidationError:
        return email.strip()


def submit_application(
    *,
    job: Job,
    name: str,
    email: str,
    phone: str = "",
    language: str = "en",
    time_zone: str = "",
    cv: UploadedFile | None = None,
    greeting_name: str = "",
) -> Submitted:
    """Apply through the job board, with an optional CV.

    A second application to the same job with the same email is recognised: the first one
    is returned, nothing new is stored or sent. Raises HiringError/ValidationError on bad
    input, having stored nothing (not even the file).
    """
    checked = uploads.check_upload(cv) if cv is not None else None
    written: Path | None = None
    try:
        with transaction.atomic():
            # A withdrawn application is reopened by apply, and takes the new CV with it.
            already = (
                Application.objects.filter(
                    org_id=job.org_id, job=job, candidate__email__iexact=_stored_email(email)
                )
                .exclude(status=ApplicationStatus.WITHDRAWN)
                .exists()
            )
            application = hiring.apply(
                job=job,
                name=name,
                email=email,
                phone=phone,
                language=language,
                time_zone=time_zone,
                source=SOURCE,
                greeting_name=greeting_name,
            )
            if already:
                return Submitted(application=application, created=False)
            if cv is not None and checked is not None:
                stored_name, written = uploads.store(cv, checked)
                Attachment.objects.create(
                    org_id=job.org_id,
                    application=application,
                    kind=checked.kind,
                    original_name=checked.original_name,
                    stored_name=stored_name,
                    size=checked.size,
                    sha256=checked.sha256,
                    created_at=clock.now(),
                )
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    return Submitted(application=application, created=True)


def send_status_link(*, job: Job, email: str) -> bool:
    """Email a fresh status link for this job to the candidate with this address, if there is
    one; True if a message was queued.

    The page that calls this says the same thing either way, so it can't be used to find
    out who applied. The message goes to the address the employer already has (never to
    what was typed), through the one path every candidate message takes, so its link is
    minted when it is sent. Rate limits are the caller's (see `views.status_link`).
    """
    try:
        address = clean_email_address(email)
    except ValidationError:
        return False
    # The newest application to this job: the active one if there is one (a new one is
    # only ever made once the earlier ones ended), else how the last one ended.
    application = (
        Application.objects.filter(org_id=job.org_id, job=job, candidate__email__iexact=address)
        .select_related("org", "job", "candidate", "stage")
        .order_by("-created_at", "-pk")
        .first()
    )
    if application is None:
        return False
    # Opting out covers the updates we send on our own, not a link the candidate asks for.
    # In memory only: their choice stays as it is for everything else.
    application.candidate.progress_updates_opt_out = False
    with transaction.atomic():
        message = messages.send_to_candidate(
            application,
            kind=MessageKind.STATUS_LINK,
            key=f"app:{application.pk}:status-link:{secrets.token_hex(8)}",
            default=messages.STATUS_LINK,
        )
    return message is not None


def withdraw(*, application: Application) -> Application:
    """The candidate withdraws from their status page."""
    return hiring.withdraw(application=application, actor=None)


def update_contact(
    *,
    application: Application,
    email: str,
    phone: str,
    language: str | None = None,
    greeting_name: str | None = None,
) -> Candidate:
    """The candidate fixes how to reach them (and how we greet them: empty means the guess
    from their name). A new email clears the "unreachable" flag."""
    errors: dict[str, list[str]] = {}
    clean_greeting = ""
    if greeting_name is not None and greeting_name.strip():
        try:
            clean_greeting = clean_person_name(greeting_name, max_length=names.MAX_LENGTH)
        except ValidationError as error:
            errors["greeting_name"] = error.messages
    try:
        clean_email = clean_email_address(email)
    except ValidationError as error:
        errors["email"] = error.messages
        clean_email = ""
    clean_phone = single_line(phone, max_length=40)
    if len(phone.strip()) > 40:
        errors["phone"] = [_("A phone number can be at most 40 characters.")]
    if language is not None and language not in hiring.SUPPORTED_LANGUAGES:
        errors["language"] = [_("Please choose one of the languages offered.")]
    if errors:
        raise HiringError(errors)
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update().get(
            pk=application.candidate_id, org_id=application.org_id
        )
        changed: list[str] = []
        if clean_email.lower() != candidate.email.lower():
            taken = (
                Candidate.objects.filter(org_id=candidate.org_id, email__iexact=clean_email)
                .exclude(pk=candidate.pk)
                .exists()
            )
            if taken:
                raise HiringError(
                    {
                        "email": [
                            _(
                                "This address is already used for another application with "
                                "this employer. Please reply to one of our emails and we will "
                                "sort it out."
                            )
                        ]
                    }
                )
            candidate.email = clean_email
            changed.append("email")
        if candidate.unreachable_since is not None:
            # They fixed (or confirmed) the address we could not deliver to: try again.
            candidate.unreachable_since = None
            changed.append("reachable")
        if clean_phone != candidate.phone:
            candidate.phone = clean_phone
            changed.append("phone")
        if language is not None and language != candidate.language:
            candidate.language = language
            changed.append("language")
        if greeting_name is not None:
            greeting = clean_greeting or names.guess_greeting_name(candidate.name)
            if greeting != candidate.greeting_name:
                candidate.greeting_name = greeting
                changed.append("greeting_name")
        if not changed:
            return candidate
        try:
            with transaction.atomic():
                candidate.save()
        except IntegrityError as error:
            raise HiringError({"email": [_("This address is already in use.")]}) from error
        hiring.record_event(
            org=application.org,
            kind=EventKind.CONTACT_UPDATED,
            actor=None,
            application=application,
            data={"fields": changed, "by": "candidate"},
        )
    return candidate


def set_progress_updates(*, application: Application, opt_out: bool) -> Candidate:
    """Opt out of (or back into) progress updates. The final decision always comes."""
    with transaction.atomic():
        candidate = Candidate.objects.select_for_update().get(
            pk=application.candidate_id, org_id=application.org_id
        )
        if candidate.progress_updates_opt_out == opt_out:
            return candidate
        candidate.progress_updates_opt_out = opt_out
        candidate.save(update_fields=["progress_updates_opt_out"])
        hiring.record_event(
            org=application.org,
            kind=EventKind.UPDATES_OPT_OUT if opt_out else EventKind.UPDATES_OPT_IN,
            actor=None,
            application=application,
            data={"by": "candidate"},
        )
    return candidate


def answer_survey(
    *,
    application: Application,
    kept_promises: str,
    clarity: int,
    treated_with_respect: int,
    nps: int,
    comment: str = "",
) -> SurveyResponse:
    """Record the candidate's answers: once per invitation."""
    invitation = SurveyInvitation.objects.filter(
        org_id=application.org_id, application=application
    ).first()
    if invitation is None:
        raise HiringError(_("There is no survey for this application."))
    errors: dict[str, list[str]] = {}
    if kept_promises not in KeptPromises.values:
        errors["kept_promises"] = [_("Please choose one answer.")]
    if not 1 <= clarity <= 5:
        errors["clarity"] = [_("Please choose a number from 1 to 5.")]
    if not 1 <= treated_with_respect <= 5:
        errors["treated_with_respect"] = [_("Please choose a number from 1 to 5.")]
    if not 0 <= nps <= 10:
        errors["nps"] = [_("Please choose a number from 0 to 10.")]
    if len(comment) > 2000:
        errors["comment"] = [_("Please keep your comment under 2,000 characters.")]
    if errors:
        raise HiringError(errors)
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(
                org_id=application.org_id,
                invitation=invitation,
                kept_promises=kept_promises,
                clarity=clarity,
                treated_with_respect=treated_with_respect,
                nps=nps,
                comment=comment.strip(),
                created_at=clock.now(),
            )
    except IntegrityError as error:
        raise HiringError(_("You have already answered this survey. Thank you!")) from error


def set_report_card_public(*, org: Org, public: bool, actor: Member) -> ReportCardSetting:
    """An org admin publishes (or hides) the public report card and badge."""
    if actor.org_id != org.pk:
        raise HiringError("That belongs to another organisation.")
    setting, _created = ReportCardSetting.objects.update_or_create(
        org=org, defaults={"public": public, "updated_at": clock.now()}
    )
    hiring.record_event(
        org=org,
        kind=EventKind.REPORT_CARD_PUBLIC if public else EventKind.REPORT_CARD_PRIVATE,
        actor=actor,
    )
    return setting
