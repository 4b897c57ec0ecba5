"""The dry run says what would be created; the import creates exactly that, in chunks, with
a promise per stage; formula cells are stored as the text they are; the command does the
same as the console."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Candidate, Event, EventKind, Job
from heardback.imports import services
from heardback.imports.checking import spreadsheet_safe
from heardback.imports.importing import import_rows
from heardback.imports.models import ImportChunk, ImportedApplication, ImportStatus
from heardback.messaging.models import Message
from heardback.promises import scheduler
from tests.imports.conftest import Place, rows

MIXED = rows(
    "Data Engineer,Ada Lovelace,ada@example.net,+44 20 7946 0000,en,Europe/London,Interview,"
    "2026-02-16,",
    "Data Engineer,Grace Hopper,grace@example.net,,,,,2026-02-20T09:30,",
    "Data Engineer,Known Person,KNOWN@example.net,,,,,,",  # applied already
    "Robot Whisperer,Jürgen Schmidt,juergen@example.de,,de,,recruiter SCREEN,,rec@acme.example",
    "Robot Whisperer,Known Person,known@example.net,,,,,,",  # known candidate, new application
    "Night Owl,Nora Night,nora@example.net,,es,America/Mexico_City,,,",
)


@pytest.fixture
def known(place: Place, monday: datetime) -> Application:
    return hiring.apply(job=place.job, name="Known Person", email="known@example.net")


def import_all(place: Place, text: str, *, tell: bool = False) -> services.ImportRun:
    run = place.check(text)
    assert run.status == ImportStatus.READY, run.bad_rows
    services.start(run=run, actor=place.admin, tell_candidates=tell)
    scheduler.run_until_idle()
    run.refresh_from_db()
    return run


def test_the_dry_run_says_what_would_be_created_and_creates_nothing(
    place: Place, known: Application
) -> None:
    run = place.check(MIXED)
    assert run.status == ImportStatus.READY
    summary = run.summary
    assert summary["applications_new"] == 5
    assert summary["applications_existing"] == 1
    assert (summary["candidates_new"], summary["candidates_existing"]) == (4, 1)
    assert (summary["jobs_new"], summary["jobs_existing"]) == (2, 1)
    jobs = {job["title"]: job for job in summary["jobs"]}
    assert jobs["Data Engineer"]["stages"] == [["Applied", 1], ["Interview", 1]]
    assert jobs["Data Engineer"]["existing"] == 1 and not jobs["Data Engineer"]["new"]
    assert jobs["Robot Whisperer"]["stages"] == [["Applied", 1], ["Recruiter screen", 1]]
    assert jobs["Robot Whisperer"]["owner"] == "rec@acme.example"
    assert jobs["Night Owl"]["new"] and jobs["Night Owl"]["owner"] == ""
    assert Job.objects.filter(org=place.org).count() == 2
    assert Candidate.objects.filter(org=place.org).count() == 1
    assert ImportChunk.objects.filter(run=run).count() == 1


def test_the_import_creates_what_the_dry_run_said_with_a_promise_per_stage(
    place: Place, known: Application
) -> None:
    before = Message.objects.count()
    run = import_all(place, MIXED)
    assert run.status == ImportStatus.DONE
    assert (run.applications_created, run.applications_existing) == (5, 1)
    assert (run.candidates_created, run.jobs_created) == (4, 2)
    assert run.done == run.total == 6
    assert not ImportChunk.objects.filter(run=run).exists()
    now = clock.now()
    imported = Application.objects.filter(org=place.org).exclude(pk=known.pk)
    assert imported.count() == 5
    for application in imported.select_related("stage", "candidate", "org", "job"):
        assert application.respond_by == hiring.promise_for(
            application, stage=application.stage, start=now
        )
        assert application.last_contacted_at == now and application.last_automated_at is None
        assert application.stage_entered_at == now
    ada = imported.get(candidate__email="ada@example.net")
    assert ada.stage.name == "Interview"
    assert ada.created_at.isoformat() == "2026-02-15T23:00:00+00:00"  # Berlin midnight
    assert ada.candidate.phone == "+44 20 7946 0000"
    assert ada.candidate.time_zone == "Europe/London"
    grace = imported.get(candidate__email="grace@example.net")
    assert grace.stage.name == "Applied" and grace.candidate.time_zone == "Europe/Berlin"
    whisperer = Job.objects.get(org=place.org, title="Robot Whisperer")
    assert whisperer.owner == place.recruiter
    assert Job.objects.get(org=place.org, title="Night Owl").owner == place.admin
    juergen = imported.get(candidate__email="juergen@example.de")
    assert juergen.stage.name == "Recruiter screen" and juergen.candidate.language == "de"
    # The known candidate kept their details and their application; got one more.
    assert Candidate.objects.filter(org=place.org, email__iexact="known@example.net").count() == 1
    assert known.candidate.applications.count() == 2
    # Nobody was told: nothing queued for anyone imported.
    assert Message.objects.count() == before
    events = Event.objects.filter(application__in=imported, kind=EventKind.APPLIED)
    assert events.count() == 5
    event = events.get(application=ada)
    assert event.actor == place.admin.user
    assert event.data == {"source": "import", "import_run": run.pk, "line": 2}
    assert ImportedApplication.objects.filter(run=run).count() == 5
    assert ImportedApplication.objects.filter(run=run, candidate_id__isnull=False).count() == 4
    assert ImportedApplication.objects.filter(run=run, job_id__isnull=False).count() == 2


def test_formula_cells_are_stored_as_the_text_they_are(place: Place, monday: datetime) -> None:
    run = import_all(
        place,
        rows(
            'Data Engineer,"=HYPERLINK(""http://evil.example"",""click"")",f1@example.net,,,,,,',
            "Data Engineer,@SUM(A1:A9),f2@example.net,+49 30 1234567,,,,,",
            "Data Engineer,-2+3,f3@example.net,-1,,,,,",
            'Data Engineer,"\t=1+1",f4@example.net,,,,,,',
            "=cmd|' /C calc'!A0,Macro Job,f5@example.net,,,,,,",
        ),
    )
    assert run.status == ImportStatus.DONE
    people = dict(Candidate.objects.filter(org=place.org).values_list("email", "name"))
    assert people == {
        "f1@example.net": '=HYPERLINK("http://evil.example","click")',
        "f2@example.net": "@SUM(A1:A9)",
        "f3@example.net": "-2+3",
        "f4@example.net": "=1+1",
        "f5@example.net": "Macro Job",
    }
    assert Candidate.objects.get(email="f2@example.net").phone == "+49 30 1234567"
    assert Job.objects.filter(org=place.org, title="=cmd|' /C calc'!A0").exists()


def test_a_spreadsheet_export_of_any_of_it_defuses_formulas() -> None:
    assert spreadsheet_safe("=1+1") == "'=1+1"
    assert spreadsheet_safe("+49 30") == "'+49 30"
    assert spreadsheet_safe("-2") == "'-2"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("\t=1") == "'\t=1"
    assert spreadsheet_safe("Ada") == "Ada"


def test_a_chunk_done_twice_creates_nothing_twice(place: Place, monday: datetime) -> None:
    run = place.check(MIXED)
    run = services.start(run=run, actor=place.admin, tell_candidates=False)
    [chunk] = ImportChunk.objects.filter(run=run)
    first = import_rows(run, chunk.rows, actor=place.admin, now=clock.now())
    again = import_rows(run, chunk.rows, actor=place.admin, now=clock.now())
    assert first.applications_created == 6
    assert (again.applications_created, again.candidates_created, again.jobs_created) == (0, 0, 0)
    assert again.applications_existing == 6
    assert Application.objects.filter(org=place.org).count() == 6
    assert Candidate.objects.filter(org=place.org).count() == 5


def test_chunks_follow_the_file_and_progress_is_saved_after_each(
    place: Place, monday: datetime
) -> None:
    text = rows(*[f"Data Engineer,Person {n},p{n}@example.net,,,,,," for n in range(25)])
    run = place.check(text, chunk_size=10)
    assert ImportChunk.objects.filter(run=run).count() == 3
    services.start(run=run, actor=place.admin, tell_candidates=False)
    seen = []
    while services.run_chunk(run.pk):
        run.refresh_from_db()
        seen.append(run.done)
    assert seen == [10, 20, 25]
    assert run.status == ImportStatus.DONE and run.percent == 100
    first = Application.objects.filter(org=place.org).order_by("pk").first()
    assert first is not None and first.candidate.email == "p0@example.net"


def test_untold_candidates_hear_from_the_watchdog_within_the_silence_window(
    place: Place, monday: datetime, time_machine: Any
) -> None:
    run = import_all(place, rows("Data Engineer,Ada Lovelace,ada@example.net,,,,,,"))
    ada = Application.objects.get(org=place.org)
    assert not Message.objects.filter(application_id=ada.pk).exists()
    imported_at = clock.now()
    while clock.now() < imported_at + timedelta(days=7):
        time_machine.move_to(clock.now() + timedelta(hours=4), tick=False)
        scheduler.run_until_idle()
    first = Message.objects.filter(application_id=ada.pk).order_by("created_at").first()
    assert first is not None, "the candidate was never told anything"
    assert first.created_at <= imported_at + timedelta(days=7)
    assert run.tell_candidates is False


def test_the_command_checks_imports_and_reports(place: Place, monday: datetime) -> None:
    path = place.write(MIXED)
    out = StringIO()
    call_command(
        "import_csv", str(path), org=place.org.slug, as_email="admin@acme.example", dry_run=True,
        stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "6 rows (UTF-8, comma-separated)" in text
    assert "Would create 6 applications, 5 candidates and 2 jobs" in text
    assert "Robot Whisperer (new): Applied: 1, Recruiter screen: 1" in text
    assert "Dry run: nothing was imported." in text
    assert not Application.objects.filter(org=place.org).exists()
    out = StringIO()
    call_command(
        "import_csv", str(path), org=place.org.slug, as_email="admin@acme.example", stdout=out
    )
    text = out.getvalue()
    assert "\rImported 6 of 6 rows (100%)" in text
    assert "Imported: 6 applications, 5 new candidates, 2 new jobs." in text
    assert Application.objects.filter(org=place.org).count() == 6


def test_the_command_lists_every_bad_row_and_exits_1(place: Place, monday: datetime) -> None:
    path = place.write(rows("Data Engineer,Ada,nope,,,,,,", "Data Engineer,,b@example.net,,,,,,"))
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "import_csv", str(path), org=place.org.slug, as_email="admin@acme.example",
            stdout=out,
        )  # fmt: skip
    assert exit_.value.code == 1
    text = out.getvalue()
    assert "2 bad rows; nothing was imported:" in text
    assert "line 2: email: “nope” is not a valid email address." in text
    assert "line 3: name is empty." in text
    assert not Candidate.objects.filter(org=place.org).exists()


def test_the_command_is_for_admins(place: Place, monday: datetime) -> None:
    from django.core.management.base import CommandError

    path = place.write(MIXED)
    with pytest.raises(CommandError, match="is not an admin"):
        call_command("import_csv", str(path), org=place.org.slug, as_email="rec@acme.example")
