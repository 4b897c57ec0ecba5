"""What a candidate can do from the portal. Plain functions, keyword-only arguments.

The hiring rules stay in `heardback.hiring.services`; these add what only the candidate's
side needs (a CV next to the application, reachability, the survey) and keep each request
all-or-nothing: if anything fails, nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import Application, Candidate, Job, Member, Org
from heardback.messaging.headers import clean_email_address, single_line
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


def submit_application(
    *,
    job: Job,
    name: str,
    email: str,
    phone: str = "",
    language: str = "en",
    time_zone: str = "",
    cv: UploadedFile | None = None,
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
            already = Application.objects.filter(
                org_id=job.org_id, job=job, candidate__email__iexact=email.strip()
            ).exists()
            application = hiring.apply(
                job=job,
                name=name,
                email=email,
                phone=phone,
                language=language,
                time_zone=time_zone,
                source=SOURCE,
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


def withdraw(*, application: Application) -> Application:
    """The candidate withdraws from their status page."""
    return hiring.withdraw(application=application, actor=None)


def update_contact(
    *, application: Application, email: str, phone: str, language: str | None = None
) -> Candidate:
    """The candidate fixes how to reach them. A new email clears the "unreachable" flag."""
    errors: dict[str, list[str]] = {}
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
        if not changed:
            return candidate
        try:
            with transaction.atomic():
                candidate.save()
        except IntegrityError as error:
            raise HiringError({"email": [_("This address is already in use.")]}) from error
        hiring.record_event(
            org=application.org,
            kind="contact_updated",
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
            kind="progress_updates_opt_out" if opt_out else "progress_updates_opt_in",
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
        org=org, kind="report_card_public" if public else "report_card_private", actor=actor
    )
    return setting
