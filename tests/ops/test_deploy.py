"""Production mode is safe by default: `manage.py check --deploy` reports nothing."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        HEARDBACK_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="heardback.example.org",
        HEARDBACK_EMAIL_URL="smtp://127.0.0.1:25",
        HEARDBACK_VAR_DIR=str(tmp_path),
    )
    return env


def test_check_deploy_is_clean_in_production_mode(tmp_path: Path) -> None:
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_a_missing_secret_key(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    env.pop("SECRET_KEY")
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_demo_refuses_production(tmp_path: Path) -> None:
    result = run_manage("demo", env=production_env(tmp_path))
    assert result.returncode != 0
    assert "refuses production" in result.stderr


def test_postgres_connections_persist_as_configured(tmp_path: Path) -> None:
    """The effective setting, read from a fresh process: a parser default of 0 must not win."""
    env = production_env(tmp_path)
    env.update(DATABASE_URL="postgres://u@db.example.org/heardback", DB_CONN_MAX_AGE="45")
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings; d = settings.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["45", "True"]
    env.pop("DB_CONN_MAX_AGE")
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])",
        env=env,
    )
    assert result.stdout.strip() == "60"
