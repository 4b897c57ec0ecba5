"""An import that crashes resumes where it stopped and creates nothing twice; one that
fails for good can be undone; undo removes everything the run created except what a
candidate has already been told about, which it lists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.models import (
    Application,
    Candidate,
    DeclineReason,
    Event,
    Job,
    Pipeline,
    Stage,
)
from heardback.imports import importing, services
from heardback.imports.models import ImportedApplication, ImportRun, ImportStatus
from heardback.imports.steps import run_imports
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.runtime.models import Fault
from tests.imports.conftest import Place, rows

FIFTY = rows(*[f"Data Engineer,Person {n},p{n}@example.net,,,,,," for n in range(50)])


def steps_until_idle() -> int:
    total = 0
    while handled := run_imports(now=clock.now(), limit=500):
        total += handled
    return total


def started(place: Place, text: str, *, tell: bool = False, chunk_size: int = 10) -> ImportRun:
    run = place.check(text, chunk_size=chunk_size)
    assert run.status == ImportStatus.READY, run.bad_rows
    return services.start(run=run, actor=place.admin, tell_candidates=tell)


def test_a_crash_in_one_chunk_is_rolled_back_and_the_run_resumes_there(
    place: Place, monday: datetime, monkeypatch: pytest.MonkeyPatch, time_machine: Any
) -> None:
    run = started(place, FIFTY)
    real = importing.import_rows
    calls = {"n": 0}

    def crash_in_the_third_chunk(*args: Any, **kwargs: Any) -> importing.ChunkResult:
        calls["n"] += 1
        result = real(*args, **kwargs)  # the chunk's work is done...
        if calls["n"] == 3:
            raise RuntimeError("the disk caught fire")  # ...and lost
        return result

    monkeypatch.setattr(services, "import_rows", crash_in_the_third_chunk)
    steps_until_idle()
    run.refresh_from_db()
    assert run.status == ImportStatus.RUNNING
    assert run.done == 20
    assert Application.objects.filter(org=place.org).count() == 20
    fault = Fault.objects.get(source="run_imports", item=f"import:{run.pk}")
    assert "the disk caught fire" in fault.last_error and fault.resolved_at is None
    # After the backoff the same scheduler step picks it up again where it stopped.
    time_machine.move_to(clock.now() + timedelta(minutes=2), tick=False)
    steps_until_idle()
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert run.done == 50 and run.applications_created == 50
    assert Application.objects.filter(org=place.org).count() == 50
    assert Candidate.objects.filter(org=place.org).count() == 50
    assert ImportedApplication.objects.filter(run=run).count() == 50
    fault.refresh_from_db()
    assert fault.resolved_at is not None


def test_a_process_that_dies_holding_the_run_is_relieved_when_its_lease_runs_out(
    place: Place, monday: datetime, time_machine: Any
) -> None:
    run = place.check(FIFTY, chunk_size=10)
    services.start(run=run, actor=place.admin, tell_candidates=False, hold_lease=True)
    assert services.run_chunk(run.pk, hold_lease=True) == 10  # then the command is killed
    assert steps_until_idle() == 0  # its lease still holds
    time_machine.move_to(clock.now() + services.LEASE + timedelta(seconds=1), tick=False)
    assert steps_until_idle() == 40
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert Application.objects.filter(org=place.org).count() == 50


def test_undo_removes_everything_the_run_created_and_nothing_else(
    place: Place, monday: datetime
) -> None:
    known = hiring.apply(job=place.job, name="Known Person", email="known@example.net")
    known_events = Event.objects.filter(application=known).count()
    pipelines = Pipeline.objects.filter(org=place.org).count()
    run = started(
        place,
        rows(
            "Data Engineer,Ada Lovelace,ada@example.net,,,,,,",
            "Data Engineer,Known Person,known@example.net,,,,,,",  # exists: left alone
            "Robot Whisperer,Known Person,known@example.net,,,,,,",
            "Robot Whisperer,Grace Hopper,grace@example.net,,,,Interview,,",
        ),
    )
    steps_until_idle()
    assert Application.objects.filter(org=place.org).count() == 4
    run = services.undo(run=ImportRun.objects.get(pk=run.pk), actor=place.admin)
    assert run.status == ImportStatus.UNDOING and run.undo_total == 3
    steps_until_idle()
    run.refresh_from_db()
    assert run.status == ImportStatus.UNDONE
    assert (run.applications_removed, run.candidates_removed, run.jobs_removed) == (3, 2, 1)
    assert run.kept_count == 0 and run.undone_by == place.admin
    assert list(Application.objects.filter(org=place.org)) == [known]
    assert list(Candidate.objects.filter(org=place.org)) == [known.candidate]
    assert set(Job.objects.filter(org=place.org)) == {place.job, place.closed_job}
    assert Pipeline.objects.filter(org=place.org).count() == pipelines
    assert Event.objects.filter(application=known).count() == known_events
    assert not ImportedApplication.objects.filter(run=run).exists()


def test_undo_keeps_and_lists_what_a_candidate_was_already_told(
    place: Place, monday: datetime, smtp_server: Any
) -> None:
    run = started(
        place,
        rows(
            "Robot Whisperer,Ada Lovelace,ada@example.net,,,,,,",
            "Robot Whisperer,Grace Hopper,grace@example.net,,,,,,",
            "Robot Whisperer,Alan Turing,alan@example.net,,,,,,",
        ),
    )
    steps_until_idle()
    ada, grace, alan = Application.objects.filter(org=place.org).order_by("pk")
    hiring.advance(application=ada, actor=place.admin)  # Ada is told she is in review
    delivery.drain()
    assert len(smtp_server.to("ada@example.net")) == 1
    hiring.decline(application=grace, reason=DeclineReason.OTHER, actor=place.admin)
    assert Message.objects.get(application_id=grace.pk).status == "queued"  # not sent yet
    services.undo(run=run, actor=place.admin)
    steps_until_idle()
    run.refresh_from_db()
    assert run.status == ImportStatus.UNDONE
    assert run.applications_removed == 2 and run.candidates_removed == 2
    assert run.jobs_removed == 0  # Ada's application still needs it
    assert run.kept_count == 2
    assert run.kept[0] == {
        "application": ada.pk,
        "name": "Ada Lovelace",
        "email": "ada@example.net",
        "job": "Robot Whisperer",
        "why": "A message already went to them.",
    }
    assert run.kept[1]["job"] == "Robot Whisperer"
    assert run.kept[1]["why"].startswith("The job stays: 1 application")
    assert list(Application.objects.filter(org=place.org)) == [ada]
    # Grace's decline never goes out: it went with her application.
    assert not Message.objects.filter(application_id__in=[grace.pk, alan.pk]).exists()
    delivery.drain()
    assert smtp_server.to("grace@example.net") == []


def test_undo_cancels_acknowledgements_not_yet_sent(
    place: Place, monday: datetime, smtp_server: Any
) -> None:
    run = started(place, rows("Data Engineer,Ada Lovelace,ada@example.net,,,,,,"), tell=True)
    steps_until_idle()
    assert Message.objects.filter(org_id=place.org.pk).count() == 1
    services.undo(run=run, actor=place.admin)
    steps_until_idle()
    delivery.drain()
    assert smtp_server.received == []
    assert not Message.objects.filter(org_id=place.org.pk).exists()
    assert not Candidate.objects.filter(org=place.org).exists()


def test_a_run_that_fails_partway_says_why_and_can_be_undone(
    place: Place, monday: datetime
) -> None:
    text = rows(
        *[f"Data Engineer,Person {n},p{n}@example.net,,,,,," for n in range(10)],
        *[f"Data Engineer,Person {n},p{n}@example.net,,,,Interview,," for n in range(10, 20)],
    )
    run = started(place, text)
    Stage.objects.filter(pipeline=place.job.pipeline, name="Interview").update(name="Talk")
    steps_until_idle()
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert run.error == "Line 12: the stage “Interview” of “Data Engineer” no longer exists."
    assert run.done == 10
    assert Application.objects.filter(org=place.org).count() == 10
    services.undo(run=run, actor=place.admin)
    steps_until_idle()
    run.refresh_from_db()
    assert run.status == ImportStatus.UNDONE and run.applications_removed == 10
    assert not Application.objects.filter(org=place.org).exists()
    assert not Candidate.objects.filter(org=place.org).exists()


def test_undo_stops_a_run_still_going(place: Place, monday: datetime) -> None:
    run = started(place, FIFTY)
    assert services.run_chunk(run.pk) == 10
    services.undo(run=run, actor=place.admin)
    steps_until_idle()
    run.refresh_from_db()
    assert run.status == ImportStatus.UNDONE and run.done == 10
    assert run.applications_removed == 10
    assert not Application.objects.filter(org=place.org).exists()


@pytest.mark.parametrize("state", ["ready", "refused", "undone"])
def test_only_a_started_run_can_be_undone(place: Place, monday: datetime, state: str) -> None:
    if state == "refused":
        run = place.check(rows("Data Engineer,Ada,nope,,,,,,"))
    else:
        run = place.check(rows("Data Engineer,Ada,ada@example.net,,,,,,"))
    if state == "undone":
        services.start(run=run, actor=place.admin, tell_candidates=False)
        steps_until_idle()
        services.undo(run=run, actor=place.admin)
        steps_until_idle()
    with pytest.raises(services.ImportRefused, match="can't be undone"):
        services.undo(run=run, actor=place.admin)
