"""Bad input answers 400 (or refuses its CSV row with a reason), never a 500, and nothing
is half-stored: huge cells, bare CRs and NULs in CSV, NULs and odd digits in query strings."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from heardback.api.keys import create_key
from heardback.hiring.models import Application, Job, Member, Role
from heardback.seeker import services as seeker
from heardback.seeker.models import JobApplication
from tests import factories
from tests.seeker.conftest import make_seeker

SEEKER_HEADER = "company,role,applied_on,status,notes\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (f"Acme,Engineer,2026-11-02,applied,{'x' * 131_073}\n", "longer than 131,072"),
        ("Acme,Eng\rineer,2026-11-02,applied,\n", "carriage return (CR)"),
        ("Acme,Eng\x00ineer,2026-11-02,applied,\n", "NUL"),
    ],
)
def test_the_seekers_csv_import_refuses_the_row_and_stores_nothing(row: str, reason: str) -> None:
    user = make_seeker()
    text = SEEKER_HEADER + "Globex,Analyst,2026-11-01,applied,\n" + row
    with pytest.raises(seeker.CsvImportError) as caught:
        seeker.import_csv(owner=user, data=text.encode())
    assert any(e.startswith("Row 3:") and reason in e for e in caught.value.errors), caught.value
    assert not JobApplication.objects.exists()


@pytest.mark.django_db
def test_the_seekers_import_page_lists_the_errors(client: Client) -> None:
    user = make_seeker()
    client.force_login(user)
    text = SEEKER_HEADER + "Acme,Eng\x00ineer,2026-11-02,applied,\nAcme,Eng\rineer,2026-11-02,,\n"
    upload = {"file": _file(text.encode())}
    response = client.post("/seeker/import/", upload)
    assert response.status_code == 400
    assert "Row 2:" in response.content.decode() and "Row 3:" in response.content.decode()
    assert not JobApplication.objects.exists()


def _file(data: bytes) -> Any:
    return SimpleUploadedFile("apps.csv", data, content_type="text/csv")


@pytest.fixture
def admin_client(job: Job) -> Client:
    admin = factories.make_member(org=job.org, role=Role.ADMIN, email="ad@acme.example")
    client = Client()
    client.force_login(admin.user)
    return client


@pytest.mark.parametrize("query", ["%00", "a%00b", "%00%00"])
def test_a_nul_in_the_board_search_is_a_400(
    admin_client: Client, job: Job, recruiter: Member, query: str
) -> None:
    factories.make_application(job=job)
    response = admin_client.get(f"/app/jobs/{job.pk}/?q={query}")
    assert response.status_code == 400
    # The same search without the NUL works.
    assert admin_client.get(f"/app/jobs/{job.pk}/?q=ada").status_code == 200


def test_a_nul_in_a_bulk_search_is_a_400(admin_client: Client, job: Job) -> None:
    response = admin_client.post(f"/app/jobs/{job.pk}/bulk/", {"all": "1", "q": "a\x00"})
    assert response.status_code == 400


# A NUL anywhere in a query string is refused before any view (tests/security/test_bad_input.py).
@pytest.mark.parametrize("value", ["²", "٣", "1" * 40, "-1"])
def test_odd_ids_in_filters_are_ignored_not_a_500(
    admin_client: Client, job: Job, value: str
) -> None:
    application = factories.make_application(job=job)
    assert admin_client.get(f"/app/?job={value}&owner={value}").status_code == 200
    assert admin_client.get(f"/app/templates/?application={value}").status_code == 200
    move = admin_client.get(f"/app/applications/{application.pk}/move/?stage={value}")
    assert move.status_code in (200, 404)
    bulk = admin_client.post(f"/app/jobs/{job.pk}/bulk/", {"ids": value, "stage": value})
    assert bulk.status_code < 500
    assert Application.objects.count() == 1


@pytest.mark.parametrize(
    "query", ["status=%00", "cursor=%00", "status=a%00b", "limit=%00", "limit=²"]
)
def test_api_list_filters_with_a_nul_are_a_400(admin_client: Client, job: Job, query: str) -> None:
    admin = Member.objects.get(org=job.org, role=Role.ADMIN)
    _key, secret = create_key(actor=admin, name="test", scope="read")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    for path in ("/api/v1/applications", "/api/v1/jobs"):
        response = client.get(f"{path}?{query}")
        assert 400 <= response.status_code < 500, (path, query, response.status_code)
    for extra in ("job_id=%00", "updated_since=%00", "job_id=²", "stage_id=1%00"):
        response = client.get(f"/api/v1/applications?{extra}")
        assert 400 <= response.status_code < 500, (extra, response.status_code)
