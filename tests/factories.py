"""Test data built through the real services (no hand-made rows that skip the rules)."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model

from heardback.hiring import services
from heardback.hiring.models import Application, Job, Member, Org, Role

_counter = itertools.count(1)


def make_user(
    *,
    email: str | None = None,
    password: str = "correct horse battery staple",  # noqa: S107 - test users only
    **extra: Any,
) -> Any:
    n = next(_counter)
    email = email or f"user{n}@example.com"
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, **extra
    )


def make_org(
    *, name: str | None = None, country: str = "DE", time_zone: str = "Europe/Berlin", **extra: Any
) -> Org:
    n = next(_counter)
    return services.create_org(
        name=name or f"Org {n}", slug=f"org-{n}", country=country, time_zone=time_zone, **extra
    )


def make_member(*, org: Org, role: str = Role.RECRUITER, email: str | None = None) -> Member:
    return services.add_member(org=org, user=make_user(email=email), role=role)


def make_job(*, org: Org, title: str = "Engineer", owner: Member | None = None) -> Job:
    owner = owner or make_member(org=org, role=Role.HIRING_MANAGER)
    return services.create_job(org=org, title=title, owner=owner)


def make_application(
    *, job: Job, name: str | None = None, email: str | None = None, **extra: Any
) -> Application:
    n = next(_counter)
    return services.apply(
        job=job,
        name=name or f"Candidate {n}",
        email=email or f"candidate{n}@example.net",
        **extra,
    )
