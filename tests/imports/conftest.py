"""An org that moves in from spreadsheets: an admin, a recruiter, one open job and one
closed one, and a helper that writes a CSV file the way a spreadsheet would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from heardback.hiring.models import Job, Member, Org, Role
from heardback.imports import services
from heardback.imports.models import ImportRun
from heardback.promises.services import close_job
from tests import factories
from tests.acme import MONDAY

HEADER = "job_title,name,email,phone,language,time_zone,stage,applied_at,owner_email"


@dataclass
class Place:
    org: Org
    admin: Member
    recruiter: Member
    job: Job  # "Data Engineer", open
    closed_job: Job  # "Zookeeper", closed
    tmp: Path

    def write(self, text: str, *, encoding: str = "utf-8", name: str = "import.csv") -> Path:
        path = self.tmp / name
        path.write_bytes(text.encode(encoding))
        return path

    def check(self, text: str | bytes, *, encoding: str = "utf-8", **extra: Any) -> ImportRun:
        path = self.tmp / "import.csv"
        path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return services.check_path(actor=self.admin, path=path, **extra)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Test users with a cheap hasher (production keeps the default)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def monday(time_machine: Any) -> datetime:
    time_machine.move_to(MONDAY, tick=False)
    return MONDAY


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def place(db: None, media_root: Path, tmp_path: Path) -> Place:
    org = factories.make_org(name="Acme Analytics", country="DE", time_zone="Europe/Berlin")
    admin = factories.make_member(org=org, role=Role.ADMIN, email="admin@acme.example")
    recruiter = factories.make_member(org=org, role=Role.RECRUITER, email="rec@acme.example")
    job = factories.make_job(org=org, title="Data Engineer", owner=recruiter)
    closed_job = factories.make_job(org=org, title="Zookeeper", owner=recruiter)
    close_job(job=closed_job, actor=admin)
    return Place(
        org=org, admin=admin, recruiter=recruiter, job=job, closed_job=closed_job, tmp=tmp_path
    )


def rows(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"
