"""What a spreadsheet can save is read: UTF-8 with or without a BOM, UTF-16 with one,
Windows-1252; comma, semicolon or tab; LF, CRLF or CR line ends; quoted cells."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from heardback.hiring.models import Candidate
from heardback.imports import services
from heardback.imports.models import ImportStatus
from heardback.promises import scheduler
from tests.imports.conftest import HEADER, Place, rows

SAMPLE = rows(
    "Data Engineer,Jürgen Müller,juergen@example.de,,de,,,,",
    "Data Engineer,Zoë Señor €,zoe@example.es,,es,,,,",
)


def imported(place: Place, run_id: int) -> dict[str, str]:
    run = services.start(
        run=services.ImportRun.objects.get(pk=run_id), actor=place.admin, tell_candidates=False
    )
    scheduler.run_until_idle()
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE, run.error
    return dict(Candidate.objects.filter(org=place.org).values_list("email", "name"))


@pytest.mark.parametrize(
    ("encoding", "described"),
    [
        ("utf-8", "UTF-8"),
        ("utf-8-sig", "UTF-8 (with BOM)"),
        ("utf-16", "UTF-16"),
        ("utf-16-le", "UTF-16"),
        ("utf-16-be", "UTF-16"),
        ("cp1252", "Windows-1252"),
    ],
)
def test_every_encoding_a_spreadsheet_saves_reads_the_same_names(
    place: Place, monday: datetime, encoding: str, described: str
) -> None:
    data = SAMPLE.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    run = place.check(data)
    assert run.status == ImportStatus.READY, run.bad_rows
    assert services.describe_format(run).startswith(described)
    assert imported(place, run.pk) == {
        "juergen@example.de": "Jürgen Müller",
        "zoe@example.es": "Zoë Señor €",
    }


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_the_delimiter_is_sniffed_from_the_header(
    place: Place, monday: datetime, delimiter: str, name: str
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(HEADER.split(","))
    writer.writerow(["Data Engineer", "Ada Lovelace", "ada@example.net", "", "", "", "", "", ""])
    # A cell that holds the other delimiters is just text (quoted where it must be).
    writer.writerow(
        ["Data Engineer", "Smith, Jane; Jr", "jane@example.net", "", "", "", "", "", ""]
    )
    run = place.check(out.getvalue())
    assert run.status == ImportStatus.READY, run.bad_rows
    assert services.describe_format(run).endswith(f"{name}-separated")
    assert imported(place, run.pk) == {
        "ada@example.net": "Ada Lovelace",
        "jane@example.net": "Smith, Jane; Jr",
    }


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_line_ends_of_every_system(place: Place, monday: datetime, ending: str) -> None:
    run = place.check(SAMPLE.replace("\n", ending))
    assert run.status == ImportStatus.READY, run.bad_rows
    assert run.total == 2


def test_a_header_in_other_words_and_order(place: Place, monday: datetime) -> None:
    run = place.check("Email;Name;Job Title\nada@example.net;Ada Lovelace;Data Engineer\n")
    assert run.status == ImportStatus.READY, run.bad_rows
    assert imported(place, run.pk) == {"ada@example.net": "Ada Lovelace"}


def test_a_quoted_cell_over_several_lines_is_one_cell_on_one_line(
    place: Place, monday: datetime
) -> None:
    run = place.check(
        HEADER + '\n"Data\nEngineer",Ada Lovelace,ada@example.net,,,,,,\n'
        "Data Engineer,Grace Hopper,grace@example.net,,,,,,\n"
    )
    assert run.status == ImportStatus.READY, run.bad_rows
    assert run.summary["applications_new"] == 2
    assert [job["title"] for job in run.summary["jobs"]] == ["Data Engineer"]


def test_blank_lines_are_skipped_and_not_counted(place: Place, monday: datetime) -> None:
    run = place.check("\n" + SAMPLE.replace("\n", "\n\n", 1) + ",,,,,,,,\n\n")
    assert run.status == ImportStatus.READY, run.bad_rows
    assert run.total == 2


def test_trailing_delimiters_in_the_header_or_rows_are_harmless(
    place: Place, monday: datetime
) -> None:
    run = place.check(
        "job_title,name,email,,\n"
        "Data Engineer,Ada Lovelace,ada@example.net\n"
        "Data Engineer,Grace Hopper,grace@example.net,,,,\n"
    )
    assert run.status == ImportStatus.READY, run.bad_rows
    assert run.total == 2
