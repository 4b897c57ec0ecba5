"""The org's problems page: everything that needs a person, each with a way to fix it."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from heardback import clock
from heardback.console.access import STAFF, console_view
from heardback.console.views.common import member_of
from heardback.runtime.selectors import Problem, problems_for_org


@dataclass(frozen=True)
class Fix:
    url: str
    text: str


def fix_for(problem: Problem) -> Fix | None:
    """Where to go about `problem`, read from the item it names ("stage:12", "job:4:close-out").

    Only links: each page it leads to checks the member's access again.
    """
    kind, _, rest = problem.item.partition(":")
    number, _, what = rest.partition(":")
    if not number.isdigit():
        return None
    pk = int(number)
    if problem.is_template:
        if kind == "stage":
            return Fix(reverse("console:stage_template", args=[pk]), "Edit the stage's message")
        if kind == "job" and what == "close-out":
            return Fix(reverse("console:job_edit", args=[pk]), "Edit the close-out message")
        if kind == "application":
            return Fix(reverse("console:application", args=[pk]), "Open the application")
        return None
    if kind == "application":
        return Fix(reverse("console:application", args=[pk]), "Open the application")
    if kind == "bulk":
        return Fix(reverse("console:bulk", args=[pk]), "Open the bulk action")
    return None


@console_view(*STAFF)
def problems(request: HttpRequest) -> HttpResponse:
    member = member_of(request)
    found = problems_for_org(org_id=member.org_id, now=clock.now(), time_zone=member.org.time_zone)
    return render(
        request,
        "console/problems.html",
        {
            "templates": [(p, fix_for(p)) for p in found if p.is_template],
            "stuck": [(p, fix_for(p)) for p in found if not p.is_template],
        },
    )
