"""One org's broken templates or failing items never hold up another org's promises.

Two orgs with the same due work at the same moment: a nudge, an honest "no decision yet"
update, a held decline, a bulk advance and a close-out. Org A's templates were saved
before the sandbox existed and no longer render (written straight to the rows, as an old
database would hold them); org B's are fine. One round of the real scheduler
(`scheduler.run_once`) must finish B's work, and A's candidates must still hear back, with
the built-in text, over real SMTP. A non-template failure in A's items is recorded,
backed off and retried, without costing B anything; a step that fails outright does not
stop the steps after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from heardback.console import services as console
from heardback.console.models import BulkAction
from heardback.hiring import selectors
from heardback.hiring import services as hiring
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Event,
    EventKind,
    Job,
    Member,
    Org,
    PromiseWatch,
    Role,
    Stage,
)
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.promises import scheduler, team_mail
from heardback.promises import services as engine
from heardback.promises.models import CloseOut
from heardback.runtime import steps as step_registry
from heardback.runtime.models import Fault
from tests.factories import make_application, make_job, make_member, make_org
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, far from German holidays
DUE = START + timedelta(days=4)  # Friday: everything below is due at this moment

# Templates saved before the sandbox: each fails in a different way.
POISONED_STAGE_BODY = 'Hello {{ first_name }}{% if job_title %}{% include "nope" %}{% endif %}'
POISONED_CLOSE_OUT_BODY = 'Hi {{ first_name|ljust:"20000000" }}, the job is gone.'
# Compiles, and only fails when rendered: the filter's argument is not a number.
POISONED_DECLINE_BODY = 'Dear {{ first_name|wordwrap:"abc" }}, no.'
POISON_MARKS = ("nope", "ljust", "wordwrap", "the job is gone", "Dear ")

# What the built-in texts say (English), to recognise them in the delivered mail.
BUILT_IN_STAGE = "is now being reviewed by the team"
BUILT_IN_DECLINE = "We have decided not to move forward with your application."
BUILT_IN_CLOSE_OUT = "We have now closed this position"
BUILT_IN_NO_DECISION = "we don't have one yet"

HEALTHY_STAGE_SUBJECT = "Screening next, {{ first_name }}"
HEALTHY_STAGE_BODY = "We are screening your application for {{ job_title }} now."
HEALTHY_CLOSE_OUT_BODY = "Hello {{ first_name }}, {{ job_title }} is closed. Thank you!"
HEALTHY_DECLINE_BODY = "Hello {{ first_name }}, we went another way. Thank you."


@dataclass
class OrgWorld:
    """One org with one of each kind of due work, all due at `DUE`."""

    org: Org
    recruiter: Member
    owner: Member
    job: Job
    closing_job: Job
    screen: Stage  # the stage the bulk action moves candidates into
    nudge: Application  # promise due now: the owner is nudged
    update: Application  # nudged a day ago, nobody decided: the candidate is told honestly
    held: Application  # a held decline whose delay is over
    bulk_apps: list[Application] = field(default_factory=list)
    closing_apps: list[Application] = field(default_factory=list)

    def everyone(self) -> list[Application]:
        return [self.nudge, self.update, self.held, *self.bulk_apps, *self.closing_apps]


def build_org(prefix: str, *, poisoned: bool) -> OrgWorld:
    """Built at START; `begin_due_work` then starts the bulk action and close-out at DUE."""
    org = make_org(name=f"{prefix} Industries")
    make_member(org=org, role=Role.ADMIN, email=f"admin@{prefix.lower()}.example")
    recruiter = make_member(org=org, role=Role.RECRUITER, email=f"rec@{prefix.lower()}.example")
    owner = make_member(org=org, role=Role.HIRING_MANAGER, email=f"hm@{prefix.lower()}.example")
    job = make_job(org=org, title=f"{prefix} Engineer", owner=owner)
    closing_job = make_job(org=org, title=f"{prefix} Designer", owner=owner)
    screen = job.pipeline.stages.get(position=1)

    def person(role: str, target: Job = job) -> Application:
        return make_application(
            job=target,
            name=f"{prefix}{role} Person",
            email=f"{prefix.lower()}-{role.lower()}@example.net",
        )

    world = OrgWorld(
        org=org,
        recruiter=recruiter,
        owner=owner,
        job=job,
        closing_job=closing_job,
        screen=screen,
        nudge=person("Nudge"),
        update=person("Update"),
        held=person("Held"),
        bulk_apps=[person("BulkOne"), person("BulkTwo")],
        closing_apps=[person("CloseOne", closing_job), person("CloseTwo", closing_job)],
    )
    # Due times set directly: the watchdog's own path to these states is tested elsewhere.
    Application.objects.filter(pk=world.nudge.pk).update(
        respond_by=DUE - timedelta(minutes=1), promise_watch=PromiseWatch.PENDING
    )
    Application.objects.filter(pk=world.update.pk).update(
        respond_by=DUE - timedelta(hours=25), promise_watch=PromiseWatch.NUDGED
    )
    engine.schedule_decline(
        application=world.held,
        reason="other",
        actor=recruiter,
        delay_business_days=1,
        subject="About {{ job_title }}",
        body=HEALTHY_DECLINE_BODY,
    )
    if poisoned:
        Stage.objects.filter(pk=screen.pk).update(body_template=POISONED_STAGE_BODY)
        Job.objects.filter(pk=closing_job.pk).update(closeout_body=POISONED_CLOSE_OUT_BODY)
        Application.objects.filter(pk=world.held.pk).update(
            pending_decline_body=POISONED_DECLINE_BODY
        )
    else:
        console.save_stage_template(
            stage=screen, subject=HEALTHY_STAGE_SUBJECT, body=HEALTHY_STAGE_BODY
        )
        Job.objects.filter(pk=closing_job.pk).update(
            closeout_subject="{{ job_title }}: closed", closeout_body=HEALTHY_CLOSE_OUT_BODY
        )
    return world


def begin_due_work(world: OrgWorld) -> None:
    """At DUE: a recruiter advances two candidates in bulk and closes the second job."""
    console.start_bulk(
        actor=world.recruiter,
        job=world.job,
        application_ids=[a.pk for a in world.bulk_apps],
        kind="advance",
    )
    world.closing_job.refresh_from_db()
    engine.close_job(job=world.closing_job, actor=world.recruiter)


def two_orgs(
    traveller: time_machine.Coordinates, *, poison_a: bool = True
) -> tuple[OrgWorld, OrgWorld]:
    a = build_org("Ann", poisoned=poison_a)
    b = build_org("Bea", poisoned=False)
    traveller.move_to(DUE)
    for world in (a, b):
        begin_due_work(world)
    return a, b


def kinds_of(application: Application) -> list[str]:
    return list(
        Message.objects.filter(application_id=application.pk)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def pending_work(world: OrgWorld) -> dict[str, bool]:
    """Which of the org's due items are still waiting (True = not done yet)."""
    for application in world.everyone():
        application.refresh_from_db()
    bulk = BulkAction.objects.get(org_id=world.org.pk)
    close_out = CloseOut.objects.get(job=world.closing_job)
    return {
        "nudge": world.nudge.promise_watch != PromiseWatch.NUDGED
        or not Message.objects.filter(
            kind="team_nudge", to_email=world.owner.email, body_text__contains="Nudge Person"
        ).exists(),
        "update": "no_decision_yet" not in kinds_of(world.update),
        "held": world.held.status != ApplicationStatus.DECLINED
        or "decline" not in kinds_of(world.held),
        "bulk": bulk.finished_at is None
        or bulk.succeeded != len(world.bulk_apps)
        or any(a.stage_id != world.screen.pk for a in world.bulk_apps)
        or any("stage_update" not in kinds_of(a) for a in world.bulk_apps),
        # (A close-out is marked finished by the round after its last chunk: no more to do.)
        "close_out": close_out.done != close_out.total
        or any(a.status != ApplicationStatus.DECLINED for a in world.closing_apps)
        or any("close_out" not in kinds_of(a) for a in world.closing_apps),
    }


NOTHING_PENDING = dict.fromkeys(("nudge", "update", "held", "bulk", "close_out"), False)


def closed_out_events(application: Application) -> list[Event]:
    """The close-out events on the application's timeline, as its page shows them."""
    return [
        row
        for kind, row in selectors.timeline(application=application)
        if kind == "event" and isinstance(row, Event) and row.kind == EventKind.CLOSED_OUT
    ]


def open_faults(org: Org, source: str | None = None) -> list[Fault]:
    faults = Fault.objects.filter(org_id=org.pk, resolved_at__isnull=True)
    if source is not None:
        faults = faults.filter(source=source)
    return list(faults.order_by("item"))


def client_for(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_an_orgs_broken_templates_cost_other_orgs_nothing_and_its_candidates_still_hear_back(
    smtp_server: SmtpServer,
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        a, b = two_orgs(traveller)
        assert pending_work(b) != NOTHING_PENDING  # there is work to do

        scheduler.run_once(now=DUE)

        assert pending_work(b) == NOTHING_PENDING
        assert pending_work(a) == NOTHING_PENDING
        assert Fault.objects.filter(org_id=b.org.pk).count() == 0
        # A's items did not fail: each fell back to the built-in text and went on.
        assert open_faults(a.org) == open_faults(a.org, "template")
        assert {f.item for f in open_faults(a.org, "template")} == {
            f"stage:{a.screen.pk}",
            f"job:{a.closing_job.pk}:close-out",
            f"application:{a.held.pk}:decline",
        }
        assert all(f.label and f.last_error for f in open_faults(a.org))

        delivery.drain()
        for application in b.bulk_apps:
            [*_, mail] = smtp_server.to(application.candidate.email)
            assert mail.subject == f"Screening next, {application.candidate.name.split()[0]}"
            assert "We are screening your application" in mail.text
        for application in b.closing_apps:
            [*_, mail] = smtp_server.to(application.candidate.email)
            assert "is closed. Thank you!" in mail.text
        assert "we went another way" in smtp_server.to(b.held.candidate.email)[-1].text

        built_in = {
            **{app.pk: BUILT_IN_STAGE for app in a.bulk_apps},
            **{app.pk: BUILT_IN_CLOSE_OUT for app in a.closing_apps},
            a.held.pk: BUILT_IN_DECLINE,
            a.update.pk: BUILT_IN_NO_DECISION,
        }
        for application in a.everyone():
            if application.pk not in built_in:
                continue
            [*_, mail] = smtp_server.to(application.candidate.email)
            assert built_in[application.pk] in mail.text, application.candidate.name
            assert mail.text.startswith(f"Hello {application.candidate.name.split()[0]},")
            assert not any(mark in mail.text for mark in POISON_MARKS)

        # The timeline of each of A's candidates says what happened, and nobody else's does.
        failed_events = Event.objects.filter(kind=EventKind.TEMPLATE_FAILED)
        assert set(failed_events.values_list("application_id", flat=True)) == {
            a.held.pk,
            *(app.pk for app in a.bulk_apps),
        }
        assert set(failed_events.values_list("org_id", flat=True)) == {a.org.pk}
        for world, failed in ((a, True), (b, False)):
            for application in world.closing_apps:
                [closed] = closed_out_events(application)
                assert ("template_failed" in closed.data) is failed
                if failed:
                    assert "close-out message" in closed.data["template_failed"]["template"]
        page = client_for(a.recruiter).get(reverse("console:application", args=[a.held.pk]))
        assert "so the built-in text was sent instead" in page.content.decode()


def fail_for(org: Org, original: Callable[..., Any], org_of: Callable[..., int]) -> Any:
    """`original`, but raising for anything of `org` while `broken` holds."""
    broken = {"on": True}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if broken["on"] and org_of(*args, **kwargs) == org.pk:
            raise RuntimeError(f"something is wrong with {org.name}")
        return original(*args, **kwargs)

    wrapper.broken = broken  # type: ignore[attr-defined]
    return wrapper


def test_an_orgs_failing_items_are_backed_off_while_other_orgs_finish_in_one_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        a, b = two_orgs(traveller, poison_a=False)  # templates fine: other failures only
        tell = fail_for(a.org, hiring.tell_candidate, lambda application, **_kw: application.org_id)
        nudge = fail_for(a.org, team_mail.send_nudge, lambda member, _apps: member.org_id)
        monkeypatch.setattr(hiring, "tell_candidate", tell)
        monkeypatch.setattr(team_mail, "send_nudge", nudge)

        scheduler.run_once(now=DUE)

        assert pending_work(b) == NOTHING_PENDING
        assert Fault.objects.filter(org_id=b.org.pk).count() == 0
        # A's items failed, each on its own, and wait for their next try.
        failed = {(f.source, f.item): f for f in open_faults(a.org)}
        assert set(failed) == {
            ("nudge_owners", f"org:{a.org.pk}"),
            ("update_candidates", f"application:{a.update.pk}"),
            ("send_due_declines", f"application:{a.held.pk}"),
        }
        for fault in failed.values():
            assert fault.attempts == 1
            assert fault.next_try_at > DUE
            assert "something is wrong with Ann Industries" in fault.last_error
        still = pending_work(a)
        assert still["nudge"] and still["update"] and still["held"]
        a.nudge.refresh_from_db()
        assert a.nudge.promise_watch == PromiseWatch.PENDING  # rolled back, not half-done
        # A bulk action counts a candidate it could not move and goes on (never retried).
        bulk = BulkAction.objects.get(org_id=a.org.pk)
        assert (bulk.succeeded, bulk.skipped, bulk.finished_at is not None) == (0, 2, True)
        assert {p["error"] for p in bulk.problems} == {"Something went wrong; it has been logged."}
        # The close-out writes its messages in SQL, without the broken function.
        assert not still["close_out"]

        # Still broken at the next round: another failure, a longer wait.
        traveller.move_to(DUE + timedelta(minutes=1))
        scheduler.run_once()
        retried = Fault.objects.get(source="update_candidates", item=f"application:{a.update.pk}")
        assert retried.attempts == 2
        assert retried.next_try_at >= DUE + timedelta(minutes=3)

        # Fixed: nothing happens before the backoff is over, then everything does.
        tell.broken["on"] = nudge.broken["on"] = False
        traveller.move_to(DUE + timedelta(minutes=2))
        scheduler.run_once()
        still = pending_work(a)
        assert still["nudge"] and still["update"] and still["held"]

        traveller.move_to(retried.next_try_at + timedelta(seconds=1))
        scheduler.run_once()
        still = pending_work(a)
        assert (still["nudge"], still["update"], still["held"]) == (False, False, False)
        assert open_faults(a.org) == []
        assert Fault.objects.filter(org_id=a.org.pk, resolved_at__isnull=False).count() == 3
        # Each candidate heard once, not once per attempt.
        assert kinds_of(a.update).count("no_decision_yet") == 1
        assert kinds_of(a.held).count("decline") == 1


def test_a_step_that_fails_outright_does_not_stop_the_steps_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_step(*, now: datetime, limit: int) -> int:
        raise RuntimeError("the step's own query failed")

    first = scheduler.all_steps()[0]
    middle = next(s for s in scheduler.all_steps() if s.name == "remind_owners")
    for step in (first, middle):
        key = f"{step.run.__module__}.{step.run.__qualname__}"
        assert key in step_registry._registry
        monkeypatch.setitem(
            step_registry._registry,
            key,
            step_registry.Step(name=step.name, run=broken_step, order=step.order, loop=step.loop),
        )
    with time_machine.travel(START, tick=False) as traveller:
        _a, b = two_orgs(traveller)

        done = scheduler.run_once(now=DUE)

        assert done[first.name] == 0 and done[middle.name] == 0
        assert done["nudge_owners"] > 0 and done["update_candidates"] > 0
        for step in (first, middle):
            fault = Fault.objects.get(source=step.name, item=scheduler.ROUND)
            assert fault.org_id is None and "the step's own query failed" in fault.last_error
        still = pending_work(b)
        # Only what the broken first step does (held declines) is left for later.
        assert still == {**NOTHING_PENDING, "held": True}

    # Mended, the next round that runs the step resolves its failure.
    monkeypatch.undo()
    with time_machine.travel(DUE, tick=False):
        scheduler.run_once(now=DUE)
    for step in (first, middle):
        assert Fault.objects.get(source=step.name, item=scheduler.ROUND).resolved_at is not None


DEEPLY_NESTED = "{% if first_name %}" * 600 + "Hi" + "{% endif %}" * 600  # under 20,000 chars


def test_a_held_decline_nested_too_deep_to_compile_still_goes_out_with_the_built_in_text() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        a = build_org("Ann", poisoned=False)
        Application.objects.filter(pk=a.held.pk).update(pending_decline_body=DEEPLY_NESTED)
        traveller.move_to(DUE)

        scheduler.run_once(now=DUE)

        a.held.refresh_from_db()
        assert a.held.status == ApplicationStatus.DECLINED
        [decline] = Message.objects.filter(application_id=a.held.pk, kind="decline")
        assert BUILT_IN_DECLINE in decline.body_text
        assert {f.source for f in open_faults(a.org)} == {"template"}
