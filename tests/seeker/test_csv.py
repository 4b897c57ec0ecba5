"""CSV import and export: clear row errors, nothing half-imported, round trip."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from heardback.seeker import selectors, services
from heardback.seeker.models import JobApplication

from .conftest import make_seeker

pytestmark = pytest.mark.django_db

GOOD = (
    "company,role,link,contact_name,contact_email,applied_on,source,status,notes\n"
    "Acme,Engineer,https://acme.test/jobs/1,Jo,jo@acme.test,2026-11-02,LinkedIn,applied,\n"
    'Globex,Analyst,,,,2026-10-20,Referral,ghosted,"Met at a meetup, nice folks"\n'
    "=cmd|' /C calc'!A0,Tester,,,,2026-10-21,,rejected,\n"
)


def test_import_then_export_round_trips() -> None:
    user = make_seeker()
    assert services.import_csv(owner=user, data=GOOD.encode()) == 3
    apps = {a.company: a for a in selectors.applications(owner=user)}
    assert apps["Globex"].status == "ghosted" and apps["Globex"].notes.startswith("Met at")
    assert apps["Acme"].first_response_on is None
    assert apps["=cmd|' /C calc'!A0"].first_response_on is not None  # a rejection is an answer
    exported = selectors.export_csv(owner=user)
    assert "'=cmd" in exported  # neutralised for spreadsheets
    other = make_seeker()
    assert services.import_csv(owner=other, data=exported.encode()) == 3
    assert sorted(selectors.applications(owner=other).values_list("company", flat=True)) == sorted(
        apps
    )


def test_bad_rows_are_reported_by_number_and_nothing_is_imported() -> None:
    user = make_seeker()
    bad = (
        "company,role,applied_on,status,contact_email\n"
        "Acme,Engineer,2026-11-02,applied,\n"
        ",Analyst,02/11/2026,applied,\n"
        "Globex,Analyst,2026-11-03,maybe,not-an-email\n"
    )
    with pytest.raises(services.CsvImportError) as error:
        services.import_csv(owner=user, data=bad.encode())
    errors = error.value.errors
    assert len(errors) == 2
    assert errors[0].startswith("Row 3:") and "company is empty" in errors[0]
    assert "'02/11/2026' isn't a date" in errors[0]
    assert errors[1].startswith("Row 4:") and "status 'maybe'" in errors[1]
    assert "isn't an email address" in errors[1]
    assert JobApplication.objects.filter(owner=user).count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,title\nAcme,Engineer\n", "Row 1: the header needs the column(s) company, role"),
        (b"company,role,applied_on\n", "no applications"),
        ("company,role,applied_on\nÄcme,X,2026-01-01\n".encode("latin-1"), "isn't UTF-8"),
    ],
)
def test_unusable_files_are_explained(data: bytes, message: str) -> None:
    user = make_seeker()
    with pytest.raises(services.CsvImportError) as error:
        services.import_csv(owner=user, data=data)
    assert message in str(error.value)


def test_import_page_lists_the_errors(client: Any) -> None:
    user = make_seeker()
    client.force_login(user)
    upload = SimpleUploadedFile("apps.csv", b"company,role,applied_on\nAcme,,2026-13-01\n")
    page = client.post("/seeker/import/", {"file": upload}).content.decode()
    assert "Nothing was imported." in page
    assert "Row 2: role is empty; applied_on &#x27;2026-13-01&#x27; isn&#x27;t a date" in page
    upload = SimpleUploadedFile("apps.csv", GOOD.encode())
    response = client.post("/seeker/import/", {"file": upload})
    assert response.status_code == 302
    assert client.get("/seeker/export.csv")["Content-Type"].startswith("text/csv")
