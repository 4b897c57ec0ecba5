"""Sign-in (throttled), sign-out, password reset, invitations and members."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods, require_POST

from heardback.console import services
from heardback.console.access import ADMIN, SESSION_ORG, console_view, member_for
from heardback.console.forms import AcceptInviteForm, InviteForm, RoleForm, SignInForm
from heardback.console.models import Invitation
from heardback.console.views.common import attach_errors, client_ip, error_text, member_of
from heardback.hiring.models import Member
from heardback.runtime.params import id_param
from heardback.web import limits
from heardback.web.client import client_key


class SignInView(auth_views.LoginView):
    """Django's login, with a per-email-and-address failure counter against guessing."""

    template_name = "console/login.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return str(reverse_lazy("console:dashboard"))

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        username = request.POST.get("username", "")
        if services.login_blocked(username=username, ip=client_ip(request)):
            # An unbound form: while blocked, the password is not even checked.
            form = self.form_class(request, initial={"username": username})
            return self.render_to_response(
                self.get_context_data(form=form, blocked=True), status=429
            )
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        services.record_login_failure(
            username=self.request.POST.get("username", ""), ip=client_ip(self.request)
        )
        return super().form_invalid(form)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        services.clear_login_failures(
            username=self.request.POST.get("username", ""), ip=client_ip(self.request)
        )
        return super().form_valid(form)


sign_in = SignInView.as_view()
sign_out = auth_views.LogoutView.as_view(next_page=reverse_lazy("console:login"))


@method_decorator(require_http_methods(["GET", "HEAD", "POST"]), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, with the link built from SITE_URL and the sending limited.

    Django builds the link from the request's Host header; anyone could then ask for a reset
    with a Host of their own and have the real user's link point at their server. And the
    form would email anyone, as often as asked: now per client address (a 429 page) and per
    email address, whoever asks (over that, nothing is sent and the page says the same, so
    the limit tells nothing about which addresses have accounts).
    """

    template_name = "console/password_reset.html"
    email_template_name = "console/email/password_reset.txt"
    subject_template_name = "console/email/password_reset_subject.txt"
    success_url = reverse_lazy("console:password_reset_done")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        verdict = limits.hit_rate(
            "password-reset", client_key(request), rate=settings.PASSWORD_RESET_RATE_PER_ADDRESS
        )
        if not verdict.allowed:
            form = self.get_form()
            form.is_valid()
            minutes = max(1, round(verdict.retry_after / 60))
            form.add_error(None, f"Too many reset requests; try again in {minutes} minutes.")
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(verdict.retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        per_email = limits.hit_rate(
            "password-reset-email",
            email.strip().lower(),
            rate=settings.PASSWORD_RESET_RATE_PER_EMAIL,
        )
        if per_email.allowed:
            site = urlsplit(settings.SITE_URL)
            form.save(
                domain_override=site.netloc,
                use_https=site.scheme == "https",
                token_generator=self.token_generator,
                from_email=self.from_email,
                email_template_name=self.email_template_name,
                subject_template_name=self.subject_template_name,
                request=self.request,
                html_email_template_name=self.html_email_template_name,
                extra_email_context=dict(self.extra_email_context or {}),
            )
        return HttpResponseRedirect(self.get_success_url())


password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="console/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="console/password_reset_confirm.html",
    success_url=reverse_lazy("console:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="console/password_reset_complete.html"
)


@require_http_methods(["GET", "HEAD", "POST"])
def accept_invite(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_by_token(token=token)
    if invitation is None:
        return render(request, "console/invite_invalid.html", status=404)
    form = AcceptInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.accept_invitation(
                token=token,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_ORG] = member.org_id
            messages.success(request, f"Welcome to {member.org.name}.")
            return redirect("console:dashboard")
    return render(request, "console/accept_invite.html", {"form": form, "invitation": invitation})


@console_view()
@require_POST
def switch_org(request: HttpRequest) -> HttpResponse:
    org_id = request.POST.get("org", "")
    user = request.user  # console_view has made sure someone is signed in
    if (
        user.is_authenticated
        and org_id.isascii()
        and org_id.isdigit()
        and Member.objects.filter(user=user, org_id=int(org_id)).exists()
    ):
        request.session[SESSION_ORG] = int(org_id)
    return redirect("console:dashboard")


@console_view(*ADMIN)
def members(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = services.invite_member(
                org_member=member,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("console:members")
    return render(
        request,
        "console/members.html",
        {
            "form": form,
            "members": Member.objects.filter(org_id=member.org_id)
            .select_related("user")
            .order_by("id"),
            "invitations": Invitation.objects.filter(
                org_id=member.org_id, accepted_at=None
            ).order_by("-created_at")[:50],
            "role_form": RoleForm(),
        },
    )


@console_view(*ADMIN)
@require_POST
def member_role(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = member_of(request)
    other = member_for(actor, member_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.change_role(actor=actor, member=other, role=form.cleaned_data["role"])
            messages.success(request, f"{other.display_name} is now {other.get_role_display()}.")
        except ValidationError as error:
            messages.error(request, error_text(error))
    return redirect("console:members")


@console_view(*ADMIN)
@require_http_methods(["GET", "HEAD", "POST"])
def member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    """GET: what removing them hands over, and to whom; POST: do it."""
    actor = member_of(request)
    other = member_for(actor, member_id)
    candidates = list(
        Member.objects.filter(org_id=actor.org_id)
        .exclude(pk=other.pk)
        .select_related("user")
        .order_by("user__first_name", "user__email", "pk")
    )
    try:
        handover = services.removal_preview(actor=actor, member=other)
    except ValidationError as refused:
        messages.error(request, error_text(refused))
        return redirect("console:members")
    error = ""
    chosen = id_param(request.POST, "successor") if request.method == "POST" else actor.pk
    successor = next((m for m in candidates if m.pk == chosen), None)
    if request.method == "POST":
        try:
            services.remove_member(actor=actor, member=other, successor=successor)
        except ValidationError as failure:
            error = error_text(failure)
        else:
            messages.success(
                request,
                f"{other.display_name} was removed. {successor.display_name if successor else ''}"
                f" now owns {len(handover.jobs)} job{pluralize(len(handover.jobs))}.",
            )
            return redirect("console:members")
    return render(
        request,
        "console/member_remove.html",
        {
            "other": other,
            "handover": handover,
            "candidates": candidates,
            "successor": successor,
            "error": error,
        },
        status=400 if error else 200,
    )
