"""The import pages: admins only, scoped to their org; upload, dry run, confirm, progress
(htmx polling like bulk actions), undo, the list of every bad row; never a 500."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from heardback import clock
from heardback.hiring.models import Application, Role
from heardback.imports import columns, storage
from heardback.imports.models import ImportRun, ImportStatus
from heardback.imports.steps import run_imports
from tests import factories
from tests.imports.conftest import Place, rows


def client_for(member: Any) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def upload(client: Client, content: bytes, name: str = "people.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("imports:index"), {"file": SimpleUploadedFile(name, content)})


def run_of(response: Any) -> ImportRun:
    assert response.status_code == 302, response.content.decode()[:3000]
    return ImportRun.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def steps_until_idle() -> None:
    while run_imports(now=clock.now(), limit=500):
        pass


def test_upload_check_confirm_progress_and_summary(place: Place, monday: datetime) -> None:
    client = client_for(place.admin)
    assert (
        "Import applications from a CSV file"
        in client.get(reverse("imports:index")).content.decode()
    )
    run = run_of(
        upload(
            client,
            rows(
                "Data Engineer,Ada Lovelace,ada@example.net,,,,Interview,,",
                "Robot Whisperer,<b>Grace</b>,grace@example.net,,,,,,",
            ).encode(),
        )
    )
    page = client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert "What the import would create" in page
    assert "Interview: 1" in page and "Robot Whisperer" in page
    assert "Tell the candidates" in page
    response = client.post(reverse("imports:start", args=[run.pk]), {})
    assert response.status_code == 302
    progress = client.get(
        reverse("imports:detail", args=[run.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'hx-trigger="every 1s"' in progress and "0 of 2 rows imported" in progress
    steps_until_idle()
    done = client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert "100%" in done and "Imported: 2 applications" in done
    assert 'hx-trigger="every 1s"' not in done
    assert "Undo this import" in done
    assert Application.objects.filter(org=place.org).count() == 2
    # Starting it again does nothing but say so.
    again = client.post(reverse("imports:start", args=[run.pk]), {}, follow=True)
    assert "can&#x27;t be started: it is imported" in again.content.decode()


def test_undo_from_the_console(place: Place, monday: datetime) -> None:
    client = client_for(place.admin)
    run = run_of(upload(client, rows("Data Engineer,Ada Lovelace,ada@example.net,,,,,,").encode()))
    client.post(reverse("imports:start", args=[run.pk]), {})
    steps_until_idle()
    response = client.post(reverse("imports:undo", args=[run.pk]), follow=True)
    assert "Undoing the import" in response.content.decode()
    steps_until_idle()
    page = client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert "Undone: 1 application, 1 candidate and 0 jobs removed." in page
    assert not Application.objects.filter(org=place.org).exists()


def test_bad_rows_are_listed_on_the_page_and_all_of_them_downloadable(
    place: Place, monday: datetime
) -> None:
    client = client_for(place.admin)
    run = run_of(
        upload(
            client, rows(*[f"Data Engineer,=Person {n},bad-{n},,,,,," for n in range(210)]).encode()
        )
    )
    assert run.status == ImportStatus.REFUSED
    page = client.get(reverse("imports:detail", args=[run.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "210 bad rows: nothing can be imported from this file" in text
    assert "Download all 210 bad rows (CSV)" in text
    download = client.get(reverse("imports:problems", args=[run.pk]))
    assert download["Cache-Control"] == "no-store"
    assert download["Content-Disposition"].startswith("attachment;")
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert table[0] == ["line", "problem"]
    assert len(table) == 211
    assert table[1] == ["2", "email: “bad-0” is not a valid email address."]
    assert not Application.objects.filter(org=place.org).exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"PK\x03\x04rest-of-a-zip", "people.xlsx", "This is a spreadsheet workbook"),
        (b"", "empty.csv", "The submitted file is empty."),
    ],
)
def test_files_that_are_not_csv_are_refused_on_the_form(
    place: Place, monday: datetime, content: bytes, name: str, message: str
) -> None:
    response = upload(client_for(place.admin), content, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_file_over_the_size_limit_is_refused(
    place: Place, monday: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "MAX_BYTES", 100)
    response = upload(
        client_for(place.admin), rows("Data Engineer,Ada,a@example.net,,,,,,").encode() * 3
    )
    assert response.status_code == 400
    assert "The file is larger than" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_only_admins_see_the_import_pages(place: Place, monday: datetime) -> None:
    run = place.check(rows("Data Engineer,Ada,ada@example.net,,,,,,"))
    manager = factories.make_member(org=place.org, role=Role.HIRING_MANAGER)
    urls = [
        ("get", reverse("imports:index")),
        ("get", reverse("imports:example")),
        ("get", reverse("imports:detail", args=[run.pk])),
        ("post", reverse("imports:start", args=[run.pk])),
        ("post", reverse("imports:undo", args=[run.pk])),
        ("get", reverse("imports:problems", args=[run.pk])),
    ]
    for member in (place.recruiter, manager):
        client = client_for(member)
        for method, url in urls:
            assert getattr(client, method)(url).status_code == 403, url
    anonymous = Client()
    assert anonymous.get(reverse("imports:index")).status_code == 302
    run.refresh_from_db()
    assert run.status == ImportStatus.READY


def test_an_admin_of_another_org_finds_nothing(place: Place, monday: datetime) -> None:
    run = place.check(rows("Data Engineer,Ada,ada@example.net,,,,,,"))
    other = factories.make_org(name="Zeta Zoo")
    stranger = factories.make_member(org=other, role=Role.ADMIN)
    client = client_for(stranger)
    assert client.get(reverse("imports:detail", args=[run.pk])).status_code == 404
    assert client.post(reverse("imports:start", args=[run.pk])).status_code == 404
    assert client.post(reverse("imports:undo", args=[run.pk])).status_code == 404
    assert client.get(reverse("imports:problems", args=[run.pk])).status_code == 404
    assert "Ada" not in client.get(reverse("imports:index")).content.decode()
    run.refresh_from_db()
    assert run.status == ImportStatus.READY


def test_the_jobs_page_links_admins_to_the_import(place: Place, monday: datetime) -> None:
    link = reverse("imports:index")
    assert link in client_for(place.admin).get(reverse("console:jobs")).content.decode()
    assert link not in client_for(place.recruiter).get(reverse("console:jobs")).content.decode()


def test_the_example_file_is_a_good_file(place: Place, monday: datetime) -> None:
    factories.make_member(org=place.org, role=Role.RECRUITER, email="rita@acme.example")
    response = client_for(place.admin).get(reverse("imports:example"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode() == columns.EXAMPLE
    run = place.check(columns.EXAMPLE)
    assert run.status == ImportStatus.READY, run.bad_rows
    assert run.summary["applications_new"] == 3
