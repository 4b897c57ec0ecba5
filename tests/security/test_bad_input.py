"""Bad input gets a clear 4xx answer (or is handled cleanly), never a server error: the
seeker's CSV import with cells Python's csv module refuses, NUL bytes anywhere in a request
(PostgreSQL can't store or compare them), and HTTP methods no page takes."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from heardback.hiring.models import Role
from heardback.seeker import services as seeker_services
from heardback.seeker.models import JobApplication
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "a long and memorable passphrase 42"
HEADER = "company,role,applied_on\n"


@pytest.fixture
def seeker_client(settings: Any) -> Client:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = seeker_services.sign_up(email="robin@example.org", password=PASSWORD, full_name="Robin")
    client = Client()
    client.force_login(user)
    return client


def _import(client: Client, data: bytes) -> Any:
    return client.post("/seeker/import/", {"file": SimpleUploadedFile("apps.csv", data)})


@pytest.mark.parametrize(
    ("data", "says"),
    [
        pytest.param(
            f'{HEADER}"{"x" * (csv.field_size_limit() + 10)}",Engineer,2026-01-05\n'.encode(),
            "longer than 131,072 characters",
            id="cell over the csv field limit",
        ),
        pytest.param(
            (HEADER + "Acme\rCorp,Engineer,2026-01-05\n").encode(),
            "carriage return",
            id="bare CR in an unquoted cell",
        ),
        pytest.param(
            (HEADER + "Acme\x00,Engineer,2026-01-05\n").encode(),
            "NUL",
            id="NUL byte in a cell",
        ),
        pytest.param(
            (HEADER + "Acme,Engineer,2026-01-05,\x00\n").encode(),
            "NUL",
            id="NUL byte in an extra cell",
        ),
    ],
)
def test_a_csv_python_refuses_is_a_list_of_row_errors(
    seeker_client: Client, data: bytes, says: str
) -> None:
    response = _import(seeker_client, data)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert JobApplication.objects.count() == 0


def test_a_file_with_cr_line_endings_imports(seeker_client: Client) -> None:
    data = b"company,role,applied_on\rAcme,Engineer,2026-01-05\rGlobex,Baker,2026-01-06\r"
    response = _import(seeker_client, data)
    assert response.status_code == 302
    assert JobApplication.objects.count() == 2


def test_cells_longer_than_their_column_are_row_errors_not_server_errors(
    seeker_client: Client,
) -> None:
    data = HEADER.replace("\n", ",link,contact_email\n") + (
        f"Acme,Engineer,2026-01-05,https://example.org/{'a' * 600},{'b' * 250}@example.org\n"
    )
    response = _import(seeker_client, data.encode())
    assert response.status_code == 400
    html = response.content.decode()
    assert "Row 2" in html
    assert JobApplication.objects.count() == 0


@pytest.mark.parametrize("path", ["/app/jobs/{job}/?q=%00", "/app/jobs/?q=%00", "/?q=a%00b"])
def test_a_nul_in_the_query_string_is_a_400(path: str) -> None:
    org = factories.make_org()
    admin = factories.make_member(org=org, role=Role.ADMIN)
    job = factories.make_job(org=org, owner=admin)
    client = Client()
    client.force_login(admin.user)
    response = client.get(path.format(job=job.pk))
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_in_a_form_or_a_path_is_a_400() -> None:
    org = factories.make_org()
    admin = factories.make_member(org=org, role=Role.ADMIN)
    job = factories.make_job(org=org, owner=admin)
    client = Client()
    client.force_login(admin.user)
    response = client.post(f"/app/jobs/{job.pk}/bulk/", {"q": "a\x00b", "kind": "advance"})
    assert response.status_code == 400
    assert Client().get("/engine/act/a%00b/").status_code == 400
    assert Client().get("/seeker/calendar/a%00b.ics").status_code == 400


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "BREW", "MKCOL"])
@pytest.mark.parametrize("path", ["/", "/app/login/", "/seeker/", "/jobs/x/", "/api/v1/jobs"])
def test_methods_no_page_takes_are_405(method: str, path: str) -> None:
    response = Client().generic(method, path)
    assert response.status_code == 405
    assert "GET" in response["Allow"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_pages_refuse_the_apis_methods_instead_of_showing_the_get_page(method: str) -> None:
    org = factories.make_org()
    job = factories.make_job(org=org, title="Baker")
    for path in ("/", f"/jobs/{org.slug}/", "/seeker/login/", "/app/login/"):
        response = Client().generic(method, path)
        assert response.status_code == 405, path
        assert response["Allow"] == "GET, HEAD, POST, OPTIONS"
        assert job.title not in response.content.decode()


def test_options_on_a_page_lists_its_methods_without_the_page() -> None:
    response = Client().options("/app/login/")
    assert response.status_code == 200
    assert response["Allow"] == "GET, HEAD, POST, OPTIONS"
    assert response.content == b""


def test_the_api_still_takes_its_own_methods() -> None:
    # PATCH reaches the API (which answers 401 without a key, as a problem document).
    response = Client().patch("/api/v1/jobs/1", "{}", content_type="application/json")
    assert response.status_code == 401
    trace = Client().generic("TRACE", "/api/v1/jobs")
    assert trace.status_code == 405
    assert trace["Content-Type"] == "application/problem+json"


def test_strangers_cannot_fill_an_orgs_table_with_refused_deliveries(settings: Any) -> None:
    from heardback.bridges.models import InboundEvent, InboundStatus
    from tests.bridges.conftest import make_bridge

    settings.BRIDGE_REFUSED_RECORD_RATE = "3/h"
    bridge = make_bridge("greenhouse")
    answers = [bridge.post({"action": "ping"}, secret="wrong").status_code for _ in range(5)]
    assert answers == [401] * 5  # every one refused, whether recorded or not
    refused = InboundEvent.objects.filter(
        connection=bridge.connection, status=InboundStatus.BAD_SIGNATURE
    )
    assert refused.count() == 3
