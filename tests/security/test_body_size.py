"""Bodies too large are refused by their Content-Length before a byte is read.

Django's CSRF check reads a form (spooling uploads into temporary files) before any view can
look at its size, so a view-level check came too late: a 200 MB upload was on disk first.
These tests hand Django a body that counts what is read from it.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

from heardback.portal.uploads import MAX_BYTES as CV_MAX_BYTES
from heardback.portal.views import MAX_APPLY_BODY
from heardback.seeker.services import CSV_MAX_BYTES
from heardback.web.middleware import body_limit
from tests import factories

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


class CountingBody(io.RawIOBase):
    """A body of `size` bytes that are made (and counted) only when read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.read_bytes)
        buffer[:n] = b"0" * n
        self.read_bytes += n
        return n


def _post(path: str, size: int, content_type: str = "multipart/form-data; boundary=x") -> Any:
    body = CountingBody(size)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "203.0.113.9",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(size),
        "wsgi.input": io.BufferedReader(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multiprocess": True,
        "wsgi.multithread": False,
        "wsgi.run_once": False,
    }
    statuses: list[str] = []
    chunks = WSGIHandler()(environ, lambda status, headers, *_: statuses.append(status))
    content = b"".join(chunks)
    return int(statuses[0].split()[0]), content, body.read_bytes


def test_a_200_mb_cv_is_refused_before_it_is_read() -> None:
    job = factories.make_job(org=factories.make_org(), title="Baker")
    status, content, read = _post(f"/jobs/{job.org.slug}/{job.slug}/", 200 * MIB)
    assert status == 413
    assert read == 0
    # Bodies up to 20 MB are read so the form can come back (tests/input/test_apply_limit.py).
    assert b"larger than 20 MB" in content


@pytest.mark.parametrize(
    ("path", "allowed", "refused"),
    [
        ("/jobs/acme/baker/", MAX_APPLY_BODY, MAX_APPLY_BODY + 1),
        ("/app/import/", 50 * MIB, 51 * MIB),
        ("/seeker/import/", CSV_MAX_BYTES, CSV_MAX_BYTES + 300 * 1024),
        ("/app/login/", 1 * MIB, 1 * MIB + 1),
        ("/seeker/applications/new/", 1 * MIB, 1 * MIB + 1),
        # The bridges' own setting (BRIDGE_MAX_BODY_BYTES) is the guard's limit there.
        ("/hooks/greenhouse/1/", 1_000_000, 1_000_001),
    ],
)
def test_each_path_has_its_limit(path: str, allowed: int, refused: int) -> None:
    assert body_limit(path) >= allowed
    status, _content, read = _post(path, refused)
    assert (status, read) == (413, 0)


def test_the_apply_limit_leaves_room_for_a_full_size_cv() -> None:
    assert body_limit("/jobs/acme/baker/") >= CV_MAX_BYTES + 64 * 1024


def test_the_api_refuses_with_a_problem_document() -> None:
    status, content, read = _post("/api/v1/jobs", 3 * MIB, "application/json")
    assert (status, read) == (413, 0)
    assert b'"type": "https://heardback.org/problems/too-large"' in content


def test_a_body_without_a_length_is_refused() -> None:
    from django.test import Client

    response = Client().post("/app/login/", b"", content_type="text/plain",
                             HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH="")  # fmt: skip
    assert response.status_code == 411


def test_django_keeps_small_bodies_in_memory_and_bounds_the_rest() -> None:
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 1 * MIB
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 1 * MIB
    assert settings.MIDDLEWARE[0] == "heardback.web.middleware.RequestGuardMiddleware"
