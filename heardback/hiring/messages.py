"""What Heardback says to candidates, and how it says it.

Default templates are written for real people: honest about what happens next, specific
about when, and kind when the answer is no. Stages and jobs can override them; the variables
below are available to every template.

    {{ candidate_name }} {{ first_name }} {{ job_title }} {{ org_name }} {{ stage }}
    {{ respond_by }} (e.g. "Tue 9 Dec") {{ respond_by_long }} {{ status_url }} {{ reason }}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import formats, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from heardback.clock.business import zone
from heardback.hiring.models import Application, CoarseStage, DeclineReason
from heardback.messaging.models import Message
from heardback.messaging.rendering import render_message
from heardback.messaging.services import enqueue


@dataclass(frozen=True)
class DefaultTemplate:
    subject: Any
    body: Any


SIGN_OFF = _("Kind regards,\n{{ org_name }}")

ACKNOWLEDGEMENT = DefaultTemplate(
    subject=_("We received your application for {{ job_title }}"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "Thank you for applying for {{ job_title }} at {{ org_name }}. Your application "
        "has arrived and a person will read it.\n\n"
        "You will hear from us by {{ respond_by }}, whatever the news. If we need longer, "
        "we will tell you so, with a new date.\n\n"
        "{% if status_url %}You can see where your application stands at any time: "
        "{{ status_url }}\n\n{% endif %}"
    ),
)

STAGE_UPDATES: dict[str, DefaultTemplate] = {
    CoarseStage.IN_REVIEW: DefaultTemplate(
        subject=_("Your application for {{ job_title }} is in review"),
        body=_(
            "Hello {{ first_name }},\n\n"
            "Your application for {{ job_title }} is now being reviewed by the team.\n\n"
            "You will hear from us by {{ respond_by }}.\n\n"
            "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
        ),
    ),
    CoarseStage.INTERVIEW: DefaultTemplate(
        subject=_("Next step for {{ job_title }}: an interview"),
        body=_(
            "Hello {{ first_name }},\n\n"
            "Good news: we would like to talk with you about {{ job_title }}. "
            "We will be in touch to arrange a time.\n\n"
            "You will hear from us by {{ respond_by }}.\n\n"
            "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
        ),
    ),
    CoarseStage.OFFER: DefaultTemplate(
        subject=_("{{ job_title }}: we are preparing an offer"),
        body=_(
            "Hello {{ first_name }},\n\n"
            "We are preparing an offer for {{ job_title }} and will send you the details "
            "by {{ respond_by }}.\n\n"
            "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
        ),
    ),
    CoarseStage.RECEIVED: DefaultTemplate(
        subject=_("An update on your application for {{ job_title }}"),
        body=_(
            "Hello {{ first_name }},\n\n"
            "Your application for {{ job_title }} is with us. "
            "You will hear from us by {{ respond_by }}.\n\n"
            "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
        ),
    ),
}

_DECLINE_OPENING = _(
    "Hello {{ first_name }},\n\n"
    "Thank you for your interest in {{ job_title }} and for the time you gave us.\n\n"
)
_DECLINE_CLOSING = _(
    "We know this is not the answer you hoped for, and we did not want you to wait for it. "
    "We wish you the very best in your search.\n\n"
)

DECLINE_REASONS: dict[str, Any] = {
    DeclineReason.OTHER_CANDIDATE: _(
        "We have decided to move forward with another candidate whose experience was a "
        "closer match for what the team needs right now."
    ),
    DeclineReason.EXPERIENCE: _(
        "We have decided not to move forward: the role needs experience that your "
        "application did not show yet. That can change, and we would be glad to see you "
        "apply again."
    ),
    DeclineReason.POSITION_CLOSED: _(
        "The position has been closed, so we are not able to move forward with any "
        "applications for it, including yours."
    ),
    DeclineReason.LOCATION: _(
        "We are not able to move forward because of the location or work authorisation "
        "the role requires."
    ),
    DeclineReason.NO_DECISION: _(
        "We were not able to reach a decision in the time we promised you, and we do not "
        "think it is fair to keep you waiting longer, so we are closing your application."
    ),
    DeclineReason.OTHER: _("We have decided not to move forward with your application."),
}

DECLINE_SUBJECT = _("Your application for {{ job_title }}")

HIRED = DefaultTemplate(
    subject=_("Welcome aboard: {{ job_title }}"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "We are delighted that you are joining {{ org_name }} as {{ job_title }}. "
        "Your recruiter will be in touch about your first days.\n\n"
    ),
)

WITHDRAWN = DefaultTemplate(
    subject=_("You withdrew your application for {{ job_title }}"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "We have withdrawn your application for {{ job_title }}, as you asked. "
        "Thank you for considering {{ org_name }}; we wish you well.\n\n"
    ),
)


def decline_body(reason: str) -> str:
    return (
        str(_DECLINE_OPENING)
        + str(DECLINE_REASONS.get(reason, DECLINE_REASONS[DeclineReason.OTHER]))
        + "\n\n"
        + str(_DECLINE_CLOSING)
    )


# How each language writes a date: "Tue 9 Dec", "Di., 9. Dez.", "mar 9 de dic".
SHORT_DATE = {"en": "D j M", "de": "D, j. M", "es": r"D j \d\e M"}
LONG_DATE = {"en": "l, j F Y", "de": "l, j. F Y", "es": r"l, j \d\e F \d\e Y"}


def format_respond_by(moment: datetime | None, *, time_zone: str, language: str) -> tuple[str, str]:
    """("Tue 9 Dec", "Tuesday, 9 December 2026") in the candidate's zone and language."""
    if moment is None:
        return "", ""
    local = moment.astimezone(zone(time_zone))
    with translation.override(language):
        short = formats.date_format(local, SHORT_DATE.get(language, SHORT_DATE["en"]))
        long = formats.date_format(local, LONG_DATE.get(language, LONG_DATE["en"]))
    return short, long


def issue_status_url(application: Application) -> str:
    """A fresh link to the candidate's status page, from the portal's configured issuer.

    The portal sits above hiring, so hiring reaches it through a setting, not an import.
    """
    path = settings.HEARDBACK_STATUS_LINK_ISSUER
    if not path:
        return ""
    return str(import_string(path)(application))


def context_for(application: Application, **extra: Any) -> dict[str, Any]:
    candidate = application.candidate
    short, long = format_respond_by(
        application.respond_by, time_zone=candidate.time_zone, language=candidate.language
    )
    return {
        "candidate_name": candidate.name,
        "first_name": candidate.name.split()[0] if candidate.name.split() else candidate.name,
        "job_title": application.job.title,
        "org_name": application.org.name,
        "stage": str(CoarseStage(application.stage.coarse_stage).label),
        "respond_by": short,
        "respond_by_long": long,
        "status_url": issue_status_url(application),
        **extra,
    }


def send_to_candidate(
    application: Application,
    *,
    kind: str,
    key: str,
    subject_template: str,
    body_template: str,
    automated: bool = False,
    final: bool = False,
    extra: dict[str, Any] | None = None,
) -> Message | None:
    """Render in the candidate's language and put the message in the outbox.

    Must be called inside the transaction of the change that causes the message. Returns
    None when the candidate opted out of progress updates (never for a final decision).
    """
    candidate = application.candidate
    if candidate.progress_updates_opt_out and not final:
        return None
    with translation.override(candidate.language):
        context = context_for(application, **(extra or {}))
        rendered = render_message(
            str(subject_template), str(body_template) + str(SIGN_OFF), context
        )
    message, _created = enqueue(
        idempotency_key=key,
        to_email=candidate.email,
        to_name=candidate.name,
        rendered=rendered,
        kind=kind,
        org_id=application.org_id,
        application_id=application.pk,
        language=candidate.language,
        automated=automated,
        final=final,
        reply_to=application.org.reply_to,
    )
    return message
