"""Every kind of webhook, produced by the real services, read from the rows they write in
their own transactions, and delivered (signed) to a real receiver. Plus the fan-out's own
guarantees: once per endpoint, late commits found, only what an endpoint asked for."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Event, EventKind
from heardback.messaging import delivery as outbox
from heardback.promises import scheduler
from heardback.promises import services as engine
from heardback.webhooks import fanout, services
from heardback.webhooks.events import EventType
from heardback.webhooks.models import FanOutCursor, WebhookDelivery
from tests import factories
from tests.smtp import Behaviour, SmtpServer
from tests.webhooks.conftest import (
    Hook,
    Receiver,
    World,
    deliver,
    fan_out,
    make_world,
    pump,
    start_receiver,
    stop_receiver,
    subscribe,
)

pytestmark = pytest.mark.django_db


def only(receiver: Receiver, event_type: str, hook: Hook) -> dict[str, Any]:
    """The one webhook of this type the receiver got, verified; its data."""
    received = receiver.of_type(event_type)
    assert len(received) == 1, (event_type, receiver.types())
    return received[0].verified(hook.secret)["data"]


def apply(world: World, name: str, email: str) -> Application:
    return factories.make_application(job=world.job, name=name, email=email)


# --- what the services do becomes webhooks ------------------------------------------------


def test_applying_moving_declining_hiring_and_withdrawing_each_send_their_webhook(
    acme: World, hook: Hook, receiver: Receiver, smtp_server: SmtpServer
) -> None:
    ada = apply(acme, "Ada Lovelace", "ada@example.net")
    pump()
    outbox.drain()  # the acknowledgement reaches the candidate's mail server
    pump()
    moved = hiring.advance(application=ada, actor=acme.recruiter)
    bob = apply(acme, "Bob Byte", "bob@example.net")
    cy = apply(acme, "Cy Cyber", "cy@example.net")
    dee = apply(acme, "Dee Data", "dee@example.net")
    hiring.decline(application=bob, reason="experience", actor=acme.recruiter)
    hiring.hire(application=cy, actor=acme.recruiter)
    hiring.withdraw(application=dee)
    pump()

    created = [r.verified(hook.secret)["data"] for r in receiver.of_type("application.created")]
    assert [c["application"]["id"] for c in created] == [ada.pk, bob.pk, cy.pk, dee.pk]
    first = created[0]["application"]
    assert first["job_id"] == acme.job.pk and first["candidate_id"] == ada.candidate_id
    assert first["stage"]["coarse_stage"] == "received"

    acknowledged = only(receiver, "application.acknowledged", hook)
    assert acknowledged["application"]["id"] == ada.pk
    delivered = [r.payload["data"]["message"] for r in receiver.of_type("message.delivered")]
    assert {(m["application_id"], m["kind"]) for m in delivered} >= {(ada.pk, "acknowledgement")}

    move = only(receiver, "application.moved", hook)
    assert move["from_stage"]["name"] == "Applied"
    assert move["from_stage"]["coarse_stage"] == "received"
    assert move["to_stage"] == {
        "id": moved.stage_id, "name": "Recruiter screen", "coarse_stage": "in_review",
    }  # fmt: skip
    declined = only(receiver, "application.declined", hook)
    assert declined["application"]["status"] == "declined" and declined["reason"] == "experience"
    assert only(receiver, "application.hired", hook)["application"]["id"] == cy.pk
    withdrawn = only(receiver, "application.withdrawn", hook)
    assert withdrawn["application"]["id"] == dee.pk and withdrawn["by"] == "candidate"

    # Ids and coarse state only: no candidate's name, address or status link.
    for request in receiver.requests:
        body = request.body.decode()
        for secret_ish in ("Ada", "ada@example.net", "bob@example.net", "/s/", "token"):
            assert secret_ish not in body, (secret_ish, body)
    # Each one once, each with its own webhook-id.
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == len(receiver.requests)


def _short_promises(world: World) -> None:
    # Three business days: the promise falls due well inside the max-silence window.
    world.job.pipeline.stages.update(promise_business_days=3)


def test_the_watchdog_s_nudge_and_honest_update_send_promise_due_and_promise_missed(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any
) -> None:
    _short_promises(acme)
    ada = apply(acme, "Ada Lovelace", "ada@example.net")
    promise = ada.respond_by
    assert promise is not None

    frozen.move_to(promise + timedelta(minutes=5))
    scheduler.run_until_idle()  # the owner is nudged
    pump()
    due = only(receiver, "promise.due", hook)
    assert due["application"]["id"] == ada.pk
    assert due["respond_by"] == fanout.iso(promise)
    assert due["owner_id"] == acme.recruiter.pk
    assert receiver.of_type("promise.missed") == []

    frozen.move_to(promise + timedelta(hours=25))
    scheduler.run_until_idle()  # nobody decided: "no decision yet", with a new date
    pump()
    missed = only(receiver, "promise.missed", hook)
    ada.refresh_from_db()
    assert ada.respond_by > promise
    assert missed["application"]["respond_by"] == fanout.iso(ada.respond_by)
    assert missed["extended_by_business_days"] == 3
    # The next nudge is for the new promise: a second promise.due, for it.
    frozen.move_to(ada.respond_by + timedelta(minutes=5))
    scheduler.run_until_idle()
    pump()
    second = [r.payload["data"]["respond_by"] for r in receiver.of_type("promise.due")]
    assert second == [fanout.iso(promise), fanout.iso(ada.respond_by)]


def test_a_nudge_is_reported_even_when_the_promise_moves_in_the_same_round(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any
) -> None:
    # Five business days from a Monday is seven days: the max-silence update comes with the
    # nudge, and moves the promise before the network loop reads anything.
    ada = apply(acme, "Ada Lovelace", "ada@example.net")
    promise = ada.respond_by
    assert promise is not None
    frozen.move_to(promise + timedelta(minutes=5), tick=True)
    scheduler.run_until_idle()
    ada.refresh_from_db()
    assert ada.respond_by > promise  # already a new promise

    pump()
    due = only(receiver, "promise.due", hook)
    assert due["application"]["id"] == ada.pk and due["owner_id"] == acme.recruiter.pk
    assert due["respond_by"] is None  # no longer known: the application has a new promise
    assert len(receiver.of_type("promise.missed")) == 1


def test_every_promise_of_a_long_nudge_digest_is_reported_once(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any
) -> None:
    # A digest carries one-click links for its first 25 applications; the rest are found
    # by their nudged state. Each promise is reported once either way.
    _short_promises(acme)
    people = [apply(acme, f"Person {n}", f"p{n}@example.net") for n in range(27)]
    frozen.move_to(people[0].respond_by + timedelta(minutes=5))
    scheduler.run_until_idle()
    pump()
    due = [r.payload["data"]["application"]["id"] for r in receiver.of_type("promise.due")]
    assert sorted(due) == [p.pk for p in people]


def test_a_person_asking_for_more_time_is_not_a_missed_promise(
    acme: World, hook: Hook, receiver: Receiver
) -> None:
    ada = apply(acme, "Ada Lovelace", "ada@example.net")
    engine.extend_promise(application=ada, actor=acme.recruiter, business_days=2)
    pump()
    assert receiver.of_type("promise.missed") == []
    assert Event.objects.filter(kind=EventKind.PROMISE_EXTENDED).count() == 1


def test_a_message_the_mail_server_refuses_sends_message_failed(
    acme: World, hook: Hook, receiver: Receiver, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.behaviour = Behaviour(default="550 5.1.1 Unknown user")
    ada = apply(acme, "Ada Lovelace", "ada@example.net")
    outbox.drain()
    pump()

    failed = only(receiver, "message.failed", hook)
    assert failed["message"]["application_id"] == ada.pk
    assert failed["message"]["kind"] == "acknowledgement"
    assert (failed["reason"], failed["smtp_code"]) == ("bounced", 550)
    assert receiver.of_type("message.delivered") == []
    assert receiver.of_type("application.acknowledged") == []
    assert "ada@example.net" not in receiver.of_type("message.failed")[0].body.decode()


def test_closing_a_job_sends_job_closed_and_its_finished_close_out_closeout_finished(
    acme: World, hook: Hook, receiver: Receiver, smtp_server: SmtpServer
) -> None:
    for n in range(3):
        apply(acme, f"Candidate {n}", f"c{n}@example.net")
    close_out = engine.close_job(job=acme.job, actor=acme.admin, outcome="filled")
    pump()
    closed = only(receiver, "job.closed", hook)
    assert closed["job"] == {
        "id": acme.job.pk, "status": "filled", "closed_at": fanout.iso(clock.now()),
    }  # fmt: skip
    assert (closed["outcome"], closed["close_out_id"], closed["active_candidates"]) == (
        "filled", close_out.pk, 3,
    )  # fmt: skip
    assert receiver.of_type("closeout.finished") == []

    scheduler.run_until_idle()  # the close-out sends every final message, then finishes
    pump()
    finished = only(receiver, "closeout.finished", hook)["close_out"]
    assert (finished["id"], finished["job_id"], finished["total"], finished["done"]) == (
        close_out.pk, acme.job.pk, 3, 3,
    )  # fmt: skip
    # Candidates closed out with the job are told by closeout.finished, not one by one.
    assert receiver.of_type("application.declined") == []


# --- the fan-out's own guarantees ----------------------------------------------------------


def test_reading_the_same_rows_again_makes_no_second_delivery(
    acme: World, hook: Hook, receiver: Receiver
) -> None:
    apply(acme, "Ada Lovelace", "ada@example.net")
    fan_out()
    FanOutCursor.objects.update(position=0, gaps=[])  # as if the cursor were lost
    fan_out()
    deliver()
    assert receiver.types().count("application.created") == 1
    assert WebhookDelivery.objects.filter(event_type="application.created").count() == 1


def _raw_event(world: World, application: Application, event_id: int) -> Event:
    """An event row with a chosen id: stands in for a transaction that took its id before
    another one and committed after it."""
    return Event.objects.create(
        id=event_id,
        org=world.org,
        application=application,
        job=world.job,
        actor_label="Heardback",
        kind=EventKind.STAGE_CHANGED,
        data={"from": "Applied", "to": "Recruiter screen"},
        created_at=clock.now(),
    )


def test_an_event_that_commits_after_a_later_one_was_read_is_still_sent(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any
) -> None:
    ada = apply(acme, "Ada Lovelace", "ada@example.net")
    fan_out()
    top = Event.objects.order_by("-id").values_list("id", flat=True)[0]
    later = _raw_event(acme, ada, top + 2)  # committed first
    fan_out()
    assert FanOutCursor.objects.get(source="events").gaps[0][:2] == [top + 1, top + 1]

    frozen.shift(timedelta(minutes=9))
    late = _raw_event(acme, ada, top + 1)  # its transaction commits now
    fan_out()
    deliver()

    keys = set(WebhookDelivery.objects.values_list("event_key", flat=True))
    assert {f"event:{later.pk}", f"event:{late.pk}"} <= keys
    assert FanOutCursor.objects.get(source="events").gaps == []
    assert len(receiver.of_type("application.moved")) == 2


def test_a_missing_id_is_looked_for_only_within_the_late_commit_window(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any, settings: Any
) -> None:
    settings.WEBHOOK_LATE_COMMIT_MINUTES = 10
    ada = apply(acme, "Ada Lovelace", "ada@example.net")
    fan_out()
    top = Event.objects.order_by("-id").values_list("id", flat=True)[0]
    _raw_event(acme, ada, top + 2)
    fan_out()

    frozen.shift(timedelta(minutes=11))
    fan_out()  # the id belonged to a rolled-back transaction, as far as anyone can tell
    assert FanOutCursor.objects.get(source="events").gaps == []


def test_an_endpoint_hears_only_its_own_org_what_it_chose_and_nothing_from_before_it(
    acme: World, receiver: Receiver, other_receiver: Receiver
) -> None:
    before = apply(acme, "Early Bird", "early@example.net")
    hook = subscribe(acme, receiver, events=["application.hired"])
    globex = make_world("Globex", "globex.example")
    theirs = subscribe(globex, other_receiver, events=["application.hired"])
    pump()
    assert receiver.requests == [] and other_receiver.requests == []

    hiring.hire(application=before, actor=acme.recruiter)
    ada = apply(acme, "Ada Lovelace", "ada@example.net")
    hiring.advance(application=ada, actor=acme.recruiter)
    pump()

    assert receiver.types() == ["application.hired"]
    receiver.requests[0].verified(hook.secret)
    assert other_receiver.requests == [] and theirs.endpoint.org_id == globex.org.pk


def test_with_nobody_listening_the_fan_out_skips_ahead_without_reading(
    acme: World, receiver: Receiver
) -> None:
    hook = subscribe(acme, receiver)
    services.disable(actor=acme.admin, endpoint=hook.endpoint)
    apply(acme, "Ada Lovelace", "ada@example.net")
    assert fan_out() == 0
    services.enable(actor=acme.admin, endpoint=hook.endpoint)
    pump()
    assert receiver.requests == []  # what happened while it was off is not sent later


def test_event_types_are_one_enum_and_all_have_a_description() -> None:
    assert len(EventType.values) == 12
    assert all(label for label in EventType.labels)


# --- PostgreSQL: a real transaction that commits late --------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_transaction_that_commits_after_a_later_one_is_not_skipped(
    settings: Any,
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    receiver = start_receiver()
    try:
        world = make_world()
        hook = subscribe(world, receiver, events=["application.created"])
        inserted, commit = threading.Event(), threading.Event()
        slow: list[int] = []

        def slow_apply() -> None:
            try:
                with transaction.atomic():
                    application = apply(world, "Slow Sam", "sam@example.net")
                    slow.append(application.pk)
                    inserted.set()
                    commit.wait(10)
            finally:
                connection.close()

        thread = threading.Thread(target=slow_apply)
        thread.start()
        assert inserted.wait(10)
        quick = apply(world, "Quick Quinn", "quinn@example.net")  # a later id, committed first
        pump()
        assert [r.payload["data"]["application"]["id"] for r in receiver.requests] == [quick.pk]

        commit.set()
        thread.join(10)
        pump()
        ids = [r.verified(hook.secret)["data"]["application"]["id"] for r in receiver.requests]
        assert ids == [quick.pk, slow[0]]
    finally:
        stop_receiver(receiver)


def test_a_delivery_keeps_the_payload_it_was_made_with(
    acme: World, hook: Hook, receiver: Receiver
) -> None:
    ada = apply(acme, "Ada Lovelace", "ada@example.net")
    fan_out()
    hiring.hire(application=ada, actor=acme.recruiter)  # after the webhook was made
    deliver()
    (created,) = receiver.of_type("application.created")
    assert json.loads(created.body)["data"]["application"]["status"] == "active"
