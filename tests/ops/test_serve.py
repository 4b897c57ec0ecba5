"""The commands the container image and the systemd units run (`bin/serve …`), run here
without Docker: migrations, gunicorn in production mode, and the background parts."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def production(tmp_path: Path) -> dict[str, str]:
    """A fresh PostgreSQL database of its own, and a production environment pointing at it."""
    if connection.vendor != "postgresql":
        pytest.fail("this test needs PostgreSQL (it runs in the PostgreSQL pass)")
    params = connection.get_connection_params()
    name = f"hb_serve_{secrets.token_hex(4)}"
    admin = {k: v for k, v in params.items() if k in ("host", "port", "user", "password")}
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    user = params.get("user") or "postgres"
    host = params.get("host") or "127.0.0.1"
    port = params.get("port") or 5432
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(
        HEARDBACK_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        DATABASE_URL=f"postgres://{user}@{host}:{port}/{name}",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="https://heardback.example.org",
        SECURE_SSL_REDIRECT="false",
        HEARDBACK_EMAIL_URL=f"smtp://127.0.0.1:{free_port()}",
        HEARDBACK_VAR_DIR=str(tmp_path),
    )
    yield env
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def serve(part: str, env: dict[str, str], **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(ROOT / "bin" / "serve"), part],
        cwd=ROOT,
        env={**env, **extra},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.postgres
@pytest.mark.slow
def test_the_production_commands_run_and_stop_cleanly(production: dict[str, str]) -> None:
    migrate = subprocess.run(
        [str(ROOT / "bin" / "serve"), "migrate"],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    port = free_port()
    web = serve("web", production, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1")
    parts = [serve(name, production) for name in ("worker", "scheduler", "netloop")]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200 and r.read() == b"ok"
                    break
            except OSError:
                assert web.poll() is None, web.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "gunicorn did not answer in time"
                time.sleep(0.3)
        time.sleep(2)  # let the background parts do a round
        for part in parts:
            assert part.poll() is None, part.stdout.read().decode()  # type: ignore[union-attr]
    finally:
        for process in [web, *parts]:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=40) for process in [web, *parts]]
    assert codes == [0, 0, 0, 0], codes
