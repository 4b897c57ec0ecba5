"""What Heardback says to candidates, and the one path by which it says it.

Everything a candidate hears comes from here: the built-in texts (written for real people:
honest about what happens next, specific about when, kind when the answer is no), the
variables a template may use, the greeting and sign-off, the check a recruiter's template
must pass before it is saved, and the render-and-queue path — including the close-out's
set-based SQL, which renders through `compose_for_rows`.

A recruiter's template (a stage's, a job's close-out, a decline text) is untrusted: it is
rendered in the sandbox of `messaging.rendering`. If it still fails when a message is due,
the candidate gets the built-in text for that message instead, the failure is recorded on
the application's timeline and shown to the org (`runtime.Fault`, source "template"). The
candidate always hears back.

The status link is never minted here: `{{ status_url }}` renders as a placeholder that the
delivery worker fills with a fresh token in the email it sends, so stored messages and
previews hold no live link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import lazy
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from heardback import clock
from heardback.clock import dates
from heardback.hiring import branding
from heardback.hiring.errors import HiringError
from heardback.hiring.models import Application, CoarseStage, DeclineReason, Event, EventKind
from heardback.hiring.names import greeting_of
from heardback.messaging.headers import single_line
from heardback.messaging.kinds import MessageKind
from heardback.messaging.links import redacted, status_link_placeholder
from heardback.messaging.models import Message, MessageStatus
from heardback.messaging.rendering import (
    Rendered,
    TemplateError,
    check_template,
    render_message,
    text_to_html,
)
from heardback.messaging.services import enqueue
from heardback.runtime.isolation import record_failure, resolve

# The variables every candidate template may use (all plain text), with what they hold.
VARIABLES: dict[str, str] = {
    "candidate_name": "the candidate's full name",
    "first_name": "the name the candidate asked to be greeted by",
    "job_title": "the job's title",
    "org_name": "your organisation's name",
    "stage": "the stage the candidate sees (Received, In review, Interview, Offer, Closed)",
    "respond_by": 'the promised date, short ("Tue 9 Dec")',
    "respond_by_long": 'the promised date, long ("Tuesday, 9 December 2026")',
    "status_url": "the candidate's private status-page link",
    "reason": "the reason for a decline, in words",
    "note": "a note from the team (when asking for more time)",
    "survey_url": "the link to the survey (survey invitations only)",
}

# Values for checking a template before it is saved: every variable filled, and every
# optional one empty, so both branches of `{% if … %}` are tried.
SAMPLE_CONTEXT: dict[str, str] = {
    "candidate_name": "Ada María Lovelace-Byron",
    "first_name": "Ada",
    "job_title": "Senior Robot Whisperer (m/f/d)",
    "org_name": "Northwind Robotics",
    "stage": "In review",
    "respond_by": "Tue 9 Dec",
    "respond_by_long": "Tuesday, 9 December 2026",
    "status_url": "https://example.org/s/sample/",
    "reason": "We have decided to move forward with another candidate.",
    "note": "The hiring manager is travelling this week.",
    "survey_url": "https://example.org/s/sample/#survey",
}
OPTIONAL_VARIABLES = ("status_url", "reason", "note", "survey_url", "respond_by", "respond_by_long")

# Markers the close-out's SQL replaces with each candidate's name (see `compose_for_rows`).
FIRST_NAME_MARKER = "⟦first_name⟧"
FULL_NAME_MARKER = "⟦candidate_name⟧"


@dataclass(frozen=True)
class DefaultTemplate:
    subject: Any
    body: Any


@dataclass(frozen=True)
class CustomTemplate:
    """A template someone at the org wrote, with where it lives (to tell them if it fails)."""

    subject: str
    body: str
    ref: str  # "stage:12", "job:4:close-out", "application:9:decline"
    where: str  # 'the "Interview" stage template', for a person to find it


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

# Sent when someone asks the job page to email the status link again. It goes only to the
# address the employer already has, so whoever asked learns nothing from it.
STATUS_LINK = DefaultTemplate(
    subject=_("Your status page for {{ job_title }}"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "You asked us for the link to the status page of your application for "
        "{{ job_title }} at {{ org_name }}. Here it is:\n\n"
        "{{ status_url }}\n\n"
        "The links in our earlier emails keep working too. If you did not ask for this "
        "email, you can ignore it: nothing about your application has changed.\n\n"
    ),
)


# What the engine says on its own: honest, specific, never a false promise.
NO_DECISION_YET = DefaultTemplate(
    subject=_("No decision yet on {{ job_title }}"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "We promised you an answer about {{ job_title }} by now, and we don't have one yet. "
        "That is on us, not on you.\n\n"
        "Your application is still active. You will hear from us again by {{ respond_by }}, "
        "with a decision or with honest news.\n\n"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)

# The notice an interviewed applicant is owed by law (e.g. Ontario's ESA, Part III.1) when
# no decision has been made before the deadline: it says exactly that, and nothing more.
INTERVIEWED_NO_DECISION_YET = DefaultTemplate(
    subject=_("Your interview for {{ job_title }}: no decision yet"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "Thank you for interviewing with {{ org_name }} for {{ job_title }}. We want you to "
        "know where things stand: no hiring decision has been made yet.\n\n"
        "Your application is still active, and we will tell you as soon as a decision is "
        "made.\n\n"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)

MORE_TIME = DefaultTemplate(
    subject=_("We need a little more time: {{ job_title }}"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "The team needs a little more time before deciding about {{ job_title }}. "
        "{% if note %}{{ note }}\n\n{% endif %}"
        "You will hear from us by {{ respond_by }}.\n\n"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)

STILL_REVIEWING = DefaultTemplate(
    subject=_("Still in progress: {{ job_title }}"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "A short note so you are not left wondering: your application for {{ job_title }} "
        "is still active and in progress ({{ stage }}).\n\n"
        "{% if respond_by %}You will hear from us by {{ respond_by }}.\n\n{% endif %}"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)

CLOSE_OUT = DefaultTemplate(
    subject=_("{{ job_title }} has been closed"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "Thank you for applying for {{ job_title }} at {{ org_name }}. We have now closed this "
        "position, so we are not able to move forward with your application.\n\n"
        "We did not want you to keep waiting for an answer. Thank you for the time you gave "
        "us, and we wish you the very best in your search.\n\n"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)

FILLED_OUT = DefaultTemplate(
    subject=_("{{ job_title }} has been filled"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "Thank you for applying for {{ job_title }} at {{ org_name }}. The position has now "
        "been filled, so we are not able to move forward with your application.\n\n"
        "We did not want you to keep waiting for an answer. Thank you for the time you gave "
        "us, and we wish you the very best in your search.\n\n"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)

REOPENED = DefaultTemplate(
    subject=_("Good news: {{ job_title }} is open again"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "We recently told you that {{ job_title }} had been closed. We have reopened it, and "
        "your application is active again, just where it was. We are sorry for the confusion.\n\n"
        "You will hear from us by {{ respond_by }}.\n\n"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)


def decline_body(reason: str) -> str:
    return (
        str(_DECLINE_OPENING)
        + str(DECLINE_REASONS.get(reason, DECLINE_REASONS[DeclineReason.OTHER]))
        + "\n\n"
        + str(_DECLINE_CLOSING)
    )


def stage_default(coarse_stage: str) -> DefaultTemplate:
    return STAGE_UPDATES.get(coarse_stage, STAGE_UPDATES[CoarseStage.RECEIVED])


# Read when rendered, in the candidate's language: built eagerly it took the language of
# whoever declined (an English body with a Spanish sign-off for a Spanish candidate).
_lazy_decline_body = lazy(decline_body, str)


def decline_default(reason: str) -> DefaultTemplate:
    return DefaultTemplate(subject=DECLINE_SUBJECT, body=_lazy_decline_body(reason))


def close_out_default(outcome: str) -> DefaultTemplate:
    return FILLED_OUT if outcome == "filled" else CLOSE_OUT


# --- where the org's own templates live ---------------------------------------------------


def stage_custom(stage: Any) -> CustomTemplate | None:
    if not (stage.subject_template or stage.body_template):
        return None
    default = stage_default(stage.coarse_stage)
    return CustomTemplate(
        subject=stage.subject_template or str(default.subject),
        body=stage.body_template or str(default.body),
        ref=f"stage:{stage.pk}",
        where=f"the message of the “{single_line(stage.name, max_length=60)}” stage",
    )


def close_out_custom(job: Any, outcome: str) -> CustomTemplate | None:
    if not (job.closeout_subject or job.closeout_body):
        return None
    default = close_out_default(outcome)
    return CustomTemplate(
        subject=job.closeout_subject or str(default.subject),
        body=job.closeout_body or str(default.body),
        ref=f"job:{job.pk}:close-out",
        where=f"the close-out message of “{single_line(job.title, max_length=60)}”",
    )


def decline_custom(application: Application, subject: str, body: str) -> CustomTemplate | None:
    if not (subject or body):
        return None
    default = decline_default(application.decline_reason or DeclineReason.OTHER)
    return CustomTemplate(
        subject=subject or str(default.subject),
        body=body or str(default.body),
        ref=f"application:{application.pk}:decline",
        where=f"the decline text for {single_line(application.candidate.name, max_length=60)}",
    )


# --- dates and context --------------------------------------------------------------------


def format_respond_by(moment: datetime | None, *, time_zone: str, language: str) -> tuple[str, str]:
    """("Tue 9 Dec", "Tuesday, 9 December 2026") in the candidate's zone and language, in the
    one date style of that language (`clock.dates`: "mar, 9 dic", "martes, 9 de diciembre …")."""
    if moment is None:
        return "", ""
    return (
        dates.format(moment, "short", language=language, time_zone=time_zone),
        dates.format(moment, "long", language=language, time_zone=time_zone),
    )


def context_for(application: Application, **extra: Any) -> dict[str, Any]:
    """Every documented variable, in the candidate's language (call inside an override)."""
    candidate = application.candidate
    short, long = format_respond_by(
        application.respond_by, time_zone=candidate.time_zone, language=candidate.language
    )
    reason = application.pending_decline_reason or application.decline_reason
    context: dict[str, Any] = {name: "" for name in VARIABLES}
    context.update(
        {
            "candidate_name": candidate.name,
            "first_name": greeting_of(candidate),
            "job_title": application.job.title,
            "org_name": application.org.name,
            "stage": str(CoarseStage(application.stage.coarse_stage).label),
            "respond_by": short,
            "respond_by_long": long,
            "status_url": status_link_placeholder(),
            "reason": str(DECLINE_REASONS[reason]) if reason in DECLINE_REASONS else "",
        }
    )
    context.update({k: v for k, v in extra.items() if k in VARIABLES})
    return context


# --- checking a template before it is saved -------------------------------------------------


def validate(*, subject: str, body: str, close_out: bool = False) -> None:
    """Refuse a template that would fail for any candidate, in any language.

    Checks syntax, tags, filters and variables, then renders it with the sample context,
    and again with every optional variable empty, in every language we send in. Raises
    `HiringError({"subject": [...], "body": [...]})`.
    """
    errors: dict[str, list[str]] = {}
    for field, source in (("subject", subject), ("body", body)):
        problems = check_template(source, variables=VARIABLES)
        if problems:
            errors[field] = problems
    if not errors:
        sparse = {**SAMPLE_CONTEXT, **dict.fromkeys(OPTIONAL_VARIABLES, "")}
        # What each kind of message really has: a decline a reason, more time a note.
        as_sent = [
            {**sparse, "status_url": SAMPLE_CONTEXT["status_url"], **dict.fromkeys(keys, "x")}
            for keys in ((), ("reason",), ("note",), ("survey_url",))
        ]
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                for context in (SAMPLE_CONTEXT, sparse, *as_sent):
                    try:
                        render_message(subject, with_sign_off(body), context)
                    except TemplateError as error:
                        errors.setdefault("body", []).append(str(error))
                        break
            if errors:
                break
    if not errors and close_out and not _names_survive_sql(subject, body):
        errors["body"] = [
            "In a close-out message, use {{ first_name }} and {{ candidate_name }} without "
            "filters: the names are filled in for thousands of candidates at once."
        ]
    if errors:
        raise HiringError(errors)


def _names_survive_sql(subject: str, body: str) -> bool:
    """Does filling names in after rendering (as the close-out's SQL does) give the same
    text as rendering with the names? Not if a filter changes a name."""
    marked = {**SAMPLE_CONTEXT, "first_name": FIRST_NAME_MARKER, "candidate_name": FULL_NAME_MARKER}
    try:
        with_markers = render_message(subject, body, marked)
        direct = render_message(subject, body, SAMPLE_CONTEXT)
    except TemplateError:
        return False

    def filled(text: str) -> str:
        return text.replace(FIRST_NAME_MARKER, SAMPLE_CONTEXT["first_name"]).replace(
            FULL_NAME_MARKER, SAMPLE_CONTEXT["candidate_name"]
        )

    return filled(with_markers.subject) == direct.subject and filled(with_markers.text) == (
        direct.text
    )


# --- composing: the one path every candidate message takes ---------------------------------


@dataclass(frozen=True)
class Composition:
    rendered: Rendered
    failed: CustomTemplate | None = None  # the org's template that failed, if one did
    error: str = ""


def with_sign_off(body: str) -> str:
    """The body and the sign-off, a blank line apart: a text typed without one would run into
    it ("Hola, AnaUn cordial saludo")."""
    if not body.endswith("%}"):
        body = body.rstrip("\n") + "\n\n"
    return body + str(SIGN_OFF)


def _render(template: DefaultTemplate | CustomTemplate, context: Mapping[str, Any]) -> Rendered:
    return render_message(str(template.subject), with_sign_off(str(template.body)), context)


def compose_with(
    context: Mapping[str, Any], *, default: DefaultTemplate, custom: CustomTemplate | None
) -> Composition:
    """Render the org's template, or the built-in one if theirs fails (in the active language)."""
    if custom is not None:
        try:
            return Composition(rendered=_render(custom, context))
        except TemplateError as error:
            return Composition(rendered=_render(default, context), failed=custom, error=str(error))
    return Composition(rendered=_render(default, context))


def compose(
    application: Application,
    *,
    default: DefaultTemplate,
    custom: CustomTemplate | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Composition:
    with translation.override(application.candidate.language):
        return compose_with(
            context_for(application, **(extra or {})), default=default, custom=custom
        )


def preview(
    application: Application,
    *,
    subject: str,
    body: str,
    extra: Mapping[str, Any] | None = None,
) -> Rendered:
    """Exactly what the candidate would get, with their link shown as private.

    Writes nothing and mints nothing. Raises `TemplateError` with a plain message, so a
    preview shows the recruiter their mistake instead of the fallback text.
    """
    # The checks a template must pass to be saved or sent: an unknown variable or a stray
    # brace is the recruiter's mistake to see here, not an empty or raw "{{ }}" in the text.
    problems = [
        *check_template(subject, variables=VARIABLES),
        *check_template(body, variables=VARIABLES),
    ]
    if problems:
        raise TemplateError(problems[0])
    with translation.override(application.candidate.language):
        context = context_for(application, **(extra or {}))
        rendered = render_message(subject, with_sign_off(body), context)
    text = redacted(rendered.text)
    return Rendered(subject=redacted(rendered.subject), text=text, html=text_to_html(text))


@dataclass(frozen=True)
class Preview:
    """What the candidate would read, as staff may see it (the status link shown as private).

    `problem` is set when the org's own template failed: the text is then the built-in one,
    which is what the candidate would really get.
    """

    subject: str
    text: str
    html: str
    problem: str = ""


def _as_preview(rendered: Rendered, problem: str = "") -> Preview:
    text = redacted(rendered.text)
    return Preview(
        subject=redacted(rendered.subject), text=text, html=text_to_html(text), problem=problem
    )


def preview_of(
    application: Application,
    *,
    default: DefaultTemplate,
    custom: CustomTemplate | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Preview:
    """Exactly what `send_to_candidate` would queue for `application` as it is now: the same
    `compose` (the candidate's language for the template, the greeting, the dates and the
    sign-off; the same context; the same fallback when the org's template fails).

    Writes nothing and mints nothing. The caller sets on the (unsaved) application what the
    action would set before sending (the new stage and promise, the decline reason).
    """
    composition = compose(application, default=default, custom=custom, extra=extra)
    return _as_preview(composition.rendered, composition.error)


def fill_names(text: str, *, first_name: str, full_name: str, html: bool = False) -> str:
    """Fill a close-out text's name markers as the close-out's SQL does (`promises.closeout`:
    the greeting name and the full name, HTML-escaped in the HTML part)."""
    if html:
        first_name, full_name = escape(first_name), escape(full_name)
    return text.replace(FIRST_NAME_MARKER, first_name).replace(FULL_NAME_MARKER, full_name)


def close_out_preview_of(application: Application, *, outcome: str) -> Preview:
    """The close-out message `application`'s candidate would get: rendered once for their
    language by `compose_for_rows`, names filled in as the SQL fills them."""
    composition, _default = compose_for_rows(
        job=application.job, outcome=outcome, language=application.candidate.language
    )
    candidate = application.candidate
    first, full = greeting_of(candidate), candidate.name
    rendered = Rendered(
        subject=fill_names(composition.rendered.subject, first_name=first, full_name=full),
        text=fill_names(composition.rendered.text, first_name=first, full_name=full),
        html=fill_names(composition.rendered.html, first_name=first, full_name=full, html=True),
    )
    return _as_preview(rendered, composition.error)


def report_template_failure(
    composition: Composition, *, org_id: int, application: Application | None = None
) -> None:
    """Tell the org (and the timeline) that their template failed and the default was sent."""
    if composition.failed is None:
        return
    record_failure(
        source="template",
        item=composition.failed.ref,
        org_id=org_id,
        error=composition.error,
        label=composition.failed.where,
    )
    if application is not None:
        Event.objects.create(
            org_id=org_id,
            application_id=application.pk,
            job_id=application.job_id,
            actor=None,
            actor_label="Heardback",
            kind=EventKind.TEMPLATE_FAILED,
            data={"template": composition.failed.where, "error": composition.error},
            created_at=clock.now(),
        )


def template_fixed(ref: str) -> None:
    """The org saved a new version of a template: its old failures are resolved."""
    resolve(source="template", item=ref)


def send_to_candidate(
    application: Application,
    *,
    kind: MessageKind | str,
    key: str,
    default: DefaultTemplate,
    custom: CustomTemplate | None = None,
    automated: bool = False,
    final: bool = False,
    extra: Mapping[str, Any] | None = None,
    required: bool = False,
) -> Message | None:
    """Render in the candidate's language and put the message in the outbox.

    Must be called inside the transaction of the change that causes the message. Returns
    None when the candidate opted out of progress updates (never for a final decision, nor
    for a `required` one: a notice the law requires is not a progress update).
    """
    candidate = application.candidate
    if candidate.progress_updates_opt_out and not (final or required):
        return None
    composition = compose(application, default=default, custom=custom, extra=extra)
    if (
        not (final or required)
        and kind not in REPEATED_BY_DESIGN
        and _repeats_the_last_message(application, kind, composition.rendered)
    ):
        return None  # never the same message twice (e.g. moved there and back and there again)
    message, created = enqueue(
        idempotency_key=key,
        to_email=candidate.email,
        to_name=candidate.name,
        rendered=composition.rendered,
        kind=str(kind),
        org_id=application.org_id,
        application_id=application.pk,
        language=candidate.language,
        automated=automated,
        final=final,
        reply_to=branding.reply_to_address(application.org),
        from_email=branding.from_address(application.org),
    )
    if created:
        report_template_failure(composition, org_id=application.org_id, application=application)
    return message


# The max-silence update is sent because time passed with nothing to say: after another
# silent week, saying it again is the contract, not a duplicate. (Suppressing it left the
# candidate silent and its step retrying every round.)
REPEATED_BY_DESIGN = frozenset({MessageKind.STILL_REVIEWING})


def _repeats_the_last_message(
    application: Application, kind: MessageKind | str, rendered: Rendered
) -> bool:
    last = (
        # The timeline index (application_id, created_at) answers this with one row read.
        Message.objects.filter(application_id=application.pk)
        .exclude(status=MessageStatus.CANCELLED)
        .order_by("-created_at", "-id")
        .values_list("kind", "subject", "body_text")
        .first()
    )
    return last == (str(kind), rendered.subject, rendered.text)


# --- the close-out: one rendering per language, names filled in by SQL ----------------------


def compose_for_rows(
    *, job: Any, outcome: str, language: str
) -> tuple[Composition, DefaultTemplate]:
    """The close-out text for every candidate of `job` who reads `language`, with name markers.

    Falls back to the built-in text if the job's template fails or would not survive the
    names being filled in by SQL.
    """
    default = close_out_default(outcome)
    custom = close_out_custom(job, outcome)
    context = {
        **{name: "" for name in VARIABLES},
        "first_name": FIRST_NAME_MARKER,
        "candidate_name": FULL_NAME_MARKER,
        "job_title": job.title,
        "org_name": job.org.name,
        "stage": str(CoarseStage.CLOSED.label),
        "status_url": status_link_placeholder(),
        "reason": str(DECLINE_REASONS[DeclineReason.POSITION_CLOSED]),
    }
    with translation.override(language):
        context["stage"] = str(CoarseStage.CLOSED.label)
        context["reason"] = str(DECLINE_REASONS[DeclineReason.POSITION_CLOSED])
        if custom is not None and not _names_survive_sql(custom.subject, custom.body):
            composition = Composition(
                rendered=_render(default, context),
                failed=custom,
                error="A filter changes {{ first_name }} or {{ candidate_name }}.",
            )
        else:
            composition = compose_with(context, default=default, custom=custom)
    return composition, default
