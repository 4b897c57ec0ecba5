"""Bad input never fails the page and never half-imports: every bad row is listed with its
line number and a reason a person can act on, and nothing reaches the jobs or candidates."""

from __future__ import annotations

from datetime import datetime

import pytest

from heardback.hiring.models import Application, Candidate, Job
from heardback.imports import services
from heardback.imports.models import ImportChunk, ImportRun, ImportStatus
from tests.imports.conftest import HEADER, Place, rows


def nothing_stored(place: Place, run: ImportRun) -> None:
    assert run.status == ImportStatus.REFUSED
    assert not Candidate.objects.filter(org=place.org).exists()
    assert not Application.objects.filter(org=place.org).exists()
    assert Job.objects.filter(org=place.org).count() == 2
    assert not ImportChunk.objects.filter(run=run).exists()
    with pytest.raises(services.ImportRefused):
        services.start(run=run, actor=place.admin, tell_candidates=False)


def reasons(run: ImportRun) -> dict[int, str]:
    return {bad["line"]: bad["reason"] for bad in run.bad_rows}


def test_every_kind_of_bad_row_is_listed_with_its_line_and_reason(
    place: Place, monday: datetime
) -> None:
    long_name = "A" * 201
    text = rows(
        "Data Engineer,Ada Lovelace,ada@example.net,,,,,,",  # 2: good
        f"Data Engineer,{long_name},long@example.net,,,,,,",  # 3
        "Data Engineer,Bare\rReturn,cr@example.net,,,,,,",  # 4
        "Data Engineer,Nul\x00Byte,nul@example.net,,,,,,",  # 5
        "Data Engineer,Bad Email,not-an-email,,,,,,",  # 6
        "Data Engineer,Bad Stage,stage@example.net,,,,Lunch,,",  # 7
        "Data Engineer,Bad Zone,zone@example.net,,,Mars/Olympus,,,",  # 8
        "data engineer,Ada Again,ADA@example.net,,,,,,",  # 9: duplicate of 2
        "Data Engineer,Bad Language,lang@example.net,,xx,,,,",  # 10
        "Data Engineer,Future,future@example.net,,,,,2999-01-01,",  # 11
        "Data Engineer,Bad Date,date@example.net,,,,,last tuesday,",  # 12
        "Robot Whisperer,Bad Owner,owner@example.net,,,,,,nobody@example.net",  # 13
        "Zookeeper,Closed Job,closed@example.net,,,,,,",  # 14
        "Data Engineer,Too Few,few@example.net",  # 15
        "Data Engineer,Too Many,many@example.net,,,,,,,surprise",  # 16
        "Data Engineer,,noname@example.net,,,,,,",  # 17
        f"Data Engineer,Huge,huge@example.net,{'9' * 200_000},,,,,",  # 18
    )
    run = place.check(text)
    nothing_stored(place, run)
    assert run.total == 17
    assert run.bad_count == 16
    found = reasons(run)
    assert sorted(found) == list(range(3, 19))
    assert found[3] == "name is 201 characters long; at most 200."
    assert "carriage return (CR)" in found[4] and "double quotes" in found[4]
    assert found[5] == "name contains a NUL byte."
    assert found[6] == "email: “not-an-email” is not a valid email address."
    assert found[7].startswith("Unknown stage “Lunch” for “Data Engineer”: the stages are Applied,")
    assert found[8] == "Unknown time zone “Mars/Olympus”: use a name such as Europe/Berlin."
    assert found[9] == "A duplicate of line 2: the same email for the same job."
    assert found[10] == "Language “xx” is not offered (use de, en, es, fr)."
    assert found[11] == "applied_at “2999-01-01” is in the future."
    assert "is not a date like 2026-03-02" in found[12]
    assert found[13].startswith("owner_email “nobody@example.net” is not a member of Acme")
    assert found[14] == (
        "The job “Zookeeper” is closed: only open jobs take imported applications. "
        "Reopen it, or use another title."
    )
    assert found[15] == "This row has 3 cells; the header has 9. Is a delimiter or a quote missing?"
    assert found[16].startswith("This row has 10 cells; the header has 9.")
    assert found[17] == "name is empty."
    assert found[18] == "A cell is longer than 131,072 characters."


def test_several_problems_in_one_row_are_all_named(place: Place, monday: datetime) -> None:
    run = place.check(rows("Data Engineer,,bad,,xx,Nowhere/Else,,,"))
    nothing_stored(place, run)
    [bad] = run.bad_rows
    assert bad["line"] == 2
    for part in ("name is empty", "email:", "Language “xx”", "Unknown time zone"):
        assert part in bad["reason"]


def test_a_new_job_with_two_owners_is_refused(place: Place, monday: datetime) -> None:
    run = place.check(
        rows(
            "Robot Whisperer,Ada,ada@example.net,,,,,,rec@acme.example",
            "Robot Whisperer,Grace,grace@example.net,,,,,,",
            "Robot Whisperer,Alan,alan@example.net,,,,,,admin@acme.example",
        )
    )
    nothing_stored(place, run)
    assert reasons(run) == {
        4: "Line 2 names “rec@acme.example” as the owner of the new job “Robot Whisperer”; "
        "this line names “admin@acme.example”."
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "job_title,name,email,salary,notes\nData Engineer,Ada,ada@example.net,1,\n",
            "Unknown columns “salary” (column 4), “notes” (column 5). The columns are: "
            "job_title, name, email, phone, language, time_zone, stage, applied_at, owner_email.",
        ),
        (
            "job_title,name\nData Engineer,Ada\n",
            "The header needs the column email.",
        ),
        (
            "job_title,name,email,Email\nData Engineer,Ada,ada@example.net,ada@example.net\n",
            "The column email appears twice (columns 3 and 4).",
        ),
        ("\n\n", "The file is empty: it needs a header line and at least one row."),
        (HEADER + "\n", "The file has a header but no rows."),
    ],
)
def test_a_bad_header_refuses_the_file_with_one_clear_reason(
    place: Place, monday: datetime, text: str, reason: str
) -> None:
    run = place.check(text)
    nothing_stored(place, run)
    assert [bad["reason"] for bad in run.bad_rows] == [reason]


def test_utf16_without_a_byte_order_mark_is_explained(place: Place, monday: datetime) -> None:
    run = place.check(rows("Data Engineer,Ada,ada@example.net,,,,,,").encode("utf-16-le"))
    nothing_stored(place, run)
    assert "UTF-16 without a byte-order mark" in run.bad_rows[0]["reason"]


def test_bytes_that_are_not_utf16_make_only_their_line_bad(place: Place, monday: datetime) -> None:
    good = rows("Data Engineer,Ada,ada@example.net,,,,,,").encode("utf-16")
    lone_surrogate = b"\x00\xdc"
    broken = "Data Engineer,Gr".encode("utf-16-le") + lone_surrogate
    broken += "ace,grace@example.net,,,,,,\n".encode("utf-16-le")
    last = "Data Engineer,Alan,alan@example.net,,,,,,\n".encode("utf-16-le")
    run = place.check(good + broken + last)
    nothing_stored(place, run)
    assert reasons(run) == {
        3: "This line has bytes that are not valid UTF-16. Save the file as “CSV UTF-8” and "
        "upload it again."
    }
    assert run.total == 3


def test_only_the_first_bad_rows_are_kept_on_the_run_but_all_are_counted(
    place: Place, monday: datetime
) -> None:
    run = place.check(rows(*[f"Data Engineer,Person {n},bad-{n},,,,,," for n in range(250)]))
    nothing_stored(place, run)
    assert run.bad_count == 250
    assert len(run.bad_rows) == 200
    assert run.bad_rows[-1]["line"] == 201
