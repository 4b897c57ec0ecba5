"""Who may see what. Every console view goes through `console_view`, and every object is
fetched through the helpers here, which scope it to the member's org (and, for hiring
managers, to the jobs they own or are on). Someone else's id is simply not found: 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from heardback.console.models import BulkAction, JobTeam
from heardback.hiring.models import Application, Job, Member, Role, Stage

ALL_ROLES = (Role.ADMIN, Role.RECRUITER, Role.HIRING_MANAGER)
STAFF = (Role.ADMIN, Role.RECRUITER)
ADMIN = (Role.ADMIN,)
SESSION_ORG = "console_org_id"


class ConsoleRequest(HttpRequest):
    """A request as a console view sees it, for annotations only (Django still passes an
    HttpRequest): `htmx` is set by django-htmx's middleware, `member` by `console_view`."""

    htmx: HtmxDetails
    member: Member


def current_member(request: HttpRequest) -> Member | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Member.objects.filter(user=user).select_related("org", "user").order_by("id")
    chosen = request.session.get(SESSION_ORG)
    if chosen is not None:
        member = memberships.filter(org_id=chosen).first()
        if member is not None:
            return member
    return memberships.first()


def console_view(
    *roles: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Require sign-in and one of `roles`; sets `request.member`."""
    allowed = roles or ALL_ROLES

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("console:login"))
            member = current_member(request)
            if member is None:
                raise PermissionDenied("You are not a member of any organisation yet.")
            if member.role not in allowed:
                raise PermissionDenied("Your role does not include this page.")
            cast(ConsoleRequest, request).member = member
            return view(request, *args, **kwargs)

        wrapper.console_roles = tuple(allowed)  # type: ignore[attr-defined]
        return wrapper

    return decorate


def visible_jobs(member: Member) -> QuerySet[Job]:
    jobs = Job.objects.filter(org_id=member.org_id).select_related("owner__user", "org")
    if member.role == Role.HIRING_MANAGER:
        # A subquery, not a join: a join on the team would multiply counts annotated later.
        on_team = JobTeam.objects.filter(org_id=member.org_id, member=member).values("job_id")
        jobs = jobs.filter(Q(owner=member) | Q(pk__in=on_team))
    return jobs


def visible_applications(member: Member) -> QuerySet[Application]:
    applications = Application.objects.filter(org_id=member.org_id)
    if member.role == Role.HIRING_MANAGER:
        applications = applications.filter(job__in=visible_jobs(member).values("pk"))
    return applications.select_related("candidate", "job", "stage", "org")


def job_for(member: Member, job_id: int) -> Job:
    job = visible_jobs(member).filter(pk=job_id).first()
    if job is None:
        raise Http404("No such job.")
    return job


def application_for(member: Member, application_id: int) -> Application:
    application = visible_applications(member).filter(pk=application_id).first()
    if application is None:
        raise Http404("No such application.")
    return application


def stage_for(member: Member, stage_id: int) -> Stage:
    """A stage of a pipeline template or of a job this member can see."""
    stage = (
        Stage.objects.filter(org_id=member.org_id, pk=stage_id).select_related("pipeline").first()
    )
    if stage is None:
        raise Http404("No such stage.")
    if not stage.pipeline.is_template:
        job_id = Job.objects.filter(pipeline_id=stage.pipeline_id).values_list("pk", flat=True)
        job_for(member, job_id.first() or 0)
    return stage


def bulk_for(member: Member, bulk_id: int) -> BulkAction:
    bulk = BulkAction.objects.filter(org_id=member.org_id, pk=bulk_id).first()
    if bulk is None:
        raise Http404("No such bulk action.")
    return bulk


def member_for(member: Member, member_id: int) -> Member:
    other = Member.objects.filter(org_id=member.org_id, pk=member_id).select_related("user").first()
    if other is None:
        raise Http404("No such member.")
    return other
