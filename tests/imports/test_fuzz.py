"""Whatever is in the cells (NUL bytes, control characters, lone surrogates, huge cells,
quotes, formulas) and however it is encoded, an upload never fails the page, a file with
a bad row stores nothing, and a good one imports exactly what its dry run promised."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from heardback.hiring.models import Application, Candidate, Job
from heardback.imports import services
from heardback.imports.models import ImportChunk, ImportRun, ImportStatus
from tests.imports.conftest import HEADER, Place

NASTY = [
    "",
    "\x00",
    "a\x00b",
    "\r",
    "x\ry",
    "\r\n",
    "\n",
    '"',
    '""',
    "\ufeff",
    "\ud800",
    "\udfff",
    '=HYPERLINK("http://evil.example")',
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "A" * 300,
    "9" * 140_000,
    "\x85\u2028\u2029\x1c",
    "Ünïcødé 😀",
    "Europe/Berlin",
    "Mars/Olympus",
    "Interview",
    "de",
    "2026-02-30",
    "2026-01-15",
    ",;\t",
]
cells = st.one_of(st.sampled_from(NASTY), st.text(max_size=30))
emails = st.one_of(
    st.sampled_from(["ada@example.net", "ADA@example.net", "grace@example.net", "x@y"]),
    st.builds("{}@example.net".format, st.text("abcdefghij0123456789.-_+", min_size=1, max_size=8)),
    cells,
)
GOOD_REST = ["+49 30 1", "de", "Europe/Berlin", "Interview", "2026-01-15", ""]
titles = st.sampled_from(["Data Engineer", "Robot Whisperer", "=cmd|' /C calc'!A0"])
names = st.sampled_from(["Ada Lovelace", "Zoë Señor", "=1+1", "O'Brien", '"Quoted"', "Smith, J"])
row = st.tuples(
    st.one_of(titles, titles, cells),
    st.one_of(names, names, cells),
    emails,
    # Mostly the optional cells a real file has, sometimes anything at all.
    st.one_of(st.just(GOOD_REST), st.just(["", "", "", "", "", ""]), st.lists(cells, max_size=8)),
)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]


def render(rows: list[Any], *, delimiter: str, quoted: bool, encoding: str) -> bytes:
    header = HEADER.replace(",", delimiter)
    if quoted:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter)
        for title, name, email, rest in rows:
            writer.writerow([title, name, email, *rest])
        body = out.getvalue()
    else:
        body = "".join(
            delimiter.join([title, name, email, *rest]) + "\n" for title, name, email, rest in rows
        )
    text = header + "\n" + body
    errors = "replace" if encoding == "cp1252" else "surrogatepass"
    return text.encode(encoding, errors=errors)


def counts(place: Place) -> tuple[int, int, int]:
    return (
        Application.objects.filter(org=place.org).count(),
        Candidate.objects.filter(org=place.org).count(),
        Job.objects.filter(org=place.org).count(),
    )


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(row, min_size=0, max_size=6),
    delimiter=st.sampled_from([",", ";", "\t"]),
    quoted=st.booleans(),
    encoding=st.sampled_from(ENCODINGS),
)
def test_no_upload_fails_and_nothing_is_half_stored(
    place: Place,
    monday: datetime,
    rows: list[Any],
    delimiter: str,
    quoted: bool,
    encoding: str,
) -> None:
    client = Client()
    client.force_login(place.admin.user)
    before = counts(place)
    content = render(rows, delimiter=delimiter, quoted=quoted, encoding=encoding)
    response = client.post(
        reverse("imports:index"), {"file": SimpleUploadedFile("fuzz.csv", content)}
    )
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        return
    run = ImportRun.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert counts(place) == before
    event(run.status)
    if run.status == ImportStatus.REFUSED:
        assert run.bad_count >= 1 and run.bad_rows
        assert all(isinstance(bad["line"], int) and bad["reason"] for bad in run.bad_rows)
        assert not ImportChunk.objects.filter(run=run).exists()
        return
    assert run.status == ImportStatus.READY
    services.start(run=run, actor=place.admin, tell_candidates=False)
    while services.run_chunk(run.pk):
        pass
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE, run.error
    assert counts(place)[0] - before[0] == run.summary["applications_new"]
    assert client.get(response["Location"]).status_code == 200
    services.undo(run=run, actor=place.admin)
    while services.run_chunk(run.pk):
        pass
    assert counts(place) == before


printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60
).filter(lambda text: text.strip() and "\ufeff" not in text)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    names=st.lists(printable, min_size=1, max_size=5),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_any_printable_name_is_stored_as_the_text_it_is(
    place: Place, monday: datetime, names: list[str], delimiter: str, encoding: str
) -> None:
    from heardback.messaging.headers import single_line

    emails = [f"fuzz{n}@example.net" for n in range(len(names))]
    rows = [
        ("Data Engineer", name, email, [""] * 6) for name, email in zip(names, emails, strict=True)
    ]
    run = place.check(render(rows, delimiter=delimiter, quoted=True, encoding=encoding))
    assert run.status == ImportStatus.READY, run.bad_rows
    services.start(run=run, actor=place.admin, tell_candidates=False)
    while services.run_chunk(run.pk):
        pass
    stored = dict(Candidate.objects.filter(email__in=emails).values_list("email", "name"))
    assert stored == {
        email: single_line(name, max_length=10_000)
        for name, email in zip(names, emails, strict=True)
    }
    services.undo(run=run, actor=place.admin)
    while services.run_chunk(run.pk):
        pass
