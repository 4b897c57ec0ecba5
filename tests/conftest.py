"""Shared fixtures: a real SMTP server, the database vendor, a real browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches

from tests.smtp import SmtpServer

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM use there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_report_header(config: pytest.Config) -> str:
    return f"heardback database: {settings.DATABASE_VENDOR}"


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real aiosmtpd server on loopback; the outbox delivers to it."""
    server = SmtpServer().start()
    settings.EMAIL_URL = server.url
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _fresh_local_cache() -> None:
    """Each test starts with an empty per-process cache (remembered status-link checks and
    pages). Rate-limit counters and the shared cache live in the database, so they start
    clean with each test's database anyway."""
    caches["local"].clear()


@pytest.fixture
def on_postgres() -> bool:
    return settings.DATABASE_VENDOR == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` belong to the PostgreSQL pass of bin/test; on SQLite they are
    deselected (not skipped). In the PostgreSQL pass they run, and fail if it is missing."""
    if settings.DATABASE_VENDOR == "postgresql":
        return
    selected = [item for item in items if item.get_closest_marker("postgres") is None]
    deselected = [item for item in items if item.get_closest_marker("postgres") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()
