"""Views for the job-seeker companion: thin, every query scoped to request.user."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from heardback.clock.business import zone

from . import ics, selectors, services, status_feed, thankyou
from .forms import (
    ApplicationForm,
    ImportForm,
    InterviewForm,
    LoginForm,
    NoteTextForm,
    PasteForm,
    ProfileForm,
    SignUpForm,
    StatusForm,
)
from .models import SeekerProfile, Status
from .phrases import PromiseNotUnderstood

View = Callable[..., HttpResponse]


def seeker_required(view: View) -> View:
    """Signed in *as a job seeker*; employer logins have no seeker profile and are sent on."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        profile = selectors.profile_for(request.user)
        if profile is None:
            return redirect(f"{reverse('seeker:login')}?next={quote(request.get_full_path())}")
        request.seeker = profile  # type: ignore[attr-defined]
        # Dates and times on these pages are the seeker's own.
        with timezone.override(zone(profile.time_zone)):
            return view(request, *args, **kwargs)

    return wrapper


def _profile(request: HttpRequest) -> SeekerProfile:
    return request.seeker  # type: ignore[attr-defined,no-any-return]


# --- Accounts -----------------------------------------------------------------------------


def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_up(**form.cleaned_data)
        except services.SeekerError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome. Let's make sure you hear back.")
            return redirect("seeker:profile")
    return render(request, "seeker/signup.html", {"form": form})


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=services.seeker_username(form.cleaned_data["email"]),
            password=form.cleaned_data["password"],
        )
        if user is None or selectors.profile_for(user) is None:
            form.add_error(None, "That email and password don't match a job-seeker account.")
        else:
            login(request, user)
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                next_url = ""
            return redirect(next_url or "seeker:today")
    return render(request, "seeker/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "Signed out. Good luck out there.")
    return redirect("seeker:login")


@seeker_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=_profile(request))
    if request.method == "POST" and form.is_valid():
        services.update_profile(owner=request.user, **form.cleaned_data)
        messages.success(request, "Saved. Your drafts will use this.")
        return redirect("seeker:profile")
    return render(request, "seeker/profile.html", {"form": form})


# --- Today, lists, board ------------------------------------------------------------------


@seeker_required
def today(request: HttpRequest) -> HttpResponse:
    summary = selectors.needs_today(profile=_profile(request))
    total = selectors.applications(owner=request.user).count()
    return render(request, "seeker/today.html", {"summary": summary, "total": total})


@seeker_required
def application_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status and status not in Status.values:
        status = ""
    apps = selectors.applications(owner=request.user, status=status)
    return render(
        request, "seeker/list.html",
        {"applications": apps, "status": status, "statuses": Status.choices},
    )  # fmt: skip


@seeker_required
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "seeker/board.html", {"columns": selectors.board(owner=request.user)})


@seeker_required
def application_new(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(
        request.POST or None, initial={"applied_on": services.local_today(_profile(request))}
    )
    if request.method == "POST" and form.is_valid():
        app = services.create_application(owner=request.user, **form.cleaned_data)
        _refresh_if_status_page(request, app.pk, app.link)
        messages.success(request, f"Added {app.role} at {app.company}. Fingers crossed.")
        return redirect("seeker:application", application_id=app.pk)
    return render(request, "seeker/application_form.html", {"form": form, "app": None})


@seeker_required
def application_edit(request: HttpRequest, application_id: int) -> HttpResponse:
    app = selectors.application(owner=request.user, application_id=application_id)
    form = ApplicationForm(request.POST or None, instance=app)
    if request.method == "POST" and form.is_valid():
        services.update_application(owner=request.user, application_id=app.pk, **form.cleaned_data)
        _refresh_if_status_page(request, app.pk, form.cleaned_data["link"])
        messages.success(request, "Saved.")
        return redirect("seeker:application", application_id=app.pk)
    return render(request, "seeker/application_form.html", {"form": form, "app": app})


def _refresh_if_status_page(request: HttpRequest, application_id: int, link: str) -> None:
    if status_feed.status_json_url(link) is None:
        return
    app = services.refresh_employer_status(owner=request.user, application_id=application_id)
    if app.employer_error:
        messages.warning(request, f"We couldn't read the employer's status: {app.employer_error}")


@seeker_required
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    profile_ = _profile(request)
    app = selectors.application(owner=request.user, application_id=application_id)
    plan = selectors.plan_for(profile=profile_, app=app, today=services.local_today(profile_))
    return render(
        request, "seeker/application.html",
        {
            "app": app, "plan": plan, "interviews": app.interviews.all(),
            "follow_ups": app.follow_ups.order_by("round", "number"),
            "warnings": selectors.warnings_for(app=app, plan=plan),
            "pasted": app.pasted.all(), "paste_form": PasteForm(),
            "statuses": Status.choices,
            "is_status_page": status_feed.status_json_url(app.link) is not None,
        },
    )  # fmt: skip


@require_POST
@seeker_required
def application_status(request: HttpRequest, application_id: int) -> HttpResponse:
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please pick one of the statuses.")
    else:
        app = services.set_status(
            owner=request.user, application_id=application_id, status=form.cleaned_data["status"]
        )
        if app.status == Status.GHOSTED:
            messages.info(
                request,
                "Marked ghosted. Their loss. You're not alone in this; it happens to almost "
                "everyone. If they reply, revive it here.",
            )
        else:
            messages.success(request, f"Marked {app.get_status_display().lower()}.")
    return redirect("seeker:application", application_id=application_id)


@require_POST
@seeker_required
def application_news(request: HttpRequest, application_id: int) -> HttpResponse:
    app = services.record_news(owner=request.user, application_id=application_id)
    messages.success(request, f"Good: {app.company} replied. The follow-up count starts afresh.")
    return redirect("seeker:application", application_id=application_id)


@require_POST
@seeker_required
def application_refresh(request: HttpRequest, application_id: int) -> HttpResponse:
    app = selectors.application(owner=request.user, application_id=application_id)
    _refresh_if_status_page(request, app.pk, app.link)
    return redirect("seeker:application", application_id=application_id)


@require_POST
@seeker_required
def application_paste(request: HttpRequest, application_id: int) -> HttpResponse:
    selectors.application(owner=request.user, application_id=application_id)
    form = PasteForm(request.POST)
    if form.is_valid():
        services.add_note(
            owner=request.user, application_id=application_id, text=form.cleaned_data["text"]
        )
        messages.success(request, "Saved. Any common signs show up below.")
    else:
        messages.error(request, "Paste the email or write the note first.")
    return redirect("seeker:application", application_id=application_id)


# --- Interview and thank-you --------------------------------------------------------------


@seeker_required
def interview_new(request: HttpRequest, application_id: int) -> HttpResponse:
    profile_ = _profile(request)
    app = selectors.application(owner=request.user, application_id=application_id)
    form = InterviewForm(request.POST or None, initial={"held_on": services.local_today(profile_)})
    if request.method == "POST" and form.is_valid():
        try:
            interview = services.log_interview(
                owner=request.user, application_id=app.pk, **form.cleaned_data
            )
        except PromiseNotUnderstood as error:
            form.add_error("promise_phrase", str(error))
        except services.SeekerError as error:
            form.add_error("promised_on", str(error))
        else:
            if interview.promise_assumed:
                messages.info(request, interview.promise_explained)
            else:
                heard = interview.promise_phrase or "the date you gave"
                messages.success(
                    request, f"Logged. We read “{heard}” as {interview.promise_explained}."
                )
            return redirect("seeker:thank_you", interview_id=interview.pk)
    return render(request, "seeker/interview_form.html", {"form": form, "app": app})


@seeker_required
def interview_edit(request: HttpRequest, interview_id: int) -> HttpResponse:
    interview = selectors.interview(owner=request.user, interview_id=interview_id)
    initial = {name: getattr(interview, name) for name in InterviewForm.base_fields}
    if interview.promise_phrase or interview.promise_assumed:
        initial["promised_on"] = None  # the phrase is the source; re-read it on save
    form = InterviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            interview = services.update_interview(
                owner=request.user, interview_id=interview.pk, **form.cleaned_data
            )
        except PromiseNotUnderstood as error:
            form.add_error("promise_phrase", str(error))
        except services.SeekerError as error:
            form.add_error("promised_on", str(error))
        else:
            messages.success(request, f"Saved. Promised date: {interview.promise_explained}")
            return redirect("seeker:application", application_id=interview.application_id)
    return render(
        request, "seeker/interview_form.html",
        {"form": form, "app": interview.application, "interview": interview},
    )  # fmt: skip


def _note_context(request: HttpRequest, interview: Any, text: str) -> dict[str, Any]:
    profile_ = _profile(request)
    app = interview.application
    subject = thankyou.subject_for(app)
    return {
        "interview": interview, "app": app, "text": text, "subject": subject,
        "checks": thankyou.check(text=text, profile=profile_, interview=interview),
        "mailto": thankyou.mailto(to=app.contact_email, subject=subject, body=text),
        "warnings": selectors.warnings_for(app=app),
    }  # fmt: skip


@seeker_required
def thank_you(request: HttpRequest, interview_id: int) -> HttpResponse:
    interview = selectors.interview(owner=request.user, interview_id=interview_id)
    if request.method == "POST":
        form = NoteTextForm(request.POST)
        if form.is_valid():
            interview = services.save_thank_you(
                owner=request.user, interview_id=interview.pk, text=form.cleaned_data["text"]
            )
            messages.success(request, "Saved and checked.")
            return redirect("seeker:thank_you", interview_id=interview.pk)
        messages.error(request, "The note is empty; the draft is still here.")
    context = _note_context(request, interview, interview.thank_you_text)
    return render(request, "seeker/thank_you.html", context)


@require_POST
@seeker_required
def thank_you_sent(request: HttpRequest, interview_id: int) -> HttpResponse:
    undo = request.POST.get("undo") == "1"
    interview = services.mark_thank_you_sent(
        owner=request.user, interview_id=interview_id, sent=not undo
    )
    if not undo:
        messages.success(request, "Thank-you sent. Well done: most people never send one.")
    return redirect("seeker:application", application_id=interview.application_id)


# --- Follow-ups ---------------------------------------------------------------------------


@require_POST
@seeker_required
def follow_up_new(request: HttpRequest, application_id: int) -> HttpResponse:
    app = selectors.application(owner=request.user, application_id=application_id)
    try:
        follow_up = services.draft_follow_up(owner=request.user, application_id=app.pk)
    except services.FollowUpRefused as refusal:
        return render(request, "seeker/refused.html", {"app": app, "message": str(refusal)})
    except services.SeekerError as error:
        messages.info(request, str(error))
        return redirect("seeker:application", application_id=app.pk)
    return redirect("seeker:follow_up", follow_up_id=follow_up.pk)


@seeker_required
def follow_up(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    item = selectors.follow_up(owner=request.user, follow_up_id=follow_up_id)
    if request.method == "POST":
        form = NoteTextForm(request.POST)
        if form.is_valid():
            services.save_follow_up(
                owner=request.user, follow_up_id=item.pk, text=form.cleaned_data["text"]
            )
            messages.success(request, "Saved.")
            return redirect("seeker:follow_up", follow_up_id=item.pk)
        messages.error(request, "The follow-up is empty; one or two sentences is plenty.")
    app = item.application
    subject = thankyou.follow_up_subject(app, item)
    return render(
        request, "seeker/follow_up.html",
        {"follow_up": item, "app": app, "subject": subject,
         "mailto": thankyou.mailto(to=app.contact_email, subject=subject, body=item.text)},
    )  # fmt: skip


@require_POST
@seeker_required
def follow_up_sent(request: HttpRequest, follow_up_id: int) -> HttpResponse:
    item = services.mark_follow_up_sent(owner=request.user, follow_up_id=follow_up_id)
    messages.success(request, f"Follow-up {item.number} of 2 marked sent. Now, let it rest.")
    return redirect("seeker:application", application_id=item.application_id)


# --- CSV, stats, calendar -----------------------------------------------------------------


@seeker_required
def import_view(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            count = services.import_csv(
                owner=request.user, data=upload.read(services.CSV_MAX_BYTES + 1)
            )
        except services.CsvImportError as error:
            errors = error.errors
        else:
            messages.success(request, f"Imported {count} application{'s' if count != 1 else ''}.")
            return redirect("seeker:list")
    return render(
        request, "seeker/import.html",
        {"form": form, "errors": errors, "columns": services.CSV_COLUMNS},
    )  # fmt: skip


@seeker_required
def export_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        selectors.export_csv(owner=request.user), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="applications.csv"'
    return response


@seeker_required
def stats(request: HttpRequest) -> HttpResponse:
    return render(request, "seeker/stats.html", {"stats": selectors.stats(owner=request.user)})


@seeker_required
def calendar(request: HttpRequest) -> HttpResponse:
    new_url = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.revoke_calendar_token(owner=request.user)
            messages.info(request, "The old calendar link no longer works.")
            return redirect("seeker:calendar")
        token = services.issue_calendar_token(owner=request.user)
        new_url = request.build_absolute_uri(reverse("seeker:calendar_feed", args=[token]))
    profile_ = SeekerProfile.objects.get(user=request.user)
    return render(request, "seeker/calendar.html", {"profile": profile_, "new_url": new_url})


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Public by design: the long random token is the key. Revoking it turns the feed off."""
    found = selectors.profile_by_calendar_token(token)
    if found is None:
        raise Http404("No such calendar")
    response = HttpResponse(ics.build_feed(profile=found), content_type="text/calendar")
    response["Cache-Control"] = "private, max-age=900"
    return response
