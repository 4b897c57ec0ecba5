"""Close-out: every remaining active candidate gets one final, kind message, exactly once.

What arrives is checked at a real SMTP server: the message in the candidate's language, with
their first name (escaped in the HTML part), once, however often the steps run or race.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from heardback import clock
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Event,
    EventKind,
    Job,
    JobStatus,
    Role,
)
from heardback.hiring.selectors import timeline
from heardback.messaging import delivery
from heardback.messaging.models import Message, MessageStatus
from heardback.promises import closeout, scheduler, services
from heardback.promises.models import CloseOut
from tests.factories import make_application, make_job, make_member, make_org
from tests.smtp import SmtpServer

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
TRICKY_NAME = '<b>Zoë&"Al"</b> Doe'  # first name: <b>Zoë&"Al"</b>

# What a candidate reads first, in their own language.
GREETING = {"en": "Hello {},", "de": "Hallo {},", "es": "Hola, {}:", "fr": "Bonjour {},"}
CLOSED = {
    "en": "has been closed",
    "de": "wurde geschlossen",
    "es": "se ha cerrado",
    "fr": "a été fermé",
}

PEOPLE: list[dict[str, Any]] = [
    {"name": "Anna Smith", "language": "en", "first": "Anna"},
    {"name": "Jörg Müller", "language": "de", "first": "Jörg"},
    {"name": "Lucía García", "language": "es", "first": "Lucía"},
    {"name": "Élodie Tremblay", "language": "fr", "first": "Élodie"},
    {"name": TRICKY_NAME, "language": "en", "first": '<b>Zoë&"Al"</b>'},
    {"name": "Olga Optout", "language": "de", "first": "Olga", "opted_out": True},
    {"name": "Pete Pending", "language": "es", "first": "Pete", "pending_decline": True},
]


def _people(job: Job) -> list[tuple[dict[str, Any], Application]]:
    made = []
    for n, person in enumerate(PEOPLE):
        application = make_application(
            job=job,
            name=person["name"],
            email=f"person{n}@example.net",
            language=person["language"],
        )
        if person.get("opted_out"):
            application.candidate.progress_updates_opt_out = True
            application.candidate.save()
        if person.get("pending_decline"):
            services.schedule_decline(
                application=application, reason="experience", actor=None, delay_business_days=3
            )
        made.append((person, application))
    return made


def _final_messages(application_id: int) -> list[Message]:
    return list(Message.objects.filter(application_id=application_id, final=True))


@pytest.mark.django_db
def test_close_out_sends_each_candidate_one_final_message_in_their_language(
    smtp_server: SmtpServer,
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        admin = make_member(org=org, role=Role.ADMIN)
        job = make_job(org=org, title="Data Engineer")
        people = _people(job)
        other_job = make_job(org=org, title="Designer")
        bystander = make_application(job=other_job, email="bystander@example.net")
        delivery.drain()
        smtp_server.handler.received.clear()

        traveller.move_to(START + timedelta(hours=2))
        close_out = services.close_job(job=job, actor=admin)
        assert close_out.total == len(PEOPLE)
        # Closing returns at once; the candidates hear when the scheduler runs.
        assert Message.objects.filter(kind="close_out").count() == 0
        scheduler.run_until_idle()
        report = delivery.drain()
        assert report.failed == 0

        for n, (person, application) in enumerate(people):
            received = smtp_server.to(f"person{n}@example.net")
            assert len(received) == 1, person["name"]
            mail = received[0].message
            assert mail["Content-Language"] == person["language"]
            language = person["language"]
            assert "Data Engineer" in str(mail["Subject"])
            assert CLOSED[language] in str(mail["Subject"])
            text = received[0].text
            assert GREETING[language].format(person["first"]) in text
            html = mail.get_body(preferencelist=("html",)).get_content()
            if person["name"] == TRICKY_NAME:
                assert "Hello &lt;b&gt;Zoë&amp;&quot;Al&quot;&lt;/b&gt;," in html
                assert "<b>" not in html
            else:
                assert GREETING[language].format(person["first"]) in html
            application.refresh_from_db()
            assert application.status == ApplicationStatus.DECLINED
            assert application.decline_reason == "position_closed"
            assert application.closed_out_by == close_out.pk
            assert application.respond_by is None
            assert application.pending_decline_at is None
            finals = _final_messages(application.pk)
            assert [m.kind for m in finals] == ["close_out"]
            assert finals[0].language == person["language"]
        assert smtp_server.to("bystander@example.net") == []
        bystander.refresh_from_db()
        assert bystander.status == ApplicationStatus.ACTIVE
        close_out.refresh_from_db()
        assert close_out.done == len(PEOPLE) and close_out.finished_at is not None

        # Re-running is harmless: no step, chunk or worker sends anything again, and the
        # held decline of the pending candidate never goes out after the close-out.
        traveller.move_to(START + timedelta(days=8))
        scheduler.run_until_idle()
        assert closeout.process_chunk(close_out, limit=100) == 0
        assert closeout.run_close_outs(now=clock.now(), limit=100) == 0
        delivery.drain()
        for n, (person, application) in enumerate(people):
            # (Other parts of the product may write later, e.g. a survey; not about this.)
            subjects = [str(r.message["Subject"]) for r in smtp_server.to(f"person{n}@example.net")]
            assert sum(CLOSED[person["language"]] in s for s in subjects) == 1, subjects
            assert len(_final_messages(application.pk)) == 1
        assert not Message.objects.filter(kind="decline").exists()


@pytest.mark.django_db
def test_a_custom_close_out_template_and_filled_outcome() -> None:
    org = make_org()
    job = make_job(org=org, title="Chef")
    job.closeout_subject = "About {{ job_title }}"
    job.closeout_body = "Dear {{ first_name }} ({{ candidate_name }}), {{ job_title }} is gone."
    job.save()
    application = make_application(job=job, name="Rosa Diaz")
    services.close_job(job=job, actor=None, outcome="filled")
    job.refresh_from_db()
    assert job.status == JobStatus.FILLED
    scheduler.run_until_idle()
    message = Message.objects.get(application_id=application.pk, kind="close_out")
    assert message.subject == "About Chef"
    assert message.body_text.startswith("Dear Rosa (Rosa Diaz), Chef is gone.")


@pytest.mark.django_db
def test_closing_a_closed_job_is_refused_clearly() -> None:
    org = make_org()
    job = make_job(org=org)
    make_application(job=job)
    services.close_job(job=job, actor=None)
    with pytest.raises(HiringError, match="already closed"):
        services.close_job(job=job, actor=None)
    with pytest.raises(HiringError, match="already closed"):
        services.close_job(job=job, actor=None, outcome="filled")
    assert CloseOut.objects.filter(job=job).count() == 1
    with pytest.raises(HiringError, match="closed or filled"):
        services.close_job(job=make_job(org=org, title="Other"), actor=None, outcome="paused")


@pytest.mark.django_db
def test_close_out_preview_counts_and_renders_for_a_real_candidate() -> None:
    org = make_org(name="Acme")
    job = make_job(org=org, title="Welder")
    assert services.close_out_preview(job=job) == (0, "", "")
    make_application(job=job, name="Kim Lee")
    make_application(job=job, name="Sam Roe")
    count, subject, text = services.close_out_preview(job=job)
    assert count == 2
    assert "Welder" in subject
    assert "Hello Kim," in text and "Acme" in text


@pytest.mark.django_db
def test_reopen_within_the_window_restores_and_tells_only_those_already_told(
    smtp_server: SmtpServer,
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        job = make_job(org=org)
        applications = [make_application(job=job, email=f"r{n}@example.net") for n in range(6)]
        delivery.drain()
        smtp_server.handler.received.clear()

        traveller.move_to(START + timedelta(hours=3))
        close_out = services.close_job(job=job, actor=None)
        assert closeout.process_chunk(close_out, limit=2) == 2  # the two lowest ids
        delivery.drain()  # ...whose final messages go out
        assert closeout.process_chunk(close_out, limit=2) == 2  # two more, still queued
        told, queued, untouched = applications[:2], applications[2:4], applications[4:]
        assert len(smtp_server.received) == 2

        traveller.move_to(START + timedelta(hours=5))
        services.reopen_job(job=job, actor=None)
        job.refresh_from_db()
        assert job.status == JobStatus.OPEN and job.closed_at is None
        for application in applications:
            application.refresh_from_db()
            assert application.status == ApplicationStatus.ACTIVE
            assert application.respond_by is not None and application.respond_by > clock.now()
            assert application.closed_out_by is None and application.decline_reason == ""
        for application in queued:
            message = Message.objects.get(application_id=application.pk, kind="close_out")
            assert message.status == MessageStatus.CANCELLED
        for application in untouched:
            assert not Message.objects.filter(application_id=application.pk, kind="close_out")
        close_out.refresh_from_db()
        assert close_out.reopened_at is not None

        scheduler.run_until_idle()  # the abandoned close-out must not resume
        delivery.drain()
        for n, application in enumerate(applications):
            kinds = [r.subject for r in smtp_server.to(f"r{n}@example.net")]
            if application in told:
                assert len(kinds) == 2 and "open again" in kinds[1], kinds
            else:
                assert kinds == [], kinds
        assert Message.objects.filter(kind="reopened").count() == 2
        assert not Message.objects.filter(final=True, status=MessageStatus.QUEUED).exists()


@pytest.mark.django_db
def test_a_cancelled_close_out_does_not_count_as_contact(smtp_server: SmtpServer) -> None:
    """A final message that never went out must not reset the candidate's silence clock:
    otherwise a reopen could leave them waiting past the max-silence window."""
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        job = make_job(org=org)
        application = make_application(job=job)
        traveller.move_to(START + timedelta(days=4))
        close_out = services.close_job(job=job, actor=None)
        closeout.process_chunk(close_out, limit=10)
        services.reopen_job(job=job, actor=None)
        application.refresh_from_db()
        assert application.last_contacted_at == START
        # Walk on: the watchdog must speak up before the window (7 days from START) closes.
        from heardback.promises.invariants import find_violations

        for hours in range(0, 24 * 6, 6):
            now = START + timedelta(days=4, hours=hours)
            traveller.move_to(now)
            scheduler.run_until_idle()
            assert find_violations(now=now) == []
        sent = Message.objects.filter(
            application_id=application.pk, status__in=["queued", "sent"]
        ).order_by("created_at")
        times = [START] + [m.created_at for m in sent if m.kind != "acknowledgement"]
        assert all(b - a <= timedelta(days=7) for a, b in itertools.pairwise(times))
        assert times[1] - START <= timedelta(days=7)


@pytest.mark.django_db
def test_reopen_after_the_window_is_refused_and_changes_nothing() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = make_org()
        job = make_job(org=org)
        application = make_application(job=job)
        services.close_job(job=job, actor=None)
        scheduler.run_until_idle()
        traveller.move_to(START + timedelta(hours=25))  # default undo window: 24 hours
        with pytest.raises(HiringError, match="undo window has passed"):
            services.reopen_job(job=job, actor=None)
        job.refresh_from_db()
        application.refresh_from_db()
        assert job.status == JobStatus.CLOSED
        assert application.status == ApplicationStatus.DECLINED
        assert not Message.objects.filter(kind="reopened").exists()


@pytest.mark.django_db
def test_reopening_an_open_job_is_refused() -> None:
    job = make_job(org=make_org())
    with pytest.raises(HiringError, match="already open"):
        services.reopen_job(job=job, actor=None)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_chunk_runners_never_double_send(smtp_server: SmtpServer) -> None:
    """Two callers race through one close-out (threads with their own connections; on
    PostgreSQL they really run at once, on SQLite the IMMEDIATE transactions queue)."""
    org = make_org()
    job = make_job(org=org)
    count = 40
    for n in range(count):
        make_application(
            job=job, email=f"c{n}@example.net", language=["en", "de", "es", "fr"][n % 4]
        )
    Message.objects.all().delete()
    close_out = services.close_job(job=job, actor=None)
    barrier = threading.Barrier(2)
    done: list[int] = []
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            barrier.wait()
            mine = 0
            while not CloseOut.objects.filter(pk=close_out.pk, finished_at__isnull=False).exists():
                mine += closeout.process_chunk(close_out, limit=3)
            done.append(mine)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(done) == count
    assert Message.objects.filter(kind="close_out").count() == count
    assert (
        Message.objects.filter(kind="close_out").values("application_id").distinct().count()
        == count
    )
    close_out.refresh_from_db()
    assert close_out.done == count
    delivery.drain()
    assert len(smtp_server.received) == count
    assert len({r.rcpt_tos[0] for r in smtp_server.received}) == count


# --- keyset chunks: resumable, nothing twice ----------------------------------------------


def _closing(count: int) -> tuple[Job, list[Application], CloseOut]:
    job = make_job(org=make_org())
    applications = [make_application(job=job, email=f"k{n}@example.net") for n in range(count)]
    return job, applications, services.close_job(job=job, actor=None)


def _close_out_keys() -> Counter[int]:
    return Counter(
        Message.objects.filter(kind="close_out").values_list("application_id", flat=True)
    )


@pytest.mark.django_db
def test_an_interrupted_close_out_resumes_exactly_where_it_stopped() -> None:
    job, applications, close_out = _closing(8)
    ids = [a.pk for a in applications]

    assert closeout.process_chunk(close_out, limit=3) == 3
    close_out.refresh_from_db()
    assert (close_out.done, close_out.after_application_id) == (3, ids[2])

    # The second chunk dies after its statement ran (the process is killed, the database
    # goes away): its transaction rolls back whole, as if it never started.
    with (
        mock.patch.object(closeout.Event.objects, "create", side_effect=RuntimeError("killed")),
        pytest.raises(RuntimeError, match="killed"),
    ):
        closeout.process_chunk(close_out, limit=3)
    close_out.refresh_from_db()
    assert (close_out.done, close_out.after_application_id) == (3, ids[2])
    assert set(_close_out_keys()) == set(ids[:3])
    assert Application.objects.filter(pk__in=ids[3:], status="active").count() == 5

    # Resumed: the next chunk starts right after the last id of chunk 1, reading by id from
    # there (not re-reading the three it already closed) ...
    with CaptureQueriesContext(connection) as queries:
        assert closeout.process_chunk(close_out, limit=3) == 3
    chunk_sql = [q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"].upper()]
    assert any(re.search(rf"\bid > {ids[2]}\b", sql) for sql in chunk_sql), chunk_sql
    declined = set(
        Application.objects.filter(pk__in=ids, status="declined").values_list("pk", flat=True)
    )
    assert declined == set(ids[:6])
    # ... and the scheduler finishes it: every candidate got exactly one final message.
    scheduler.run_until_idle()
    close_out.refresh_from_db()
    assert close_out.done == close_out.total == 8 and close_out.finished_at is not None
    assert close_out.after_application_id == ids[-1]
    assert _close_out_keys() == Counter(ids)
    # One event per chunk, their id ranges one after the other, nothing counted twice.
    chunks = [
        e.data for e in Event.objects.filter(kind=EventKind.CLOSED_OUT, job=job).order_by("id")
    ]
    assert [c["applications"] for c in chunks] == [3, 3, 2]
    assert [(c["first_application"], c["last_application"]) for c in chunks] == [
        (ids[0], ids[2]),
        (ids[3], ids[5]),
        (ids[6], ids[7]),
    ]
    assert all(c["close_out"] == close_out.pk for c in chunks)


@pytest.mark.django_db
def test_the_scheduler_runs_chunks_of_the_close_outs_own_size(settings: Any) -> None:
    settings.CLOSEOUT_CHUNK_SIZE = 2
    job, applications, close_out = _closing(5)
    # One round (the scheduler's per-step limit of 1 does not apply to close-outs) goes on
    # chunk after chunk until the close-out is done.
    assert closeout.run_close_outs(now=clock.now(), limit=1) == 5
    close_out.refresh_from_db()
    assert close_out.finished_at is not None
    assert Event.objects.filter(kind=EventKind.CLOSED_OUT, job=job).count() == 3
    assert _close_out_keys() == Counter(a.pk for a in applications)


@pytest.mark.django_db
def test_each_candidates_timeline_shows_the_close_out_of_their_chunk() -> None:
    job, applications, close_out = _closing(5)
    closeout.process_chunk(close_out, limit=2)
    bystander = make_application(job=make_job(org=job.org, title="Other"))
    scheduler.run_until_idle()
    for application in applications:
        rows = timeline(application=application)
        closed = [r for kind, r in rows if kind == "event" and r.kind == EventKind.CLOSED_OUT]
        assert len(closed) == 1, application
        assert isinstance(closed[0], Event) and closed[0].data["close_out"] == close_out.pk
        finals = [r for kind, r in rows if kind == "message" and r.kind == "close_out"]
        assert len(finals) == 1
    assert not [r for _kind, r in timeline(application=bystander) if r.kind == "closed_out"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_an_application_locked_by_someone_else_is_closed_out_once_released() -> None:
    """FOR UPDATE SKIP LOCKED passes over an application someone holds locked (a recruiter
    deciding it at that moment); the close-out finishes only once that one is handled."""
    _job, applications, close_out = _closing(6)
    held = applications[1]
    locked, release, finished = threading.Event(), threading.Event(), threading.Event()

    def hold_it() -> None:
        try:
            with transaction.atomic():
                Application.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=60)
        finally:
            connection.close()
            finished.set()

    thread = threading.Thread(target=hold_it)
    thread.start()
    assert locked.wait(timeout=30)
    try:
        assert closeout.process_chunk(close_out, limit=4) == 4  # ids 0, 2, 3, 4
        assert closeout.process_chunk(close_out, limit=4) == 1  # id 5
        assert closeout.process_chunk(close_out, limit=4) == 0  # past the end: one is left
        close_out.refresh_from_db()
        assert close_out.finished_at is None and close_out.after_application_id == 0
        assert closeout.process_chunk(close_out, limit=4) == 0  # still locked: next round
    finally:
        release.set()
        thread.join(timeout=60)
    assert finished.is_set()
    assert closeout.process_chunk(close_out, limit=4) == 1  # the one that was held
    assert closeout.process_chunk(close_out, limit=4) == 0
    close_out.refresh_from_db()
    assert close_out.finished_at is not None and close_out.done == 6
    assert _close_out_keys() == Counter(a.pk for a in applications)
