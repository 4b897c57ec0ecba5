"""Running real `heardback` processes against the pytest-django test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.conf import settings


def database_url_for_tests() -> str:
    """A DATABASE_URL for the database this test runs on (call after the db is set up)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def process_env(*, email_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TEST_DATABASE_NAME", None)
    env.update(
        HEARDBACK_ENV="test",
        DATABASE_URL=database_url_for_tests(),
        HEARDBACK_EMAIL_URL=email_url,
        HEARDBACK_VAR_DIR=str(var_dir),
        DB_CONN_MAX_AGE="0",
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def start(args: list[str], *, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`python -m heardback.cli <args>` from the project root."""
    return subprocess.Popen(
        [sys.executable, "-m", "heardback.cli", *args],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def stop(processes: list[subprocess.Popen[bytes]], *, timeout: float = 15) -> None:
    """SIGTERM (a worker finishes its batch), then SIGKILL whatever is still there."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
