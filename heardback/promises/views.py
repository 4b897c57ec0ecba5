"""One-click decisions from a nudge email: GET shows a confirmation page, POST acts."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from heardback.hiring import services as hiring
from heardback.hiring.models import DeclineReason
from heardback.promises import services
from heardback.promises.links import LinkRefused, check_link, consume
from heardback.promises.models import ActionKind


def _refused(request: HttpRequest, refusal: LinkRefused) -> HttpResponse:
    return render(
        request,
        "promises/link_refused.html",
        {"title": refusal.title, "detail": refusal.detail},
        status=refusal.status,
    )


@require_http_methods(["GET", "POST"])
def act(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect(f"{settings.LOGIN_URL}?next={quote(request.path)}")
    try:
        usable = check_link(token=token, user=request.user)
    except LinkRefused as refusal:
        return _refused(request, refusal)
    link, application = usable.link, usable.application
    policy = services.get_policy(org=application.org)
    context = {
        "link": link,
        "application": application,
        "reasons": DeclineReason.choices,
        "default_days": policy.extension_business_days,
        "next_stage": hiring.next_stage(application),
        "errors": [],
    }
    if request.method == "GET":
        return render(request, "promises/confirm.html", context)
    try:
        if link.kind == ActionKind.ADVANCE:
            if context["next_stage"] is None:
                raise ValidationError("This is the last stage; hire or decline from the board.")
            if not consume(link):
                raise LinkRefused("This link has already been used", "Each link works once.")
            moved = hiring.advance(application=application, actor=link.member)
            done = f"{application.candidate.name} moved to {moved.stage.name}."
        elif link.kind == ActionKind.DECLINE:
            reason = request.POST.get("reason", "")
            if reason not in DeclineReason.values:
                raise ValidationError("Choose a reason, so the candidate gets a specific message.")
            if not consume(link):
                raise LinkRefused("This link has already been used", "Each link works once.")
            services.schedule_decline(application=application, reason=reason, actor=link.member)
            done = f"{application.candidate.name} will receive a kind decline."
        else:
            try:
                days = int(request.POST.get("days", ""))
            except ValueError:
                raise ValidationError("Enter a number of business days.") from None
            if not 1 <= days <= 20:
                raise ValidationError("Ask for between 1 and 20 more business days.")
            if not consume(link):
                raise LinkRefused("This link has already been used", "Each link works once.")
            services.extend_promise(
                application=application,
                business_days=days,
                actor=link.member,
                note=request.POST.get("note", "")[:500],
            )
            done = f"{application.candidate.name} has been told you need {days} more business days."
    except LinkRefused as refusal:
        return _refused(request, refusal)
    except ValidationError as error:
        context["errors"] = error.messages
        return render(request, "promises/confirm.html", context, status=400)
    return render(request, "promises/done.html", {"done": done, "application": application})
