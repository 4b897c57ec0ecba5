"""Rendering the status page: the same template, most of it rendered once per page *shape*.

Profiling a full render showed about half its time in the template: some 110 nodes and
sixteen translated strings, nearly all of which come out the same for every candidate who
reads the page in the same language and whose application is in the same state. So the page
is rendered in two steps:

1. A *skeleton* per shape (language, the notice shown, the steps and their states, which
   sections appear, the selected language in the contact form): `portal/status.html`
   rendered with a marker in place of every per-candidate text (job title, org, next step,
   date, token, form key, contact details, the message list). It is built from the shape
   alone, never from a candidate's data, so nothing of one candidate can be kept in it and
   shown to another. Kept in process memory (a bounded LRU; there are only a few hundred
   shapes in all).
2. Per request: the markers are replaced by the candidate's values, escaped exactly as the
   template's `{{ value }}` escapes them, and the message list (the only loop over
   per-candidate data) is rendered by its own small template.

Anything unusual takes the ordinary full render of the same template: a form with errors
(after a POST), flash messages waiting in the session, and DEBUG (so edited templates show at
once). tests/portal/test_status_render.py checks that both ways give the same page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from heardback.clock import dates
from heardback.hiring.names import greeting_of
from heardback.portal.forms import ContactForm, SurveyForm
from heardback.portal.selectors import StatusView, Step

TEMPLATE = "portal/status.html"
MESSAGES_TEMPLATE = "portal/_status_messages.html"
# Private-use characters: never produced by the template's own text or Django's escaping, so
# a marker in the rendered skeleton can only be one this module put there.
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKER = re.compile(f"{_OPEN}([a-z_]+){_CLOSE}")
SLOTS = (
    "job_title",
    "org_name",
    "next_step",
    "respond_by_long",
    "token",
    "form_key",
    "contact_email",
    "contact_phone",
    "contact_greeting",
    "greeting",
    "message_list",
    "brand_head",
    "brand_header",
    "brand_contact",
)
# The notices the template knows; any other `?done=` value shows none, as the template does.
NOTICES = frozenset({"withdrawn", "contact", "opted_out", "opted_in", "survey", "erasure"})
SKELETONS = 512


def _mark(slot: str) -> str:
    return f"{_OPEN}{slot}{_CLOSE}"


@dataclass(frozen=True)
class Shape:
    """Everything the skeleton depends on; nothing that identifies a candidate."""

    language: str
    done: str
    steps: tuple[tuple[str, str, str], ...]  # code, label, state
    is_active: bool
    promise: bool  # the "you'll hear from us by" paragraph
    unreachable: bool
    survey_open: bool
    survey_answered: bool
    has_messages: bool
    opted_out: bool
    contact_language: str
    show_details: bool


@dataclass(frozen=True)
class _SkeletonView:
    """What the template reads of `view`, with markers for the per-candidate texts."""

    job_title: str
    org_name: str
    next_step: str
    respond_by_long: str
    steps: list[Step]
    is_active: bool
    unreachable: bool
    survey_open: bool
    survey_answered: bool
    messages: bool
    opted_out: bool
    show_details: bool


@dataclass(frozen=True)
class _SkeletonBrand:
    head: str
    header: str
    contact: str


@lru_cache(maxsize=SKELETONS)
def skeleton(shape: Shape) -> tuple[tuple[str, str], ...]:
    """The page of this shape as (fixed text, slot after it) pairs; the last slot is ""."""
    view = _SkeletonView(
        job_title=_mark("job_title"),
        org_name=_mark("org_name"),
        next_step=_mark("next_step"),
        respond_by_long=_mark("respond_by_long") if shape.promise else "",
        steps=[Step(code=code, label=label, state=state) for code, label, state in shape.steps],
        is_active=shape.is_active,
        unreachable=shape.unreachable,
        survey_open=shape.survey_open,
        survey_answered=shape.survey_answered,
        messages=shape.has_messages,
        opted_out=shape.opted_out,
        show_details=shape.show_details,
    )
    with translation.override(shape.language):
        html = get_template(TEMPLATE).render(
            {
                "view": view,
                # The org's face is per request too: one skeleton serves every employer.
                "brand": _SkeletonBrand(
                    head=_mark("brand_head"),
                    header=_mark("brand_header"),
                    contact=_mark("brand_contact"),
                ),
                "done": shape.done,
                "token": _mark("token"),
                "form_key": _mark("form_key"),
                # Unbound forms: their labels and widgets are the same for everyone.
                "contact_form": ContactForm(),
                "survey_form": SurveyForm() if shape.survey_open else None,
                "contact_email": _mark("contact_email"),
                "contact_phone": _mark("contact_phone"),
                "contact_greeting": _mark("contact_greeting"),
                "greeting": _mark("greeting"),
                "contact_language": shape.contact_language,
                "message_list": _mark("message_list"),
                "LANGUAGE_CODE": shape.language,
                "languages": settings.LANGUAGES,
            }
        )
    pieces = _MARKER.split(html)
    slots = pieces[1::2]
    unknown = set(slots) - set(SLOTS)
    assert not unknown, f"unknown slots in {TEMPLATE}: {unknown}"
    return tuple(zip(pieces[0::2], [*slots, ""], strict=True))


def when(moment: datetime, time_zone: str, language: str) -> str:
    """A message's date and time in the candidate's zone, in the one style of `language`
    (`clock.dates`, which remembers what it formatted)."""
    return dates.format(moment, "datetime", language=language, time_zone=time_zone)


def _shape(context: dict[str, Any], language: str, contact_language: str) -> Shape:
    view: StatusView = context["view"]
    done = context.get("done", "")
    return Shape(
        language=language,
        done=done if done in NOTICES else "",
        steps=tuple((step.code, step.label, step.state) for step in view.steps),
        is_active=view.is_active,
        promise=bool(view.is_active and view.respond_by_long),
        unreachable=view.unreachable,
        survey_open=bool(view.survey_open and context.get("survey_form") is not None),
        survey_answered=view.survey_answered,
        has_messages=bool(view.messages),
        opted_out=view.opted_out,
        contact_language=contact_language,
        show_details=view.show_details,
    )


def _contact_values(context: dict[str, Any]) -> tuple[str, str, str, str]:
    """Email, phone, language and greeting name as the contact form shows them
    (`value|default:''`)."""
    form = context.get("contact_form")
    if form is not None:
        return (
            form["email"].value() or "",
            form["phone"].value() or "",
            form["language"].value(),
            form["greeting_name"].value() or "",
        )
    candidate = context["view"].application.candidate
    return (
        candidate.email or "",
        candidate.phone or "",
        candidate.language,
        greeting_of(candidate),
    )


def render_status(
    request: HttpRequest, context: dict[str, Any], *, language: str, status: int = 200
) -> HttpResponse:
    """The status page for `context` (from the view's `_status_context`), in `language`."""
    view: StatusView = context["view"]
    email, phone, contact_language, contact_greeting = _contact_values(context)
    greeting = greeting_of(view.application.candidate)
    survey_form = context.get("survey_form")
    with translation.override(language):
        time_zone = view.application.candidate.time_zone
        message_list = SafeString(
            render_to_string(
                MESSAGES_TEMPLATE,
                {
                    "messages": [
                        (m, when(m.sent_at or m.created_at, time_zone, language))
                        for m in view.messages
                    ]
                },
            )
            if view.messages
            else ""
        )
        # Reading the flash messages touches the session exactly as base.html's
        # `{% if messages %}` does, so the response's Vary header stays the same.
        fast = (
            not settings.DEBUG
            and context.get("contact_form") is None
            and (survey_form is None or not survey_form.is_bound)
            and not get_messages(request)
        )
        if not fast:
            page_context = {
                **context,
                "contact_form": context.get("contact_form")
                or ContactForm(
                    initial={
                        "email": email,
                        "phone": phone,
                        "language": contact_language,
                        "greeting_name": contact_greeting,
                    }
                ),
                "contact_email": email,
                "contact_phone": phone,
                "contact_greeting": contact_greeting,
                "greeting": greeting,
                "contact_language": contact_language,
                "message_list": message_list,
                "LANGUAGE_CODE": language,
                "languages": settings.LANGUAGES,
            }
            response = render(request, TEMPLATE, page_context, status=status)
            response["Content-Language"] = language
            return response
    values = {
        "job_title": view.job_title,
        "org_name": view.org_name,
        "next_step": view.next_step,
        "respond_by_long": view.respond_by_long,
        "token": context["token"],
        "form_key": context["form_key"],
        "contact_email": email,
        "contact_phone": phone,
        "contact_greeting": contact_greeting,
        "greeting": greeting,
        "message_list": message_list,
        "brand_head": context["brand"].head,
        "brand_header": context["brand"].header,
        "brand_contact": context["brand"].contact,
        "": "",
    }
    page = "".join(
        [
            text + conditional_escape(values[slot])
            for text, slot in skeleton(_shape(context, language, contact_language))
        ]
    )
    return HttpResponse(page, status=status, headers={"Content-Language": language})
