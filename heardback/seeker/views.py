"""Views for the job-seeker companion: thin, every query scoped to request.user."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from heardback.clock.business import zone
from heardback.web import limits
from heardback.web.client import client_address, client_key

from . import (
    bookmarklet,
    ics,
    imap,
    mailimport,
    rights,
    selectors,
    services,
    status_feed,
    thankyou,
)
from .forms import (
    ApplicationForm,
    ImportForm,
    InterviewForm,
    LoginForm,
    MailAccountForm,
    MailUploadForm,
    NoteTextForm,
    PasteForm,
    ProfileForm,
    ProfileRestForm,
    SaveJobForm,
    SignUpForm,
    StatusForm,
)
from .models import OPEN_STATUSES, SeekerProfile, Status
from .phrases import PromiseNotUnderstood

View = Callable[..., HttpResponse]
# Pages with a form: what a browser sends them (anything else is 405, not the page).
form_page = require_http_methods(["GET", "HEAD", "POST"])


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


def _too_many(
    request: HttpRequest, template: str, context: dict[str, Any], wait: int
) -> HttpResponse:
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


@form_page
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        # Each sign-up sends one email to the address typed: limited per client address.
        verdict = limits.hit_rate(
            "seeker-signup", client_key(request), rate=settings.SEEKER_SIGNUP_RATE_PER_ADDRESS
        )
        if not verdict.allowed:
            form.is_valid()
            minutes = max(1, round(verdict.retry_after / 60))
            form.add_error(None, f"Too many sign-ups from here; try again in {minutes} minutes.")
            return _too_many(request, "seeker/signup.html", {"form": form}, verdict.retry_after)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_up(**form.cleaned_data)
        except services.SeekerError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                f"Welcome. Let's make sure you hear back. We sent a link to {user.email} to "
                "confirm it's yours; nothing else is emailed to it until you do.",
            )
            # Name, email, country and zone are known now: the next page asks only the rest.
            return redirect(reverse("seeker:profile") + "?welcome=1")
    return render(request, "seeker/signup.html", {"form": form})


@form_page
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    context = {"form": form, "next": next_url}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        who = {"username": email, "address": client_address(request)}
        if services.LOGIN_THROTTLE.blocked(**who):
            # While blocked, the password is not even checked.
            form.add_error(None, "Too many attempts. Wait a quarter of an hour and try again.")
            return _too_many(
                request, "seeker/login.html", context, services.LOGIN_THROTTLE.window_seconds
            )
        user = authenticate(
            request,
            username=services.seeker_username(email),
            password=form.cleaned_data["password"],
        )
        if user is None or selectors.profile_for(user) is None:
            services.LOGIN_THROTTLE.record_failure(**who)
            form.add_error(None, "That email and password don't match a job-seeker account.")
        else:
            services.LOGIN_THROTTLE.clear(**who)
            login(request, user)
            if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
                next_url = ""
            return redirect(next_url or "seeker:today")
    return render(request, "seeker/login.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "Signed out. Good luck out there.")
    return redirect("seeker:login")


@form_page
@seeker_required
def profile(request: HttpRequest) -> HttpResponse:
    current = _profile(request)
    welcome = request.GET.get("welcome") == "1"
    form_class = ProfileRestForm if welcome else ProfileForm
    form = form_class(request.POST or None, instance=SeekerProfile.objects.get(pk=current.pk))
    if request.method == "POST" and form.is_valid():
        saved = services.update_profile(owner=request.user, **form.cleaned_data)
        if saved.email != current.email:
            messages.info(
                request,
                f"We sent a link to {saved.email} to confirm it's yours; the digest waits "
                "until you do.",
            )
        messages.success(request, "Saved. Your drafts will use this.")
        return redirect("seeker:profile")
    return render(
        request, "seeker/profile.html", {"form": form, "profile": current, "welcome": welcome}
    )


# --- Confirming the email address -----------------------------------------------------------


@form_page
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners open links, and a scanner's visit
    must not confirm an address its owner never asked for."""
    found = services.profile_for_confirmation(token)
    if found is None:
        return render(request, "seeker/email_confirm.html", {"invalid": True}, status=404)
    if request.method != "POST":
        return render(request, "seeker/email_confirm.html", {"email": found.email})
    if services.confirm_email(token=token) is None:
        return render(request, "seeker/email_confirm.html", {"invalid": True}, status=404)
    return render(request, "seeker/email_confirm.html", {"email": found.email, "done": True})


@require_POST
@seeker_required
def email_resend(request: HttpRequest) -> HttpResponse:
    profile_ = SeekerProfile.objects.get(pk=_profile(request).pk)
    if profile_.email_confirmed:
        messages.info(request, "Your address is confirmed already.")
    elif services.send_confirmation(profile=profile_) is not None:
        messages.success(request, f"We sent a new link to {profile_.email}.")
    else:
        messages.info(request, "We've sent this address enough links for today; try tomorrow.")
    return redirect("seeker:profile")


# --- Today, lists, board ------------------------------------------------------------------


@require_safe
@seeker_required
def today(request: HttpRequest) -> HttpResponse:
    summary = selectors.needs_today(profile=_profile(request))
    total = selectors.applications(owner=request.user).count()
    return render(request, "seeker/today.html", {"summary": summary, "total": total})


@require_safe
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


@require_safe
@seeker_required
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "seeker/board.html", {"columns": selectors.board(owner=request.user)})


def added_message(role: str, company: str, status: str, employer_status: str = "") -> str:
    """Good luck only for an application that can still go somewhere: not one the seeker
    logged as ended, nor one whose employer status page already says it is closed."""
    added = f"Added {role} at {company}."
    if status in (Status.OFFER, Status.ACCEPTED) or employer_status == "hired":
        return f"{added} Congratulations!"
    if status in OPEN_STATUSES and employer_status not in ("declined", "withdrawn"):
        return f"{added} Fingers crossed."
    return f"{added} It counts in your stats; on to the next one."


@form_page
@seeker_required
def application_new(request: HttpRequest) -> HttpResponse:
    form = ApplicationForm(
        request.POST or None, initial={"applied_on": services.local_today(_profile(request))}
    )
    if request.method == "POST" and form.is_valid():
        app = services.create_application(owner=request.user, **form.cleaned_data)
        _refresh_if_status_page(request, app.pk, app.link)
        app.refresh_from_db()  # the employer's live status may say it is already closed
        messages.success(
            request, added_message(app.role, app.company, app.status, app.employer_status)
        )
        return redirect("seeker:application", application_id=app.pk)
    return render(request, "seeker/application_form.html", {"form": form, "app": None})


@form_page
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


@require_safe
@seeker_required
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    profile_ = _profile(request)
    app = selectors.application(owner=request.user, application_id=application_id)
    today = services.local_today(profile_)
    plan = selectors.plan_for(profile=profile_, app=app, today=today)
    return render(
        request, "seeker/application.html",
        {
            "app": app, "plan": plan, "interviews": app.interviews.all(),
            "legal": rights.answer_due(
                application=app, interviews=list(app.interviews.all()), today=today
            ),
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


@form_page
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


@form_page
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


@form_page
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


@form_page
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


@form_page
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
        status=400 if errors or form.errors else 200,
    )  # fmt: skip


@require_safe
@seeker_required
def export_view(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        selectors.export_csv(owner=request.user), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="applications.csv"'
    return response


@require_safe
@seeker_required
def stats(request: HttpRequest) -> HttpResponse:
    return render(request, "seeker/stats.html", {"stats": selectors.stats(owner=request.user)})


@form_page
@seeker_required
def calendar(request: HttpRequest) -> HttpResponse:
    new_url = ""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.revoke_calendar_token(owner=request.user)
            messages.info(request, "The old calendar link no longer works.")
            return redirect("seeker:calendar")
        token = services.issue_calendar_token(owner=request.user)
        # From SITE_URL, not the request's Host header (which the client chooses).
        new_url = settings.SITE_URL + reverse("seeker:calendar_feed", args=[token])
    # Read afresh: a new token may just have been issued.
    profile_ = SeekerProfile.objects.get(pk=_profile(request).pk)
    return render(request, "seeker/calendar.html", {"profile": profile_, "new_url": new_url})


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Public by design: the long random token is the key. Revoking it turns the feed off."""
    found = selectors.profile_by_calendar_token(token)
    if found is None:
        raise Http404("No such calendar")
    response = HttpResponse(ics.build_feed(profile=found), content_type="text/calendar")
    response["Cache-Control"] = "private, max-age=900"
    return response


# --- Mail: uploads, the mailbox, proposals ------------------------------------------------


def _mail_page(
    request: HttpRequest,
    *,
    upload_form: MailUploadForm | None = None,
    account_form: MailAccountForm | None = None,
    upload_error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request, "seeker/mail.html",
        {
            "proposals": selectors.pending_proposals(owner=request.user),
            "applications": selectors.applications(owner=request.user),
            "account": selectors.mail_account(owner=request.user),
            "upload_form": upload_form or MailUploadForm(),
            "account_form": account_form or MailAccountForm(),
            "upload_error": upload_error,
            "every": settings.SEEKER_IMAP_EVERY_MINUTES,
        },
        status=status,
    )  # fmt: skip


@require_safe
@seeker_required
def mail_view(request: HttpRequest) -> HttpResponse:
    return _mail_page(request)


@require_POST
@seeker_required
def mail_import(request: HttpRequest) -> HttpResponse:
    form = MailUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _mail_page(request, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > mailimport.max_upload_bytes():
        return _mail_page(
            request, upload_form=form, status=400,
            upload_error="That file is larger than we read at once; split the mailbox, or "
            "export only the last months.",
        )  # fmt: skip
    try:
        result = mailimport.import_messages(
            owner=request.user, messages=mailimport.iter_upload(upload, name=upload.name or "")
        )
    except mailimport.MailImportError as error:
        return _mail_page(request, upload_form=form, upload_error=str(error), status=400)
    messages.success(
        request,
        f"Read {result.messages} message{'s' if result.messages != 1 else ''}: "
        f"{result.proposed} new update{'s' if result.proposed != 1 else ''} for you to check"
        + (f", {result.known} already seen" if result.known else "")
        + ".",
    )
    return redirect("seeker:mail")


@require_POST
@seeker_required
def mail_account(request: HttpRequest) -> HttpResponse:
    form = MailAccountForm(request.POST)
    if not form.is_valid():
        return _mail_page(request, account_form=form, status=400)
    try:
        imap.connect_account(owner=request.user, **form.cleaned_data)
    except services.SeekerError as error:
        form.add_error(None, str(error))
        return _mail_page(request, account_form=form, status=400)
    messages.success(request, "Connected. We'll read new hiring mail every few minutes.")
    return redirect("seeker:mail")


@require_POST
@seeker_required
def mail_account_remove(request: HttpRequest) -> HttpResponse:
    imap.remove_account(owner=request.user)
    messages.success(request, "Disconnected; the password is deleted.")
    return redirect("seeker:mail")


@require_POST
@seeker_required
def proposal_accept(request: HttpRequest, proposal_id: int) -> HttpResponse:
    raw = request.POST.get("application", "")
    chosen = int(raw) if raw.isdigit() else None
    try:
        app = services.accept_proposal(
            owner=request.user, proposal_id=proposal_id, application_id=chosen
        )
    except (services.SeekerError, PromiseNotUnderstood) as error:
        messages.error(request, str(error))
        return redirect("seeker:mail")
    messages.success(request, f"Updated: {app.role} at {app.company}.")
    return redirect("seeker:mail")


@require_POST
@seeker_required
def proposal_dismiss(request: HttpRequest, proposal_id: int) -> HttpResponse:
    services.dismiss_proposal(owner=request.user, proposal_id=proposal_id)
    messages.info(request, "Dismissed; we won't propose it again.")
    return redirect("seeker:mail")


# --- "Save this job" ----------------------------------------------------------------------


def _save_page(
    request: HttpRequest, *, form: SaveJobForm, bookmarklet_href: str = "", status: int = 200
) -> HttpResponse:
    return render(
        request, "seeker/save.html",
        {
            "form": form,
            "saved": selectors.saved_jobs(owner=request.user),
            "profile": SeekerProfile.objects.get(pk=_profile(request).pk),
            "bookmarklet": bookmarklet_href,
        },
        status=status,
    )  # fmt: skip


@form_page
@seeker_required
def save_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _save_page(request, form=SaveJobForm(initial={"url": request.GET.get("url", "")}))
    form = SaveJobForm(request.POST)
    if not form.is_valid():
        return _save_page(request, form=form, status=400)
    try:
        saved = services.save_job(owner=request.user, url=form.cleaned_data["url"])
    except services.SeekerError as error:
        form.add_error("url", str(error))
        return _save_page(request, form=form, status=400)
    messages.success(request, f"Saved: {saved.title}.")
    return redirect("seeker:save")


@require_POST
@seeker_required
def bookmarklet_view(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "revoke":
        services.revoke_bookmarklet_token(owner=request.user)
        messages.info(request, "The bookmarklet no longer works.")
        return redirect("seeker:save")
    key = services.issue_bookmarklet_token(owner=request.user)
    return _save_page(request, form=SaveJobForm(), bookmarklet_href=bookmarklet.source(key))


@csrf_exempt  # authenticated by the bookmarklet key in the body, never by a cookie
@require_POST
def save_api(request: HttpRequest) -> HttpResponse:
    """The bookmarklet's endpoint, called from any site (see bookmarklet.py)."""
    found = selectors.profile_by_bookmarklet_token(request.POST.get("key", ""))
    if found is None:
        return _cors_json(
            {"ok": False, "message": "Heardback doesn't know this bookmarklet (it may have "
             "been turned off). Make a new one on your Saved jobs page."},
            status=401,
        )  # fmt: skip
    try:
        saved = services.save_job(
            owner=found.user, url=request.POST.get("url", ""),
            given_title=request.POST.get("title", ""),
        )  # fmt: skip
    except services.SeekerError as error:
        return _cors_json({"ok": False, "message": str(error)}, status=400)
    detail = f" at {saved.company}" if saved.company else ""
    return _cors_json(
        {
            "ok": True,
            "message": f"Saved to Heardback: {saved.title}{detail}".rstrip(".") + ".",
            "id": saved.pk,
        },
        status=201,
    )


def _cors_json(data: dict[str, Any], *, status: int) -> HttpResponse:
    response = JsonResponse(data, status=status)
    # Any page may read the answer; no credentials are ever involved (not allowed with *).
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@seeker_required
def saved_applied(request: HttpRequest, saved_id: int) -> HttpResponse:
    try:
        app = services.applied_to_saved_job(owner=request.user, saved_id=saved_id)
    except services.SeekerError as error:
        messages.error(request, str(error))
        return redirect("seeker:save")
    messages.success(request, "Good luck! It's on your list now.")
    return redirect("seeker:application", application_id=app.pk)


@require_POST
@seeker_required
def saved_delete(request: HttpRequest, saved_id: int) -> HttpResponse:
    services.delete_saved_job(owner=request.user, saved_id=saved_id)
    messages.info(request, "Removed.")
    return redirect("seeker:save")


# --- One-click unsubscribe (RFC 8058) -----------------------------------------------------


@csrf_exempt  # a mail client's POST carries no cookie and no CSRF token; the signed link is
@form_page  # the key, and it can only ever turn mail off
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (a link scanner's visit changes nothing); POST unsubscribes at
    once, whether it comes from the button or from a mail client's one-click
    (`List-Unsubscribe=One-Click`)."""
    found = services.profile_for_unsubscribe(token)
    if found is None:
        return render(request, "seeker/unsubscribe.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        services.unsubscribe(profile=found)
        done = True
    return render(request, "seeker/unsubscribe.html", {"done": done, "email": found.email})
