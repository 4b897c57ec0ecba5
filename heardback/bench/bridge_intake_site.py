"""The site the bridge intake benchmark serves: the real project (its settings, middleware
and URLs) plus one bare view that reads the body and answers 200 — the least any webhook
endpoint can do. Used as both DJANGO_SETTINGS_MODULE and ROOT_URLCONF by the benchmark's
gunicorns (`heardback/bench/bridge_intake.py`), so the bare view and the intake endpoint go
through the same stack; nothing is added to the project's own URLs.
"""

# ruff: noqa: F403, F405
from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from heardback.settings import *

ROOT_URLCONF = "heardback.bench.bridge_intake_site"

# `--persistent-sqlite`: keep SQLite connections open between requests (the project opens
# one per request on SQLite; PostgreSQL connections are already kept 60 s).
if DATABASE_VENDOR == "sqlite" and os.environ.get("BENCH_SQLITE_PERSISTENT") == "1":
    DATABASES["default"]["CONN_MAX_AGE"] = None


@csrf_exempt  # as the intake endpoint: a machine posts here, not a browser
@require_POST
def bare(request: HttpRequest) -> HttpResponse:
    request.body  # noqa: B018 - read it, as any endpoint must
    return HttpResponse(status=200)


def _urlpatterns() -> list[object]:
    from heardback.urls import urlpatterns as project

    return [path("bench/bare/", bare), *project]


def __getattr__(name: str) -> object:
    # Built lazily: the project's URLs need configured settings, and this module *is* the
    # settings module.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)
