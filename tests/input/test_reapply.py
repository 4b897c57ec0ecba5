"""Applying again after withdrawing reopens the application; a declined or hired one
answers as any repeat does, so the answer tells nobody who applied."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from heardback.hiring import services as hiring
from heardback.hiring.models import Application, ApplicationStatus, Event, EventKind, Job, Member
from heardback.messaging.kinds import MessageKind
from heardback.messaging.models import Message
from tests.input.conftest import apply_form, apply_url


def _acks(application: Application) -> list[Message]:
    return list(
        Message.objects.filter(
            application_id=application.pk, kind=MessageKind.ACKNOWLEDGEMENT
        ).order_by("id")
    )


def test_applying_again_after_withdrawing_reopens_at_the_first_stage(
    job: Job, recruiter: Member, monday: datetime
) -> None:
    first = hiring.apply(job=job, name="Ada Lovelace", email="ada@example.net")
    hiring.advance(application=first, actor=recruiter)
    hiring.withdraw(application=first)

    again = hiring.apply(job=job, name="Ada Lovelace", email="ADA@example.net")

    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.status == ApplicationStatus.ACTIVE
    assert again.stage.position == 0
    assert again.decided_at is None
    assert again.respond_by is not None and again.respond_by > monday
    applied = Event.objects.filter(application=again, kind=EventKind.APPLIED).order_by("id")
    assert applied.count() == 2
    assert applied.last().data == {"reopened": True}  # type: ignore[union-attr]
    acks = _acks(again)
    assert len(acks) == 2
    assert acks[0].idempotency_key != acks[1].idempotency_key
    # The application is the same one: the (job, candidate) pair stays unique.
    assert Application.objects.filter(job=job).count() == 1


def test_reapplying_through_the_form_reopens_and_shows_the_same_thank_you(
    client: Client, job: Job, monday: datetime
) -> None:
    assert client.post(apply_url(job), apply_form()).status_code == 200
    application = Application.objects.get()
    hiring.withdraw(application=application)

    response = client.post(apply_url(job), apply_form())

    assert response.status_code == 200
    assert "Thank you for applying" in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACTIVE
    assert len(_acks(application)) == 2


@pytest.mark.parametrize("ending", ["decline", "hire"])
def test_a_declined_or_hired_application_answers_as_any_repeat(
    client: Client, job: Job, recruiter: Member, monday: datetime, ending: str
) -> None:
    assert client.post(apply_url(job), apply_form()).status_code == 200
    application = Application.objects.get()
    if ending == "decline":
        hiring.decline(application=application, reason="other", actor=recruiter)
    else:
        hiring.hire(application=application, actor=recruiter)
    messages_before = Message.objects.count()
    events_before = Event.objects.count()

    repeat = client.post(apply_url(job), apply_form())
    stranger = client.post(apply_url(job), apply_form(email="new@example.net", name="Bo Li"))

    assert repeat.status_code == stranger.status_code == 200
    assert "Thank you for applying" in repeat.content.decode()
    application.refresh_from_db()
    assert application.status != ApplicationStatus.ACTIVE
    # Only the stranger's application made anything new.
    assert Message.objects.count() == messages_before + 1
    assert Event.objects.count() == events_before + 1
    assert hiring.apply(job=job, name="Ada", email="ada@example.net").pk == application.pk


def test_the_api_reapplies_through_the_same_service(
    job: Job, recruiter: Member, monday: datetime
) -> None:
    first = hiring.apply(job=job, name="Ada Lovelace", email="ada@example.net", actor=recruiter)
    hiring.withdraw(application=first, actor=recruiter)
    again = hiring.apply(
        job=job, name="Ada Lovelace", email="ada@example.net", actor=recruiter, source="api"
    )
    assert again.pk == first.pk and again.status == ApplicationStatus.ACTIVE
    assert Event.objects.filter(application=again, kind=EventKind.APPLIED).last().data == {  # type: ignore[union-attr]
        "reopened": True,
        "source": "api",
    }
