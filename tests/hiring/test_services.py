"""The hiring services: each candidate-visible change leaves exactly the right outbox message,
in the same transaction, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from heardback.hiring import messages as hiring_messages
from heardback.hiring import services
from heardback.hiring.errors import HiringError, NotActive
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Candidate,
    DeclineReason,
    Event,
    Job,
    Member,
    Stage,
)
from heardback.messaging import delivery
from heardback.messaging.models import Message, MessageStatus
from tests.smtp import SmtpServer


def stage_named(job: Job, name: str) -> Stage:
    return job.pipeline.stages.get(name=name)


def messages_for(application: Application) -> list[Message]:
    return list(Message.objects.filter(application_id=application.pk).order_by("id"))


def counts() -> tuple[int, int, int, int]:
    return (
        Candidate.objects.count(),
        Application.objects.count(),
        Message.objects.count(),
        Event.objects.filter(kind="applied").count(),
    )


# --- apply ----------------------------------------------------------------------------------


def test_apply_queues_an_acknowledgement_with_the_respond_by_date(
    monday: datetime, job: Job
) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")

    # Applied stage promises 5 business days: Monday 30 Nov → Monday 7 Dec, 17:00 Berlin.
    assert application.respond_by == datetime(2026, 12, 7, 17, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    [ack] = messages_for(application)
    assert ack.kind == "acknowledgement"
    assert ack.status == MessageStatus.QUEUED
    assert ack.to_email == "ada@example.net"
    assert ack.to_name == "Ada Lovelace"
    assert ack.org_id == job.org_id
    assert ack.automated is True
    assert ack.final is False
    assert ack.next_attempt_at <= monday
    assert "Robot Whisperer" in ack.subject
    assert "Hello Ada," in ack.body_text
    assert "by Mon 7 Dec" in ack.body_text
    assert "Mon 7 Dec" in ack.body_html


def test_acknowledgement_uses_the_candidates_time_zone_and_language(
    time_machine: Any, job: Job
) -> None:
    # 20:00 UTC on Monday is already Tuesday 05:00 in Tokyo: the promise counts from Tuesday
    # there, so the five business days end on Tuesday 8 December, Tokyo time.
    time_machine.move_to(datetime(2026, 11, 30, 20, 0, tzinfo=UTC), tick=False)
    application = services.apply(
        job=job,
        name="Kenji Sato",
        email="kenji@example.jp",
        language="de",
        time_zone="Asia/Tokyo",
    )

    assert application.respond_by == datetime(2026, 12, 8, 17, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    [ack] = messages_for(application)
    assert ack.language == "de"
    assert "Di., 8. Dez." in ack.body_text  # German weekday, month and date order
    assert "Tue" not in ack.body_text

    # A Berlin candidate applying at the same moment is still on Monday: a different date.
    other = services.apply(job=job, name="Berta Berlin", email="berta@example.de")
    assert other.respond_by == datetime(2026, 12, 7, 17, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert "Mon 7 Dec" in messages_for(other)[0].body_text


def test_acknowledgement_travels_over_smtp_with_the_date(
    monday: datetime, job: Job, smtp_server: SmtpServer
) -> None:
    services.apply(job=job, name="Grace Hopper", email="grace@example.net", language="es")

    report = delivery.drain()

    assert report.sent == 1
    [received] = smtp_server.to("grace@example.net")
    assert "lun, 7 dic" in received.text
    assert received.message["Content-Language"] == "es"
    assert received.message["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [
        ("", "ada@example.net", "name"),
        ("   \r\n\u2028  ", "ada@example.net", "name"),
        ("Ada", "", "email"),
        ("Ada", "not-an-address", "email"),
        ("Ada", "ada@example.net\r\nBcc: victim@example.org", "email"),
        ("Ada", "ada@example.net\nBcc: victim@example.org", "email"),
        ("Ada", "ada@example.net\u2028Bcc: victim@example.org", "email"),
        ("Ada", "ada@example.net\u2029X-Evil: 1", "email"),
        ("Ada", "ada@example.net\x85Bcc: victim@example.org", "email"),
        ("Ada", "ada@example.net, victim@example.org", "email"),
        ("Ada", "Ada <ada@example.net>", "email"),
    ],
)
def test_apply_rejects_bad_names_and_addresses_and_stores_nothing(
    job: Job, name: str, email: str, field: str
) -> None:
    before = counts()

    with pytest.raises(HiringError) as raised:
        services.apply(job=job, name=name, email=email)

    assert field in raised.value.message_dict
    message = " ".join(raised.value.message_dict[field])
    assert message.endswith(".")  # a sentence a person can read, not a code
    assert counts() == before


def test_apply_reports_every_problem_at_once(job: Job) -> None:
    with pytest.raises(HiringError) as raised:
        services.apply(job=job, name="", email="nope", language="xx", time_zone="Mars/Olympus_Mons")
    assert set(raised.value.message_dict) == {"name", "email", "language", "time_zone"}
    assert Candidate.objects.count() == 0


def test_names_with_line_breaks_are_kept_on_one_line(job: Job) -> None:
    application = services.apply(
        job=job, name="Eve\r\nBcc: victim\u2028X-Evil: 1", email="eve@example.net"
    )
    candidate = application.candidate
    assert candidate.name == "Eve Bcc: victim X-Evil: 1"
    [ack] = messages_for(application)
    assert "\n" not in ack.to_name and "\u2028" not in ack.to_name


def test_apply_twice_returns_the_same_application_and_sends_one_acknowledgement(
    job: Job,
) -> None:
    first = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    again = services.apply(job=job, name="Ada Lovelace", email="ADA@example.net")

    assert again.pk == first.pk
    assert Application.objects.count() == 1
    assert Message.objects.filter(kind="acknowledgement").count() == 1
    assert Event.objects.filter(kind="applied").count() == 1


def test_apply_to_a_closed_job_is_refused(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(status="closed")
    job.refresh_from_db()
    with pytest.raises(HiringError, match="not accepting applications"):
        services.apply(job=job, name="Ada", email="ada@example.net")
    assert Message.objects.count() == 0


# --- moving through the pipeline --------------------------------------------------------------


def test_a_visible_move_sends_an_update_with_the_new_promise(
    monday: datetime, time_machine: Any, job: Job, recruiter: Member
) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    time_machine.move_to(monday + timedelta(days=1), tick=False)  # Tuesday

    moved = services.move_to_stage(
        application=application, stage=stage_named(job, "Interview"), actor=recruiter
    )

    # Interview promises 7 business days from Tuesday 1 Dec → Thursday 10 Dec.
    assert moved.respond_by == datetime(2026, 12, 10, 17, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert moved.stage.name == "Interview"
    assert moved.last_contacted_at == monday + timedelta(days=1)
    _ack, update = messages_for(application)
    assert update.kind == "stage_update"
    assert "interview" in update.subject.lower()
    assert "Thu 10 Dec" in update.body_text
    # The internal stage name never reaches the candidate.
    assert "Final interview" not in update.body_text


def test_an_internal_move_is_quiet_but_keeps_a_new_promise(
    monday: datetime, time_machine: Any, job: Job, recruiter: Member
) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    services.move_to_stage(
        application=application, stage=stage_named(job, "Recruiter screen"), actor=recruiter
    )
    assert len(messages_for(application)) == 2  # Received → In review is visible
    time_machine.move_to(monday + timedelta(days=2), tick=False)  # Wednesday

    moved = services.move_to_stage(
        application=application,
        stage=stage_named(job, "Hiring manager review"),
        actor=recruiter,
    )

    assert len(messages_for(application)) == 2  # In review → In review: nothing new to say
    assert moved.respond_by == datetime(2026, 12, 9, 17, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert moved.last_contacted_at == monday  # the quiet move did not contact them
    assert Event.objects.filter(application=application, kind="stage_changed").count() == 2


def test_move_to_a_stage_of_another_job_is_refused(org: Any, job: Job, recruiter: Member) -> None:
    from tests import factories

    other_job = factories.make_job(org=org, title="Other", owner=recruiter)
    application = services.apply(job=job, name="Ada", email="ada@example.net")
    with pytest.raises(HiringError, match="another job"):
        services.move_to_stage(
            application=application, stage=stage_named(other_job, "Interview"), actor=recruiter
        )
    with pytest.raises(HiringError, match="already in that stage"):
        services.move_to_stage(
            application=application, stage=stage_named(job, "Applied"), actor=recruiter
        )
    assert len(messages_for(application)) == 1


# --- decisions --------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", DeclineReason.values)
def test_decline_sends_the_kind_message_for_each_reason(
    job: Job, recruiter: Member, reason: str
) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")

    declined = services.decline(application=application, reason=reason, actor=recruiter)

    assert declined.status == ApplicationStatus.DECLINED
    assert declined.decline_reason == reason
    assert declined.respond_by is None
    assert declined.decided_at is not None
    _ack, final = messages_for(application)
    assert final.kind == "decline"
    assert final.final is True
    assert final.automated is False  # a person decided
    # The first sentence of the reason's own paragraph is in the message.
    reason_text = str(hiring_messages.DECLINE_REASONS[reason]).split(".")[0]
    assert reason_text in " ".join(final.body_text.split())
    assert "Robot Whisperer" in final.subject
    event = Event.objects.get(application=application, kind="decline")
    assert event.data == {"reason": reason}
    assert event.actor_label == recruiter.display_name


def test_decline_with_a_custom_message_and_an_unknown_reason(job: Job, recruiter: Member) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    with pytest.raises(HiringError, match="Unknown decline reason"):
        services.decline(application=application, reason="vibes", actor=recruiter)
    assert len(messages_for(application)) == 1

    services.decline(
        application=application,
        reason=DeclineReason.OTHER,
        actor=recruiter,
        subject="About {{ job_title }}",
        body="Dear {{ first_name }}, thank you.",
    )
    final = messages_for(application)[-1]
    assert final.subject == "About Robot Whisperer"
    assert final.body_text.startswith("Dear Ada, thank you.")


def test_a_decided_application_cannot_be_decided_again(job: Job, recruiter: Member) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    services.hire(application=application, actor=recruiter)

    for attempt in (
        lambda: services.decline(application=application, reason="other", actor=recruiter),
        lambda: services.withdraw(application=application),
        lambda: services.hire(application=application, actor=recruiter),
        lambda: services.move_to_stage(
            application=application, stage=stage_named(job, "Offer"), actor=recruiter
        ),
    ):
        with pytest.raises(NotActive, match="already hired"):
            attempt()
    assert [m.kind for m in messages_for(application)] == ["acknowledgement", "hired"]


def test_hire_sends_a_welcome(job: Job, recruiter: Member) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    hired = services.hire(application=application, actor=recruiter)
    assert hired.status == ApplicationStatus.HIRED
    final = messages_for(application)[-1]
    assert (final.kind, final.final) == ("hired", True)
    assert "Robot Whisperer" in final.subject


@pytest.mark.parametrize("by_recruiter", [False, True])
def test_withdraw(job: Job, recruiter: Member, by_recruiter: bool) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    withdrawn = services.withdraw(
        application=application, actor=recruiter if by_recruiter else None
    )
    assert withdrawn.status == ApplicationStatus.WITHDRAWN
    final = messages_for(application)[-1]
    assert (final.kind, final.final) == ("withdrawn", True)
    event = Event.objects.get(application=application, kind="withdrawn")
    assert event.data == {"by": "recruiter" if by_recruiter else "candidate"}
    assert event.actor_label == (recruiter.display_name if by_recruiter else "Heardback")


def test_add_note_records_an_event_and_sends_nothing(job: Job, recruiter: Member) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    note = services.add_note(application=application, text="  Great portfolio.  ", actor=recruiter)
    assert note.kind == "note"
    assert note.data == {"text": "Great portfolio."}
    assert note.actor_id == recruiter.user_id
    assert len(messages_for(application)) == 1

    with pytest.raises(HiringError, match="empty"):
        services.add_note(application=application, text=" \n ", actor=recruiter)
    with pytest.raises(HiringError, match="10,000"):
        services.add_note(application=application, text="x" * 10_001, actor=recruiter)
    assert Event.objects.filter(kind="note").count() == 1


# --- org scoping ------------------------------------------------------------------------------


def test_an_actor_from_another_org_can_change_nothing(
    job: Job, recruiter: Member, outsider: Member
) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    before_events = Event.objects.count()
    attempts = [
        lambda: services.apply(job=job, name="Bob", email="bob@example.net", actor=outsider),
        lambda: services.move_to_stage(
            application=application, stage=stage_named(job, "Interview"), actor=outsider
        ),
        lambda: services.advance(application=application, actor=outsider),
        lambda: services.decline(application=application, reason="other", actor=outsider),
        lambda: services.hire(application=application, actor=outsider),
        lambda: services.withdraw(application=application, actor=outsider),
        lambda: services.add_note(application=application, text="hi", actor=outsider),
        lambda: services.create_job(org=job.org, title="Spy", owner=recruiter, actor=outsider),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()

    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACTIVE
    assert application.stage.name == "Applied"
    assert len(messages_for(application)) == 1
    assert Event.objects.count() == before_events
    assert Candidate.objects.filter(email="bob@example.net").count() == 0


# --- the event log ------------------------------------------------------------------------------


def test_the_event_log_says_who_did_what_and_when(
    monday: datetime, time_machine: Any, job: Job, recruiter: Member
) -> None:
    application = services.apply(
        job=job, name="Ada Lovelace", email="ada@example.net", source="careers page"
    )
    time_machine.move_to(monday + timedelta(hours=1), tick=False)
    services.advance(application=application, actor=recruiter)
    time_machine.move_to(monday + timedelta(hours=2), tick=False)
    services.add_note(application=application, text="Strong", actor=recruiter)
    time_machine.move_to(monday + timedelta(hours=3), tick=False)
    services.decline(application=application, reason="experience", actor=recruiter)

    log = list(Event.objects.filter(org=job.org, application=application))
    assert [(e.kind, e.actor_label, e.created_at) for e in log] == [
        ("applied", "Heardback", monday),
        ("stage_changed", recruiter.display_name, monday + timedelta(hours=1)),
        ("note", recruiter.display_name, monday + timedelta(hours=2)),
        ("decline", recruiter.display_name, monday + timedelta(hours=3)),
    ]
    assert log[0].data == {"source": "careers page"}
    assert log[1].data == {"from": "Applied", "to": "Recruiter screen"}
    assert all(e.job_id == job.pk for e in log)


# --- transactions -------------------------------------------------------------------------------


class Boom(Exception):
    pass


@pytest.mark.parametrize("decision", ["decline", "hire", "withdraw", "move"])
def test_a_decision_rolled_back_leaves_no_message(
    job: Job, recruiter: Member, decision: str
) -> None:
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    calls = {
        "decline": lambda: services.decline(
            application=application, reason="other", actor=recruiter
        ),
        "hire": lambda: services.hire(application=application, actor=recruiter),
        "withdraw": lambda: services.withdraw(application=application),
        "move": lambda: services.move_to_stage(
            application=application, stage=stage_named(job, "Interview"), actor=recruiter
        ),
    }

    with pytest.raises(Boom), transaction.atomic():
        result = calls[decision]()
        # The message really was written inside the transaction…
        assert Message.objects.filter(application_id=application.pk).count() == 2
        assert result.pk == application.pk
        raise Boom

    # …and went away with it.
    assert [m.kind for m in messages_for(application)] == ["acknowledgement"]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACTIVE
    assert application.stage.name == "Applied"
    assert Event.objects.filter(application=application).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_decision_sends_nothing_over_smtp(
    job: Job, recruiter: Member, smtp_server: SmtpServer
) -> None:
    """The same with real commits: a worker draining afterwards sends only the ack."""
    application = services.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    with pytest.raises(Boom), transaction.atomic():
        services.decline(application=application, reason="other", actor=recruiter)
        raise Boom
    with pytest.raises(Boom), transaction.atomic():
        services.apply(job=job, name="Bob Builder", email="bob@example.net")
        raise Boom

    delivery.drain()

    assert [r.subject for r in smtp_server.received] == [
        "We received your application for Robot Whisperer"
    ]
    assert not Candidate.objects.filter(email="bob@example.net").exists()
