"""Public pages: the job board, the apply form, the status page and the report card.

Views stay thin: parse the request, call a service or selector, render. Status pages send
`Referrer-Policy: no-referrer`, `Cache-Control: no-store` and `X-Robots-Tag: noindex`, and
every way a token can fail ends in the same 404 page.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from icalendar import Calendar, Event

from heardback import clock
from heardback.clock import dates
from heardback.hiring.errors import NotActive
from heardback.hiring.models import Application, JobStatus, Org
from heardback.portal import branding, ratelimit, selectors, services, tokens
from heardback.portal.forms import ApplyForm, ContactForm, StatusLinkForm, SurveyForm
from heardback.portal.status_render import render_status
from heardback.portal.uploads import MAX_BYTES, CappedUploadHandler
from heardback.postings import selectors as postings

security_log = logging.getLogger("django.security.csrf")
LANGUAGES = {code for code, _name in settings.LANGUAGES}
# Anything bigger than this is refused before the body is read. Up to it, a CV over the
# 5 MB limit is read past (uploads.CappedUploadHandler) and the rest of the form kept.
MAX_APPLY_BODY = 4 * MAX_BYTES + 256 * 1024


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
        if "brand" not in context and isinstance(context.get("org"), Org):
            query = f"?lang={language}" if language != settings.LANGUAGE_CODE else ""
            context = {**context, "brand": branding.brand_of(context["org"], query=query)}
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
            "jobs": selectors.listed_jobs(org=org),
            "report_card": selectors.is_public(org=org),
        },
        language=language,
    )


@csrf_exempt  # checked by _job_detail, once the upload handler below is in place
@require_http_methods(["GET", "POST", "HEAD"])
def job_detail(request: HttpRequest, org_slug: str, job_slug: str) -> HttpResponse:
    # Before anything reads the body (the CSRF check does): a CV over the limit is read
    # past, not stored, so the fields sent after it still arrive.
    request.upload_handlers.insert(0, CappedUploadHandler(request))
    return _job_detail(request, org_slug, job_slug)


def _kept(request: HttpRequest) -> dict[str, Any]:
    """What the candidate typed, for an unbound form shown again (never the file)."""
    return {
        **{
            name: request.POST.get(name, "")
            for name in ("name", "greeting_name", "email", "phone", "time_zone")
        },
        "language": request.POST.get("language") or _language(request),
        "consent": bool(request.POST.get("consent")),
    }


@csrf_protect
def _job_detail(request: HttpRequest, org_slug: str, job_slug: str) -> HttpResponse:
    org = _org(org_slug)
    job = selectors.open_job(org=org, slug=job_slug)
    if job is None:
        return _job_gone(request, org, job_slug)
    language = _language(request)
    context: dict[str, Any] = {"org": org, "job": job, "link_form": StatusLinkForm(prefix="link")}
    version = postings.live_version(job)
    if version is not None:
        with translation.override(language):
            context["statements"] = postings.statements(version)
    if request.method != "POST":
        form = ApplyForm(org_id=org.pk, initial={"language": language})
        return _render(
            request, "portal/job_detail.html", {**context, "form": form}, language=language
        )
    try:
        too_big = int(request.META.get("CONTENT_LENGTH") or 0) > MAX_APPLY_BODY
    except ValueError:
        too_big = True
    allowed, retry_after = ratelimit.allow(request, scope="apply")
    if not allowed:
        # Many candidates can share one address: the refusal keeps what they typed (unless
        # the body is too big to read at all).
        kept = {"language": language} if too_big else _kept(request)
        with translation.override(language):
            message = _(
                "Please slow down: we received many applications from your connection in "
                "a short time. Nothing has been saved yet, and what you typed is still "
                "here (please choose your CV file again). Please send it again in a few "
                "minutes."
            )
        response = _render(
            request,
            "portal/job_detail.html",
            {**context, "form": ApplyForm(org_id=org.pk, initial=kept), "form_error": message},
            language=language,
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return _private(response)
    if too_big:
        with translation.override(language):
            message = _(
                "This upload is larger than 5 MB. Please send a smaller file; nothing was saved."
            )
        return _render(
            request,
            "portal/job_detail.html",
            {
                **context,
                "form": ApplyForm(org_id=org.pk, initial={"language": language}),
                "form_error": message,
            },
            language=language,
            status=413,
        )
    with translation.override(language):
        form = ApplyForm(request.POST, request.FILES, org_id=org.pk)
        valid = form.is_valid()
    if valid and form.cleaned_data["website"]:
        # A bot filled the honeypot: look successful, store nothing.
        return _applied(request, context, form.cleaned_data)
    if valid:
        data = form.cleaned_data
        try:
            with translation.override(data["language"]):
                services.submit_application(
                    job=job,
                    name=data["name"],
                    greeting_name=data["greeting_name"],
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
            # The same page whether this was a new application or the same person (or
            # someone else) typing a known address again: it must not tell who applied.
            return _applied(request, context, data)
    cv_too_large = any(e.code == "too_large" for e in form.errors.as_data().get("cv", []))
    return _render(
        request,
        "portal/job_detail.html",
        {**context, "form": form},
        language=language,
        status=413 if cv_too_large else 400,
    )


def _job_gone(request: HttpRequest, org: Org, job_slug: str) -> HttpResponse:
    """A job that is not open: say it is closed (if it ever existed) and show the others."""
    job = selectors.job_by_slug(org=org, slug=job_slug)
    context: dict[str, Any] = {"org": org, "jobs": selectors.open_jobs(org=org)[:50]}
    if job is None:
        return _render(
            request, "portal/not_found.html", context, language=_language(request), status=404
        )
    return _render(
        request,
        "portal/job_closed.html",
        {**context, "job": job, "on_hold": job.status == JobStatus.ON_HOLD},
        language=_language(request),
        status=404,
    )


def _applied(request: HttpRequest, context: dict[str, Any], data: dict[str, Any]) -> HttpResponse:
    """The one thank-you page: for a new application, a repeated one and the honeypot."""
    link_form = StatusLinkForm(prefix="link", initial={"email": data["email"]})
    return _render(
        request,
        "portal/applied.html",
        {**context, "link_form": link_form},
        language=data["language"],
    )


@require_POST
@rate_limited("status-link", methods=("POST",))
def status_link(request: HttpRequest, org_slug: str, job_slug: str) -> HttpResponse:
    """The "email me my status link again" form: one answer whether or not the address applied.

    Limited per client (the 429 page) and per email address whoever asks: over that one,
    nothing is sent but the page still says the same, so the limit tells nothing either.
    """
    org = _org(org_slug)
    job = selectors.open_job(org=org, slug=job_slug)
    if job is None:
        raise Http404
    language = _language(request)
    with translation.override(language):
        form = StatusLinkForm(request.POST, prefix="link")
        valid = form.is_valid()
    context: dict[str, Any] = {"org": org, "job": job, "link_form": form}
    if not valid:
        return _render(request, "portal/status_link.html", context, language=language, status=400)
    email = form.cleaned_data["email"]
    if ratelimit.allow_email(email, scope="status-link-email")[0]:
        services.send_status_link(job=job, email=email)
    return _render(
        request,
        "portal/status_link.html",
        {**context, "asked_for": email, "link_form": StatusLinkForm(prefix="link")},
        language=language,
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
    return {
        "view": view,
        "brand": branding.brand_of(application.org),
        "token": token,
        "form_key": form_key(token),
        # None: the contact form as the candidate's details fill it (built only if the page
        # is rendered in full; see status_render). After a failed POST, the bound form.
        "contact_form": None,
        "survey_form": SurveyForm() if view.survey_open else None,
    }


# --- the page micro-cache ---
# The status page is the most requested page there is, and it changes rarely. A rendered page
# is kept for a few seconds (PORTAL_STATUS_CACHE_SECONDS, default 5; 0 switches it off), per
# token, in this process's memory (the "local" cache: reading the shared one would cost the
# query the micro-cache exists to save). Anything the candidate does here bumps the
# application's version, so their own changes show at once from this process and within
# those few seconds from any other; a recruiter's change shows within those few seconds.


def _page_cache_seconds() -> int:
    return settings.PORTAL_STATUS_CACHE_SECONDS


def _page_cache() -> BaseCache:
    return caches["local"]


def _version_key(application_id: int) -> str:
    return f"portal-status-version:{application_id}"


def _page_changed(application_id: int) -> None:
    _page_cache().set(_version_key(application_id), time.time_ns(), 3600)


def _page_cache_key(request: HttpRequest, usable: tokens.Usable) -> str | None:
    if request.method != "GET" or request.GET or not _page_cache_seconds():
        return None
    version = _page_cache().get(_version_key(usable.application_id), 0)
    return f"portal-status-page:{usable.digest}:{version}"


def _cached_page(request: HttpRequest, token: str) -> HttpResponse | None:
    """This process's copy of the page, if it rendered one a moment ago; never a query."""
    usable = tokens.remembered(token)
    cache_key = _page_cache_key(request, usable) if usable is not None else None
    if cache_key is None or (hit := _page_cache().get(cache_key)) is None:
        return None
    content, language = hit
    return _private(HttpResponse(content, headers={"Content-Language": language}))


@csrf_exempt  # see form_key(): protected by the token and a keyed hash of it
@require_http_methods(["GET", "POST", "HEAD"])
def status_page(request: HttpRequest, token: str) -> HttpResponse:
    # A page served from the micro-cache costs nothing and is not counted: the limit guards
    # the work behind it (token lookups, renders), and counting in the shared store would
    # cost the query the micro-cache saves.
    if (hit := _cached_page(request, token)) is not None:
        return hit
    response: HttpResponse = _status_page(request, token)
    return response


@rate_limited("status")
def _status_page(request: HttpRequest, token: str) -> HttpResponse:
    found = tokens.resolve(token)
    if found is None:
        return _not_found(request)
    usable, application = found
    cache_key = _page_cache_key(request, usable)
    language = application.candidate.language
    if request.method != "POST":
        with translation.override(language):
            context = _status_context(application, token)
        context["done"] = request.GET.get("done", "")
        response = render_status(request, context, language=language)
        if cache_key is not None:
            _page_cache().set(cache_key, (response.content, language), _page_cache_seconds())
        return _private(response)
    _page_changed(application.pk)
    if not constant_time_compare(request.POST.get("form_key", ""), form_key(token)):
        security_log.warning("Forbidden (status form key missing or wrong): %s", request.path)
        return _private(
            _render(
                request,
                "portal/form_expired.html",
                {"token": token, "org": application.org},
                language=language,
                status=403,
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
                "brand": branding.brand_of(application.org),
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
                greeting_name=form.cleaned_data["greeting_name"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            application.candidate = candidate
            return _done(token, "contact")
    context = _status_context(application, token)
    context["contact_form"] = form
    return render_status(request, context, language=language, status=400)


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
    return render_status(request, context, language=language, status=400)


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
    language = _language(request)
    return _render(
        request,
        "portal/report_card.html",
        {
            "card": card,
            "org": card.org,
            "min_finished": selectors.MIN_FINISHED,
            "limits": card.thresholds,
            # The period every figure covers, in the page's one date style.
            "period_start": dates.format(
                card.first_received or card.since, "date", language=language
            ),
            "period_end": dates.format(card.now, "date", language=language),
            "window_start": dates.format(card.since, "date", language=language),
            "hear_back": _percent(card.hear_back_rate),
            "promises": _percent(card.promises_met_rate),
            "median_days": None
            if card.median_decision_days is None
            else round(card.median_decision_days, 1),
        },
        language=language,
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


# --- the employer's face ------------------------------------------------------------------

YEAR = 365 * 24 * 3600


@require_GET
def brand_style(request: HttpRequest, org_slug: str, version: str) -> HttpResponse:
    """The org's colours as CSS variables (the CSP allows no inline style on the pages)."""
    org = _org(org_slug)
    if not branding.has_style(org) or version != branding.style_version(org):
        raise Http404
    response = HttpResponse(branding.stylesheet(org), content_type="text/css; charset=utf-8")
    # The version is in the address: a new colour is a new address.
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response


@require_GET
def brand_logo(request: HttpRequest, org_slug: str, name: str) -> HttpResponse:
    """The org's logo: re-encoded pixels only, served as what they are and nothing else."""
    org = _org(org_slug)
    logo = branding.logo_of(org=org, name=name)
    if logo is None:
        raise Http404
    response = HttpResponse(bytes(logo.content), content_type=logo.content_type)
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, it can run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# --- error pages (handler404 / handler500 in heardback/urls.py) ------------------------------

# Public pages whose address names an employer: their error pages wear its face.
_ORG_IN_PATH = re.compile(r"^/(?:jobs|employers|brand)/(?P<slug>[-a-zA-Z0-9_]+)/")


def _org_in_path(request: HttpRequest) -> Org | None:
    found = _ORG_IN_PATH.match(request.path)
    return Org.objects.filter(slug=found["slug"]).first() if found else None


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Every 404 of the site: the employer's if the address names one, with its open jobs."""
    org = _org_in_path(request)
    context: dict[str, Any] = {"org": org, "jobs": selectors.open_jobs(org=org)[:50] if org else []}
    return _render(
        request, "portal/not_found.html", context, language=_language(request), status=404
    )


SERVER_ERROR_FALLBACK = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Something went wrong</title>"
    "<h1>Something went wrong on our side</h1><p>Please try again in a few minutes.</p></html>"
)


def server_error(request: HttpRequest) -> HttpResponse:
    """Every 500: branded when the employer can still be read, plain when nothing can.

    Rendered without the request (no context processors, no session), as Django's own
    handler does: whatever broke the page may break those too.
    """
    language = _language(request)
    try:
        org = _org_in_path(request)
    except Exception:  # the database may be what failed
        org = None
    try:
        with translation.override(language):
            query = f"?lang={language}" if language != settings.LANGUAGE_CODE else ""
            html: str = render_to_string(
                "portal/server_error.html",
                {
                    "org": org,
                    "brand": branding.brand_of(org, query=query) if org else None,
                    "LANGUAGE_CODE": language,
                },
            )
    except Exception:
        logging.getLogger(__name__).exception("The error page itself failed")
        html = SERVER_ERROR_FALLBACK
    return HttpResponseServerError(html)
