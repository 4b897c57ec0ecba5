"""The site the status-page benchmark serves: the real project plus a hello-world view.

Used as both DJANGO_SETTINGS_MODULE and ROOT_URLCONF by gunicorn in
`tests/bench/bench_status_page.py`, so the hello-world view goes through the same
middleware stack as the status page and nothing is added to the real project's URLs.
"""

# ruff: noqa: F403, F405
from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.urls import path

from heardback.settings import *

ROOT_URLCONF = "tests.bench.portal_bench_site"
# The benchmark comes from one address; the limiter still runs, it just never says no.
PORTAL_RATE_LIMITS = {"status": (10**9, 60), "apply": (10**9, 60)}
HEARDBACK_STATUS_LINK_ISSUER = "heardback.portal.tokens.issue_status_url"
PORTAL_STATUS_CACHE_SECONDS = int(os.environ.get("BENCH_STATUS_CACHE_SECONDS", "5"))


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world!", content_type="text/plain")


def _urlpatterns() -> list:
    from heardback.urls import urlpatterns as project

    return [path("bench/hello", hello), *project]


def __getattr__(name: str) -> object:
    # Built lazily: importing the project's URLs needs configured settings, and this module
    # *is* the settings module.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


# `--persistent-sqlite` in the driver: keep SQLite connections open for good (the project
# default keeps them 60 s, on SQLite as on PostgreSQL).
if DATABASE_VENDOR == "sqlite" and os.environ.get("BENCH_SQLITE_PERSISTENT") == "1":
    DATABASES["default"]["CONN_MAX_AGE"] = None
