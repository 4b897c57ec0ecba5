"""Fuzzing what strangers and seekers type: the public apply form, the seeker's forms and
the seeker's CSV import. Raw bytes as a browser (or a script) may send them, including NUL,
control characters, lone surrogates (as invalid UTF-8) and huge values: never a 500, and
nothing half-stored."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heardback.hiring.models import Application, Candidate, Event, EventKind, Job
from heardback.messaging.kinds import MessageKind
from heardback.messaging.models import Message
from heardback.seeker import services as seeker
from heardback.seeker.models import JobApplication, Note
from tests.input.conftest import apply_url
from tests.seeker.conftest import make_seeker

NASTY = [
    "", "\x00", "a\x00b", "\r", "x\ry", "\r\n", "\n", "\t", "\x1b[31m", "\x7f", "\x85",
    "\u2028", "\u202e", "\u200b", "\ufeff", "\ud800", "\udfff", "\U0001f600", "'", '"',
    "<script>alert(1)</script>", "{{ 7*7 }}", "%00", "ana@bücher.example", "root@localhost",
    "a@[127.0.0.1]", "jörg@example.com", "a" * 300, "x" * 70_000, "Ada Lovelace",
    "ada@example.net", "Europe/Berlin", "en", "de", "on", "2026-11-02", "²",
]  # fmt: skip
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.lists(st.sampled_from(NASTY), max_size=4).map("".join),
)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _post(client: Client, url: str, fields: dict[str, str]) -> Any:
    """The fields as raw form bytes: lone surrogates become invalid UTF-8, as a client may
    send, which the test client's own encoder would refuse to build."""
    body = urlencode(fields, encoding="utf-8", errors="surrogatepass")
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


def _every_application_is_whole() -> None:
    """Nothing half-stored: each application has its APPLIED event and acknowledgement."""
    for application in Application.objects.all():
        assert Event.objects.filter(application=application, kind=EventKind.APPLIED).exists()
        assert Message.objects.filter(
            application_id=application.pk, kind=MessageKind.ACKNOWLEDGEMENT
        ).exists()
    assert not Candidate.objects.filter(applications__isnull=True).exists()


@FUZZ
@given(name=TEXT, email=TEXT, phone=TEXT, language=TEXT, time_zone=TEXT, consent=TEXT, website=TEXT)
def test_the_public_apply_form_never_fails_and_never_half_stores(
    client: Client, job: Job, settings: Any, **fields: str
) -> None:
    settings.APPLY_RATE_PER_ADDRESS = "100000/s"
    before = Application.objects.count()
    response = _post(client, apply_url(job), fields)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert Application.objects.count() == before
    _every_application_is_whole()
    for candidate in Candidate.objects.all():
        assert "\x00" not in candidate.name + candidate.email + candidate.phone
        assert candidate.email.isascii()


@pytest.fixture
def seeker_client(db: None, client: Client) -> Client:
    client.force_login(make_seeker())
    return client


@FUZZ
@given(
    company=TEXT, role=TEXT, link=TEXT, contact_name=TEXT, contact_email=TEXT,
    applied_on=TEXT, source=TEXT, notes=TEXT,
)  # fmt: skip
def test_the_seekers_application_form_never_fails(seeker_client: Client, **fields: str) -> None:
    before = JobApplication.objects.count()
    response = _post(seeker_client, "/seeker/applications/new/", fields)
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code != 302:
        assert JobApplication.objects.count() == before


@FUZZ
@given(
    full_name=TEXT, email=TEXT, phone=TEXT, links=TEXT, qualifications=TEXT, country=TEXT,
    subdivision=TEXT, time_zone=TEXT, text=TEXT, held_on=TEXT, promise_phrase=TEXT,
)  # fmt: skip
def test_the_seekers_other_forms_never_fail(seeker_client: Client, **fields: str) -> None:
    profile = {k: fields[k] for k in ("full_name", "email", "phone", "links", "qualifications",
                                      "country", "subdivision", "time_zone")}  # fmt: skip
    assert _post(seeker_client, "/seeker/profile/", profile).status_code in (200, 302, 400)
    app = JobApplication.objects.first()
    if app is None:
        _post(seeker_client, "/seeker/applications/new/",
              {"company": "Acme", "role": "Engineer", "applied_on": "2026-11-02"})  # fmt: skip
        app = JobApplication.objects.get()
    notes = Note.objects.count()
    paste = _post(seeker_client, f"/seeker/applications/{app.pk}/paste/", {"text": fields["text"]})
    assert paste.status_code in (200, 302, 400)
    assert "\x00" not in "".join(Note.objects.values_list("text", flat=True))
    assert Note.objects.count() in (notes, notes + 1)
    interview = {"held_on": fields["held_on"], "kind": "video",
                 "promise_phrase": fields["promise_phrase"], "notes": fields["text"]}  # fmt: skip
    response = _post(seeker_client, f"/seeker/applications/{app.pk}/interviews/new/", interview)
    assert response.status_code in (200, 302, 400)


CELLS = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=20),
    st.just("y" * 140_000),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(st.lists(CELLS, min_size=3, max_size=6), min_size=1, max_size=4))
def test_the_seekers_csv_import_imports_all_or_nothing(db: None, rows: list[list[str]]) -> None:
    user = make_seeker()
    lines = ["company,role,applied_on,status,notes"] + [",".join(r) for r in rows]
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    try:
        count = seeker.import_csv(owner=user, data=data)
    except seeker.CsvImportError as error:
        assert error.errors
        assert not JobApplication.objects.filter(owner=user).exists()
    else:
        assert JobApplication.objects.filter(owner=user).count() == count
        stored = JobApplication.objects.filter(owner=user).values_list("company", "role", "notes")
        assert not any("\x00" in "".join(row) for row in stored)
