"""The job board and apply form: good input applies, bad input is refused and stores nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from heardback.hiring.models import Application, Candidate, Job, JobStatus
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.portal.models import Attachment, StatusToken
from tests.portal.conftest import token_from

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _odt() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": "ada@example.net",
        "phone": "+44 20 7946 0000",
        "language": "en",
        "time_zone": "Europe/London",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _url(job: Job) -> str:
    return f"/jobs/{job.org.slug}/{job.slug}/"


def _nothing_stored(media_root: Path) -> None:
    assert Application.objects.count() == 0
    assert Candidate.objects.count() == 0
    assert Message.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert StatusToken.objects.count() == 0
    assert not any(p.is_file() for p in Path(media_root).rglob("*"))


def test_job_board_lists_open_jobs_only(client: Client, job: Job, recruiter: Any) -> None:
    from tests import factories

    closed = factories.make_job(org=job.org, title="Retired Role", owner=recruiter)
    closed.status = JobStatus.CLOSED
    closed.save()
    html = client.get(f"/jobs/{job.org.slug}/").content.decode()
    assert "Robot Whisperer" in html
    assert "Retired Role" not in html
    assert client.get(_url(closed)).status_code == 404
    assert client.get("/jobs/no-such-org/").status_code == 404


def test_apply_sends_the_acknowledgement_at_once(
    client: Client, job: Job, monday: Any, smtp_server: Any, media_root: Path
) -> None:
    cv = SimpleUploadedFile("Ada CV.pdf", PDF, content_type="application/pdf")
    response = client.post(_url(job), _form(cv=cv))
    assert response.status_code == 200
    assert "Thank you for applying" in response.content.decode()
    application = Application.objects.get()
    assert application.candidate.time_zone == "Europe/London"
    attachment = Attachment.objects.get(application=application)
    assert attachment.original_name == "Ada CV.pdf"
    stored = Path(media_root) / "portal" / "cv" / attachment.stored_name
    assert stored.read_bytes() == PDF
    assert "Ada" not in attachment.stored_name
    delivery.drain()
    (mail,) = smtp_server.to("ada@example.net")
    assert mail.subject == "We received your application for Robot Whisperer"
    assert "You will hear from you by" not in mail.text
    assert "You will hear from us by Mon 7 Dec" in mail.text
    token = token_from(mail.text)
    assert client.get(f"/s/{token}/").status_code == 200
    # The thank-you page never shows the link: only the mailbox owner gets it.
    assert token not in response.content.decode()


@pytest.mark.parametrize(
    ("name", "content"),
    [("cv.docx", _docx()), ("cv.odt", _odt()), ("cv.txt", "Zoë — Ingeniera\n".encode())],
)
def test_accepted_cv_types(client: Client, job: Job, name: str, content: bytes) -> None:
    response = client.post(_url(job), _form(cv=SimpleUploadedFile(name, content)))
    assert response.status_code == 200, response.content.decode()
    assert Attachment.objects.get().kind == name.rsplit(".", 1)[1]


def test_duplicate_application_is_recognised_without_saying_so(
    client: Client, job: Job, monday: Any
) -> None:
    client.post(_url(job), _form())
    second = client.post(_url(job), _form(email="ADA@Example.NET", name="Ada King"))
    assert second.status_code == 200
    assert "check your inbox" in second.content.decode()
    assert Application.objects.count() == 1
    assert Message.objects.filter(kind="acknowledgement").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"cv": SimpleUploadedFile("cv.pdf", b"MZ\x90\x00 not a pdf")}, "does not look like"),
        ({"cv": SimpleUploadedFile("cv.exe", PDF)}, "Please send your CV as a PDF"),
        ({"cv": SimpleUploadedFile("cv.docx", b"PK\x03\x04garbage")}, "does not look like"),
        ({"cv": SimpleUploadedFile("cv.odt", _docx())}, "does not look like"),
        ({"cv": SimpleUploadedFile("cv.txt", b"\x00\x01\x02binary")}, "does not look like"),
        ({"cv": SimpleUploadedFile("cv.pdf", b"")}, "empty"),
        ({"name": "Ada\r\nBcc: victim@example.com"}, "single line"),
        ({"name": "<script>alert(1)</script>"}, "leave out the characters"),
        ({"name": "x" * 10_000}, "at most 200 characters"),
        ({"email": "ada@example.net\r\nBcc: x@example.com"}, "valid email address"),
        ({"email": "a" * 10_000 + "@example.com"}, "at most 254 characters"),
        ({"phone": "1" * 10_000}, "at most 40 characters"),
        ({"phone": "<b>555</b>"}, "digits, spaces"),
        ({"language": "xx"}, "Select a valid choice"),
        ({"consent": None}, "only consider your application with your consent"),
        ({"name": ""}, "Please tell us your name"),
    ],
)
def test_bad_input_gets_a_clear_error_and_stores_nothing(
    client: Client, job: Job, media_root: Path, overrides: dict[str, Any], field_error: str
) -> None:
    response = client.post(_url(job), _form(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error in html
    assert "Nothing has been saved yet" in html
    assert "<script>alert(1)</script>" not in html
    _nothing_stored(media_root)


def test_oversized_upload_is_refused(client: Client, job: Job, media_root: Path) -> None:
    big = b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)
    response = client.post(_url(job), _form(cv=SimpleUploadedFile("cv.pdf", big)))
    assert response.status_code == 413
    assert "larger than 5 MB" in response.content.decode()
    _nothing_stored(media_root)


def test_just_over_the_limit_is_refused_by_the_field(
    client: Client, job: Job, media_root: Path
) -> None:
    # Small enough to pass the early body-size check, too big for the 5 MB rule.
    data = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 - 2)
    response = client.post(_url(job), _form(cv=SimpleUploadedFile("cv.pdf", data)))
    assert response.status_code == 413
    assert "larger than 5 MB" in response.content.decode()
    _nothing_stored(media_root)


@pytest.mark.parametrize(
    "name", ["José Ñúñez-García", "李小龍", "Zoë O'Brien", "Łukasz Żółć", "محمد علي", "Ngũgĩ"]
)
def test_unicode_names_are_welcome(client: Client, job: Job, name: str) -> None:
    response = client.post(_url(job), _form(name=name))
    assert response.status_code == 200
    assert Candidate.objects.get().name == name


def test_honeypot_looks_successful_and_stores_nothing(
    client: Client, job: Job, media_root: Path
) -> None:
    response = client.post(_url(job), _form(website="http://spam.example"))
    assert response.status_code == 200
    assert "Thank you for applying" in response.content.decode()
    _nothing_stored(media_root)


def test_closed_job_refuses_applications(client: Client, job: Job, media_root: Path) -> None:
    job.status = JobStatus.ON_HOLD
    job.save()
    assert client.post(_url(job), _form()).status_code == 404
    _nothing_stored(media_root)


def test_apply_is_rate_limited_per_address(client: Client, job: Job, settings: Any) -> None:
    settings.PORTAL_RATE_LIMITS = {"apply": (3, 600)}
    for n in range(3):
        assert client.post(_url(job), _form(email=f"a{n}@example.net")).status_code == 200
    response = client.post(_url(job), _form(email="a9@example.net"))
    assert response.status_code == 429
    assert "Please slow down" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert Application.objects.count() == 3
    # Reading the job page is not limited by the POST budget.
    assert client.get(_url(job)).status_code == 200
    # Another address has its own budget.
    other = client.post(_url(job), _form(email="b@example.net"), REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 200
