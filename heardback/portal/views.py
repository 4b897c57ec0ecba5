"""Public pages: the job board, the apply form, the status page and the report card.

Views stay thin: parse the request, call a service or selector, render. Status pages send
`Referrer-Policy: no-referrer`, `Cache-Control: no-store` and `X-Robots-Tag: noindex`, and
every way a token can fail ends in the same 404 page.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods
from icalendar import Calendar, Event

from heardback import clock
from heardback.hiring.errors import NotActive
from heardback.hiring.models import Application, Org
from heardback.portal import ratelimit, selectors, services, tokens
from heardback.portal.forms import ApplyForm, ContactForm, SurveyForm
from heardback.portal.uploads import MAX_BYTES

security_log = logging.getLogger("django.security.csrf")
LANGUAGES = {code for code, _name in settings.LANGUAGES}
# Anything bigger than this is refused before the body is read.
MAX_APPLY_BODY = MAX_BYTES + 256 * 1024


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The path holds a token: Django's request logger must not write it down.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")
    if wanted in LANGUAGES:
        return wanted
    return translation.get_language() or settings.LANGUAGE_CODE


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    language: str,
    status: int = 200,
) -> HttpResponse:
    with translation.override(language):
        response = render(
            request,
            template,
            {**context, "LANGUAGE_CODE": language, "languages": settings.LANGUAGES},
            status=status,
        )
    response["Content-Language"] = language
    return response


def rate_limited(scope: str, *, methods: tuple[str, ...] = ("GET", "POST", "HEAD")) -> Callable:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                allowed, retry_after = ratelimit.allow(request, scope=scope)
                if not allowed:
                    response = _render(
                        request,
                        "portal/rate_limited.html",
                        {"retry_minutes": max(1, round(retry_after / 60))},
                        language=_language(request),
                        status=429,
                    )
                    response["Retry-After"] = str(retry_after)
                    return _private(response)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# --- job board ----------------------------------------------------------------------------


def _org(slug: str) -> Org:
    return get_object_or_404(Org, slug=slug)


@require_GET
def job_board(request: HttpRequest, org_slug: str) -> HttpResponse:
    org = _org(org_slug)
    language = _language(request)
    return _render(
        request,
        "portal/job_board.html",
        {
            "org": org,
            "jobs": selectors.open_jobs(org=org),
            "report_card": selectors.is_public(org=org),
        },
        language=language,
    )


@require_http_methods(["GET", "POST", "HEAD"])
@rate_limited("apply", methods=("POST",))
def job_detail(request: HttpRequest, org_slug: str, job_slug: str) -> HttpResponse:
    org = _org(org_slug)
    job = selectors.open_job(org=org, slug=job_slug)
    if job is None:
        raise Http404
    language = _language(request)
    context: dict[str, Any] = {"org": org, "job": job}
    if request.method != "POST":
        form = ApplyForm(initial={"language": language})
        return _render(
            request, "portal/job_detail.html", {**context, "form": form}, language=language
        )
    try:
        too_big = int(request.META.get("CONTENT_LENGTH") or 0) > MAX_APPLY_BODY
    except ValueError:
        too_big = True
    if too_big:
        with translation.override(language):
            message = _(
                "This upload is larger than 5 MB. Please send a smaller file; nothing was saved."
            )
        return _render(
            request,
            "portal/job_detail.html",
            {**context, "form": ApplyForm(initial={"language": language}), "form_error": message},
            language=language,
            status=413,
        )
    with translation.override(language):
        form = ApplyForm(request.POST, request.FILES)
        valid = form.is_valid()
    if valid and form.cleaned_data["website"]:
        # A bot filled the honeypot: look successful, store nothing.
        return _render(
            request,
            "portal/applied.html",
            {**context, "created": True},
            language=form.cleaned_data["language"],
        )
    if valid:
        data = form.cleaned_data
        try:
            with translation.override(data["language"]):
                submitted = services.submit_application(
                    job=job,
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    language=data["language"],
                    time_zone=data["time_zone"],
                    cv=data.get("cv") or None,
                )
        except ValidationError as error:
            with translation.override(language):
                _add_errors(form, error)
        else:
            return _render(
                request,
                "portal/applied.html",
                {**context, "created": submitted.created, "email": data["email"]},
                language=data["language"],
            )
    return _render(
        request, "portal/job_detail.html", {**context, "form": form}, language=language, status=400
    )


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- status page --------------------------------------------------------------------------


def _not_found(request: HttpRequest) -> HttpResponse:
    """The one answer for every token that does not work, whatever the reason."""
    return _private(
        _render(
            request, "portal/status_not_found.html", {}, language=_language(request), status=404
        )
    )


def form_key(token: str) -> str:
    """The anti-forgery key for the status page's forms.

    Django's CSRF check can't be used here: under `Referrer-Policy: no-referrer` browsers
    send `Origin: null` with every form POST, which Django refuses. The status token in the
    URL is already a secret no other site knows; this keyed hash of it, required in every
    POST, makes that protection explicit and checkable.
    """
    return salted_hmac("heardback.portal.status-form", token, algorithm="sha256").hexdigest()


def _status_context(application: Application, token: str) -> dict[str, Any]:
    view = selectors.status_view(application=application)
    candidate = application.candidate
    return {
        "view": view,
        "token": token,
        "form_key": form_key(token),
        "contact_form": ContactForm(
            initial={
                "email": candidate.email,
                "phone": candidate.phone,
                "language": candidate.language,
            }
        ),
        "survey_form": SurveyForm() if view.survey_open else None,
    }


# --- the page micro-cache ---
# The status page is the most requested page there is, and it changes rarely. A rendered page
# is kept for a few seconds (PORTAL_STATUS_CACHE_SECONDS, default 5; 0 switches it off), per
# token. Anything the candidate does here bumps the application's version, so their own
# changes show at once; a recruiter's change shows within those few seconds.


def _page_cache_seconds() -> int:
    return tokens.cache_seconds()


def _version_key(application_id: int) -> str:
    return f"portal-status-version:{application_id}"


def _page_changed(application_id: int) -> None:
    cache.set(_version_key(application_id), time.time_ns(), 3600)


def _page_cache_key(request: HttpRequest, usable: tokens.Usable) -> str | None:
    if request.method != "GET" or request.GET or not _page_cache_seconds():
        return None
    version = cache.get(_version_key(usable.application_id), 0)
    return f"portal-status-page:{usable.digest}:{version}"


@csrf_exempt  # see form_key(): protected by the token and a keyed hash of it
@require_http_methods(["GET", "POST", "HEAD"])
@rate_limited("status")
def status_page(request: HttpRequest, token: str) -> HttpResponse:
    usable = tokens.check(token)
    if usable is None:
        return _not_found(request)
    cache_key = _page_cache_key(request, usable)
    if cache_key is not None and (hit := cache.get(cache_key)) is not None:
        content, language = hit
        return _private(HttpResponse(content, headers={"Content-Language": language}))
    application = tokens.load(usable)
    if application is None:
        return _not_found(request)
    language = application.candidate.language
    if request.method != "POST":
        with translation.override(language):
            context = _status_context(application, token)
        context["done"] = request.GET.get("done", "")
        response = _render(request, "portal/status.html", context, language=language)
        if cache_key is not None:
            cache.set(cache_key, (response.content, language), _page_cache_seconds())
        return _private(response)
    _page_changed(application.pk)
    if not constant_time_compare(request.POST.get("form_key", ""), form_key(token)):
        security_log.warning("Forbidden (status form key missing or wrong): %s", request.path)
        return _private(
            _render(
                request, "portal/form_expired.html", {"token": token}, language=language, status=403
            )
        )
    action = request.POST.get("action", "")
    handler = ACTIONS.get(action)
    if handler is None:
        return _private(redirect(f"/s/{token}/"))
    with translation.override(language):
        return _private(handler(request, application, token, language))


def _done(token: str, notice: str) -> HttpResponse:
    return redirect(f"/s/{token}/?done={notice}#top")


def _withdraw(
    request: HttpRequest, application: Application, token: str, language: str
) -> HttpResponse:
    if request.POST.get("confirm") != "yes":
        return _render(
            request,
            "portal/withdraw_confirm.html",
            {
                "view": selectors.status_view(application=application),
                "token": token,
                "form_key": form_key(token),
            },
            language=language,
        )
    # Already ended (maybe a double click): the page shows how it ended.
    with contextlib.suppress(NotActive):
        services.withdraw(application=application)
    return _done(token, "withdrawn")


def _contact(
    request: HttpRequest, application: Application, token: str, language: str
) -> HttpResponse:
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            candidate = services.update_contact(
                application=application,
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            application.candidate = candidate
            return _done(token, "contact")
    context = _status_context(application, token)
    context["contact_form"] = form
    return _render(request, "portal/status.html", context, language=language, status=400)


def _updates(
    request: HttpRequest, application: Application, token: str, language: str
) -> HttpResponse:
    opt_out = request.POST.get("opt_out") == "yes"
    services.set_progress_updates(application=application, opt_out=opt_out)
    return _done(token, "opted_out" if opt_out else "opted_in")


def _survey(
    request: HttpRequest, application: Application, token: str, language: str
) -> HttpResponse:
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            services.answer_survey(application=application, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _done(token, "survey")
    context = _status_context(application, token)
    context["survey_form"] = form
    return _render(request, "portal/status.html", context, language=language, status=400)


ACTIONS: dict[str, Callable[[HttpRequest, Application, str, str], HttpResponse]] = {
    "withdraw": _withdraw,
    "contact": _contact,
    "updates": _updates,
    "survey": _survey,
}


@require_GET
@rate_limited("status")
def status_json(request: HttpRequest, token: str) -> HttpResponse:
    application = tokens.lookup(token)
    if application is None:
        return _private(JsonResponse({"error": "not found"}, status=404))
    view = selectors.status_view(application=application)
    with translation.override(application.candidate.language):
        payload = {
            "employer": view.org_name,
            "job": view.job_title,
            "status": view.status,
            "stage": view.stage,
            "stage_label": view.stage_label,
            "stages": [{"code": s.code, "label": s.label, "state": s.state} for s in view.steps],
            "next_step": view.next_step,
            "respond_by": view.respond_by.isoformat() if view.respond_by else None,
            "respond_by_text": view.respond_by_long or None,
            "time_zone": application.candidate.time_zone,
            "language": application.candidate.language,
            "messages": [
                {
                    "subject": m.subject,
                    "kind": m.kind,
                    "sent_at": (m.sent_at or m.created_at).isoformat(),
                    "status": m.status,
                }
                for m in view.messages
            ],
            "updated_at": clock.now().isoformat(),
        }
    return _private(JsonResponse(payload, json_dumps_params={"ensure_ascii": False}))


@require_GET
@rate_limited("status")
def status_ics(request: HttpRequest, token: str) -> HttpResponse:
    application = tokens.lookup(token)
    if application is None:
        return _not_found(request)
    view = selectors.status_view(application=application)
    calendar = Calendar()
    calendar.add("prodid", "-//Heardback//status//EN")
    calendar.add("version", "2.0")
    with translation.override(application.candidate.language):
        calendar.add("x-wr-calname", _("Your application: %(job)s") % {"job": view.job_title})
        if view.respond_by is not None:
            event = Event()
            event.add("uid", f"heardback-{application.org_id}-{application.pk}-respond-by")
            event.add("dtstamp", clock.now())
            event.add(
                "summary",
                _("News from %(org)s about your application is due") % {"org": view.org_name},
            )
            event.add(
                "description",
                _(
                    "%(org)s promised to tell you by this date how your "
                    "application for %(job)s is going."
                )
                % {"org": view.org_name, "job": view.job_title},
            )
            start: datetime = view.respond_by - timedelta(minutes=30)
            event.add("dtstart", start)
            event.add("dtend", view.respond_by)
            calendar.add_component(event)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="application.ics"'
    return _private(response)


# --- report card --------------------------------------------------------------------------


def _public_card(org_slug: str) -> selectors.ReportCard:
    org = _org(org_slug)
    if not selectors.is_public(org=org):
        raise Http404
    return selectors.report_card(org=org, now=clock.now())


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


@require_GET
def report_card(request: HttpRequest, org_slug: str) -> HttpResponse:
    card = _public_card(org_slug)
    return _render(
        request,
        "portal/report_card.html",
        {
            "card": card,
            "org": card.org,
            "min_finished": selectors.MIN_FINISHED,
            "hear_back": _percent(card.hear_back_rate),
            "promises": _percent(card.promises_met_rate),
            "median_days": None
            if card.median_decision_days is None
            else round(card.median_decision_days, 1),
        },
        language=_language(request),
    )


@require_GET
def badge(request: HttpRequest, org_slug: str) -> HttpResponse:
    card = _public_card(org_slug)
    language = _language(request)
    with translation.override(language):
        label = _("hears back")
        value = _percent(card.hear_back_rate) if card.enough_data else _("not enough data")
        response = render(
            request,
            "portal/badge.svg",
            {
                "label": label,
                "value": value,
                "card": card,
                "label_width": 8 + 7 * len(label),
                "value_width": 10 + 7 * len(value),
            },
            content_type="image/svg+xml; charset=utf-8",
        )
    response["Cache-Control"] = "public, max-age=3600"
    # Other sites embed the badge: allow that for this one response.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
