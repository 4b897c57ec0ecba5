"""Fixtures for data rights: the Acme world, status links on, CVs in a scratch folder."""

from __future__ import annotations

from typing import Any

import pytest

from tests.acme import job, monday, org, recruiter  # noqa: F401 - shared fixtures
from tests.portal.conftest import media_root, status_links  # noqa: F401 - autouse fixtures

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def apply_with_cv(to_job: Any, *, name: str, email: str, content: bytes = PDF) -> Any:
    """Apply through the portal's own service, CV and all (as the job board does)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from heardback.portal import services as portal

    upload = SimpleUploadedFile("cv.pdf", content)
    return portal.submit_application(job=to_job, name=name, email=email, cv=upload).application


@pytest.fixture
def apply() -> Any:
    return apply_with_cv
