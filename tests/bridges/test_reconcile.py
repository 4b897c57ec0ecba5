"""The reconcile and Lever's fetch against fake ATS APIs on loopback (tests/bridges/fakes.py):
what a reconcile reads becomes inbox events the engine applies like webhooks; paging,
rate limits, deadlines and the address guard; and a provider that lost a tenth of its
webhooks ends, after one reconcile, exactly where the ATS is."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from heardback import clock
from heardback.bridges import reconcile
from heardback.bridges.clients import base as client_base
from heardback.bridges.models import AtsLink, Connection, InboundEvent, InboundStatus
from heardback.bridges.processing import coarse_stage_for
from heardback.hiring.models import Application, ApplicationStatus
from heardback.promises import scheduler
from heardback.runtime.models import Fault
from heardback.runtime.steps import steps
from tests.bridges.conftest import SECRET, Bridge, make_bridge
from tests.bridges.fakes import (
    FakeAshby,
    FakeAts,
    FakeGreenhouse,
    FakeLever,
    FakeWorkable,
    ms,
    opportunity_id,
)
from tests.bridges.payloads import PROVIDERS, Story, at, lever_event

pytestmark = pytest.mark.django_db

FAKES: dict[str, type[FakeAts]] = {
    "greenhouse": FakeGreenhouse,
    "ashby": FakeAshby,
    "workable": FakeWorkable,
    "lever": FakeLever,
}
ALL = list(FAKES)
# The ATS's clock: minute 0 is 08:00 UTC, the connection is made at 10:00 (Monday, frozen);
# every story here happens after that.
AFTER_CONNECTING = 125


@pytest.fixture
def fakes(monday: Any) -> Iterator[Any]:
    """fake(provider, **options) → a running fake ATS, stopped after the test."""
    started: list[FakeAts] = []

    def start(provider: str, **options: Any) -> Any:
        fake = FAKES[provider](**options)
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.close()


def connect(provider: str, fake: Any, **options: Any) -> Bridge:
    return make_bridge(provider, api_credentials=json.dumps(fake.credentials()), **options)


def story(app_id: int, minute: int = 0, **fields: Any) -> Story:
    return Story(app_id=app_id, minute=AFTER_CONNECTING + minute, **fields)


def run_reconcile(*, later: timedelta = timedelta(0)) -> int:
    return reconcile.reconcile_connections(now=clock.now() + later, limit=50)


def run_fetch() -> int:
    return reconcile.fetch_lever_details(now=clock.now(), limit=50)


def inbox(bridge: Bridge) -> list[InboundEvent]:
    return list(InboundEvent.objects.filter(connection=bridge.connection).order_by("id"))


def cursor(bridge: Bridge) -> dict[str, Any]:
    bridge.connection.refresh_from_db()
    loaded: dict[str, Any] = json.loads(bridge.connection.reconcile_cursor or "{}")
    return loaded


def faults() -> list[Fault]:
    return list(Fault.objects.filter(source=reconcile.SOURCE, resolved_at__isnull=True))


# --- reading and storing -------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ALL)
def test_a_reconcile_stores_what_changed_as_inbox_events_and_applies_nothing_itself(
    provider: str, fakes: Any
) -> None:
    fake = fakes(provider)
    for app_id in (1, 2, 3):
        fake.set(story(app_id, minute=app_id, stage="Phone Interview"))
    bridge = connect(provider, fake)

    assert run_reconcile() == 1  # one connection reconciled
    stored = inbox(bridge)
    assert [e.event_type for e in stored] == ["reconcile"] * 3
    assert {e.status for e in stored} == {InboundStatus.RECEIVED}
    assert all(e.dedupe_key.startswith("reconcile:") for e in stored)
    assert not Application.objects.filter(org=bridge.org).exists()  # the engine applies

    scheduler.run_until_idle()
    applications = Application.objects.filter(org=bridge.org).select_related("stage")
    assert sorted(a.candidate.email for a in applications) == [
        "candidate1@example.net",
        "candidate2@example.net",
        "candidate3@example.net",
    ]
    assert {a.stage.coarse_stage for a in applications} == {"interview"}


@pytest.mark.parametrize("provider", ALL)
def test_a_reconcile_pages_through_everything_and_keeps_the_cursor_for_the_next(
    provider: str, fakes: Any, time_machine: Any
) -> None:
    fake = fakes(provider, page_size=2)
    for app_id in range(1, 6):
        fake.set(story(app_id, minute=app_id))
    bridge = connect(provider, fake)  # at 10:00
    time_machine.move_to(clock.now() + timedelta(hours=1), tick=False)

    run_reconcile()
    assert len(inbox(bridge)) == 5
    lists = [r for r in fake.requests if r.path in LIST_PATHS]
    assert len(lists) == 3  # 2 + 2 + 1
    state = cursor(bridge)
    assert set(state) == ({"syncToken"} if provider == "ashby" else {"since"})

    # The next round asks only for what changed since the last sweep started (less a
    # margin), and stores each state once.
    fake.requests.clear()
    fake.set(story(4, minute=75, stage="Onsite Interview"))  # 11:20
    run_reconcile(later=reconcile.RECONCILE_EVERY)
    assert len(inbox(bridge)) == 6
    first = next(r for r in fake.requests if r.path in LIST_PATHS)
    assert asked_since(provider, first) == SINCE[provider](state)


LIST_PATHS = {"/v3/applications", "/application.list", "/spi/v3/candidates", "/v1/opportunities"}
# What the second sweep must ask for, from the cursor the first left: ten minutes before the
# first started (11:00), or Ashby's sync token.
SINCE: dict[str, Any] = {
    "greenhouse": lambda state: "2026-11-30T10:50:00+00:00",
    "workable": lambda state: "2026-11-30T10:50:00+00:00",
    "lever": lambda state: str(ms(at(170))),
    "ashby": lambda state: state["syncToken"],
}


def asked_since(provider: str, request: Any) -> str:
    if provider == "ashby":
        return str(request.json().get("syncToken"))
    name = {"greenhouse": "updated_at[gte]", "workable": "updated_after"}.get(
        provider, "updated_at_start"
    )
    return str(request.query[name][0])


def test_greenhouse_gets_a_token_then_follows_the_link_cursor_alone(fakes: Any) -> None:
    fake = fakes("greenhouse", page_size=2)
    for app_id in range(1, 6):
        fake.set(story(app_id, minute=app_id))
    connect("greenhouse", fake)

    run_reconcile()
    token = fake.calls("/token")
    assert len(token) == 1  # one token for the round
    assert token[0].body.decode().split("&") == ["grant_type=client_credentials", "sub=4080"]
    first, *following = fake.calls("/v3/applications")
    assert first.query == {"updated_at[gte]": ["2026-11-30T10:00:00+00:00"], "per_page": ["50"]}
    assert [set(r.query) for r in following] == [{"cursor"}, {"cursor"}]
    assert all(r.headers["authorization"] == "Bearer gh-access-token" for r in following)
    # The candidates, jobs and stages of a page are read in one call each.
    assert len(fake.calls("/v3/candidates")) == 3


def test_ashby_syncs_incrementally_and_starts_over_when_its_sync_token_expired(
    fakes: Any,
) -> None:
    fake = fakes("ashby")
    fake.set(story(1, minute=1))
    bridge = connect("ashby", fake)
    run_reconcile()
    assert [r.json() for r in fake.calls("/application.list")] == [{"limit": 100}]
    token = cursor(bridge)["syncToken"]

    fake.set(story(2, minute=2))
    run_reconcile(later=reconcile.RECONCILE_EVERY)
    assert fake.calls("/application.list")[-1].json() == {"limit": 100, "syncToken": token}
    assert len(inbox(bridge)) == 2

    fake.expire_tokens()
    fake.set(story(2, minute=3, stage="Phone Interview"))
    run_reconcile(later=2 * reconcile.RECONCILE_EVERY)
    # The expired token was refused, a full sync followed; only the new state is new.
    assert fake.calls("/application.list")[-1].json() == {"limit": 100}
    assert len(inbox(bridge)) == 3
    assert faults() == []


def test_a_full_sync_never_reaches_back_before_the_connection(fakes: Any) -> None:
    fake = fakes("ashby")
    fake.set(Story(app_id=1, minute=30))  # 08:30: before the connection was made
    fake.set(story(2, minute=1))
    bridge = connect("ashby", fake)
    run_reconcile()
    assert [json.loads(bytes(e.body))["data"]["application"]["id"] for e in inbox(bridge)] == [
        "app-2"
    ]


# --- claims, rate limits, deadlines, the address guard ----------------------------------------


def test_a_connection_is_reconciled_once_per_period_by_compare_and_set(
    fakes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fakes("workable")
    fake.set(story(1))
    bridge = connect("workable", fake)
    assert run_reconcile() == 1
    assert run_reconcile() == 0  # claimed: not due again yet
    assert run_reconcile(later=reconcile.RECONCILE_EVERY - timedelta(seconds=1)) == 0
    assert len(fake.requests) == 1

    # Another network loop claims it between our look and our claim: the compare-and-set
    # fails and nothing is read.
    original = Connection.objects.filter

    def claimed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if "last_reconciled_at" in kwargs:  # the claim
            Connection.objects.update(last_reconciled_at=clock.now() + timedelta(hours=1))
        return original(*args, **kwargs)

    monkeypatch.setattr(Connection.objects, "filter", claimed_meanwhile)
    assert run_reconcile(later=reconcile.RECONCILE_EVERY) == 0
    assert len(fake.requests) == 1
    bridge.connection.refresh_from_db()
    assert bridge.connection.last_reconciled_at == clock.now() + timedelta(hours=1)


def test_connections_without_api_credentials_are_not_reconciled(fakes: Any) -> None:
    make_bridge("greenhouse")
    assert run_reconcile() == 0


@pytest.mark.parametrize("provider", ALL)
def test_a_429_with_retry_after_is_waited_out_and_the_page_then_read(
    provider: str, fakes: Any
) -> None:
    fake = fakes(provider)
    fake.set(story(1))
    bridge = connect(provider, fake)
    fake.throttle(1, retry_after="1")
    started = time.monotonic()

    run_reconcile()
    assert time.monotonic() - started >= 1.0
    assert len(inbox(bridge)) == 1
    assert faults() == []
    assert fake.requests[0].path == fake.requests[1].path  # the same call, asked again


def test_a_retry_after_longer_than_we_wait_brings_the_connection_back_when_the_ats_said(
    fakes: Any,
) -> None:
    fake = fakes("lever")
    fake.set(story(1))
    bridge = connect("lever", fake)
    fake.throttle(1, retry_after="120")
    started = time.monotonic()

    run_reconcile()
    assert time.monotonic() - started < 5
    assert inbox(bridge) == [] and faults() == []  # not a failure
    bridge.connection.refresh_from_db()
    assert bridge.connection.last_reconciled_at == (
        clock.now() + timedelta(seconds=120) - reconcile.RECONCILE_EVERY
    )
    assert run_reconcile(later=timedelta(seconds=119)) == 0
    assert run_reconcile(later=timedelta(seconds=120)) == 1
    assert len(inbox(bridge)) == 1


def test_a_retry_after_as_an_http_date_is_honoured(fakes: Any) -> None:
    fake = fakes("workable")
    fake.set(story(1))
    bridge = connect("workable", fake)
    fake.throttle(1, retry_after="Mon, 30 Nov 2026 10:10:00 GMT")  # ten minutes from now
    run_reconcile()
    bridge.connection.refresh_from_db()
    assert bridge.connection.last_reconciled_at == (
        clock.now() + timedelta(minutes=10) - reconcile.RECONCILE_EVERY
    )


def test_an_ats_asking_us_to_stay_away_for_a_year_is_tried_again_within_the_hour(
    fakes: Any,
) -> None:
    fake = fakes("ashby")
    fake.set(story(1))
    bridge = connect("ashby", fake)
    fake.throttle(1, retry_after=str(365 * 24 * 3600))
    run_reconcile()
    bridge.connection.refresh_from_db()
    assert bridge.connection.last_reconciled_at == (
        clock.now() + timedelta(hours=1) - reconcile.RECONCILE_EVERY
    )


def test_a_slow_server_costs_one_overall_deadline_and_is_a_fault(
    fakes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reconcile, "CALL_SECONDS", 0.5)
    fake = fakes("workable", trickle=True)  # a byte every 0.1 s: every read is "on time"
    fake.set(story(1))
    bridge = connect("workable", fake)
    started = time.monotonic()

    assert run_reconcile() == 1
    assert time.monotonic() - started < 1.5
    assert inbox(bridge) == []
    (fault,) = faults()
    assert fault.item == f"connection:{bridge.connection.pk}"
    assert fault.last_error == "The ATS's API didn't answer in time."
    assert cursor(bridge) == {}  # nothing read, nothing skipped


def test_a_round_cut_short_keeps_what_it_read_and_goes_on_from_its_cursor(
    fakes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fakes("greenhouse", page_size=2)
    for app_id in range(1, 8):
        fake.set(story(app_id, minute=app_id))
    bridge = connect("greenhouse", fake)
    # The loop's budget runs out while the third page is read (its candidates not yet).
    monkeypatch.setattr(
        client_base.network, "stopping", lambda: len(fake.calls("/v3/applications")) >= 3
    )
    run_reconcile()
    assert len(inbox(bridge)) == 4
    assert "cursor" in cursor(bridge)
    bridge.connection.refresh_from_db()
    assert bridge.connection.last_reconciled_at == clock.now() - reconcile.RECONCILE_EVERY
    assert faults() == []

    monkeypatch.setattr(client_base.network, "stopping", lambda: False)
    assert run_reconcile() == 1  # due again at once
    assert len(inbox(bridge)) == 7
    assert set(fake.calls("/v3/applications")[3].query) == {"cursor"}  # went on
    assert set(cursor(bridge)) == {"since"}


def test_the_address_guard_refuses_a_private_api_address_in_production(
    fakes: Any, settings: Any
) -> None:
    fake = fakes("lever")
    fake.set(story(1))
    bridge = connect("lever", fake)
    settings.IS_PRODUCTION = True

    run_reconcile()
    assert fake.requests == []  # never connected
    (fault,) = faults()
    assert fault.last_error == "That address isn't public."
    assert inbox(bridge) == []


def test_refused_credentials_are_a_fault_for_a_person_and_the_cursor_stays(
    fakes: Any,
) -> None:
    fake = fakes("ashby")
    fake.set(story(1))
    bridge = make_bridge(
        "ashby", api_credentials=json.dumps({"api_key": "wrong", "base_url": fake.url})
    )
    run_reconcile()
    (fault,) = faults()
    assert "refused our credentials (401)" in fault.last_error
    assert fault.org_id == bridge.org.pk
    assert cursor(bridge) == {}


# --- Lever: ids only, fetched, applied --------------------------------------------------------


def lever_delivery(bridge: Bridge, item: Story, event: str = "candidateStageChange") -> None:
    body = lever_event(
        event=event,
        opportunity=opportunity_id(item.app_id),
        triggered_at=ms(at(item.minute)),
        secret=SECRET,
    )
    assert bridge.post(body).status_code == 202


def test_a_lever_stage_change_webhook_is_fetched_through_the_api_then_applied(
    fakes: Any,
) -> None:
    fake = fakes("lever")
    bridge = connect("lever", fake)
    applied = story(1, minute=1, stage="New applicant")
    fake.set(applied)
    lever_delivery(bridge, applied, event="applicationCreated")
    scheduler.run_until_idle()
    (waiting,) = inbox(bridge)
    assert waiting.status == InboundStatus.RECEIVED
    assert waiting.outcome == "waiting for the details from the ATS's API"

    assert run_fetch() == 1
    scheduler.run_until_idle()
    application = Application.objects.select_related("stage", "job").get(org=bridge.org)
    assert application.stage.coarse_stage == "received"
    assert application.job.title == "Compiler Engineer"

    moved = story(1, minute=9, stage="Phone Interview")
    fake.set(moved)
    lever_delivery(bridge, moved)
    assert run_fetch() == 1
    fetched = json.loads(bytes(inbox(bridge)[-1].body))["fetched"]
    assert fetched["opportunity"]["stage"] == {
        "id": "stage-phone-interview",
        "text": "Phone Interview",
    }
    scheduler.run_until_idle()
    application.refresh_from_db()
    assert application.stage.coarse_stage == "interview"
    assert {e.status for e in inbox(bridge)} == {InboundStatus.PROCESSED}
    (request,) = [r for r in fake.requests if r.path == "/v1/opportunities/opp-1"][-1:]
    assert request.query["expand"] == ["stage", "applications"]


def test_a_lever_archive_is_read_with_its_reason(fakes: Any) -> None:
    fake = fakes("lever")
    bridge = connect("lever", fake)
    for item in (story(1, minute=1), story(2, minute=1, email="ada@example.net")):
        fake.set(item)
        lever_delivery(bridge, item, event="applicationCreated")
    rejected = story(1, minute=5, state="rejected")
    hired = story(2, minute=6, state="hired", email="ada@example.net", stage="Offer")
    for item in (rejected, hired):
        fake.set(item)
        lever_delivery(bridge, item, event="candidateArchiveChange")
    run_fetch()
    scheduler.run_until_idle()
    assert len(fake.calls("/v1/archive_reasons")) == 1  # once a round
    declined = Application.objects.get(org=bridge.org, candidate__email=rejected.address)
    assert declined.pending_decline_at is not None or declined.status == "declined"
    assert Application.objects.get(org=bridge.org, candidate__email="ada@example.net").status == (
        ApplicationStatus.HIRED
    )


def test_a_lever_opportunity_gone_from_lever_is_ignored(fakes: Any) -> None:
    fake = fakes("lever")
    bridge = connect("lever", fake)
    item = story(1)
    fake.set(item)
    fake.deleted.add(1)
    lever_delivery(bridge, item)
    run_fetch()
    (event,) = inbox(bridge)
    assert event.status == InboundStatus.IGNORED
    assert "no longer has this opportunity" in event.outcome


def test_a_lever_fetch_that_fails_waits_with_the_reason_and_is_a_fault(fakes: Any) -> None:
    fake = fakes("lever")
    bridge = make_bridge(
        "lever", api_credentials=json.dumps({"api_key": "wrong", "base_url": fake.url})
    )
    item = story(1)
    fake.set(item)
    lever_delivery(bridge, item)
    lever_delivery(bridge, story(1, minute=2))

    assert run_fetch() == 1  # the connection's first failure ends its round
    first, second = inbox(bridge)
    assert first.status == InboundStatus.RECEIVED
    assert "refused our credentials (401)" in first.last_error
    assert first.next_attempt_at is not None and first.next_attempt_at > clock.now()
    assert second.last_error == ""
    (fault,) = Fault.objects.filter(source=reconcile.FETCH_SOURCE)
    assert fault.item == f"connection:{bridge.connection.pk}"
    assert run_fetch() == 0  # in backoff: no call at all
    assert len(fake.requests) == 1


def test_a_lever_delivery_is_fetched_by_one_loop_only(fakes: Any) -> None:
    fake = fakes("lever")
    bridge = connect("lever", fake)
    item = story(1)
    fake.set(item)
    lever_delivery(bridge, item)
    (event,) = inbox(bridge)
    # Another loop claimed it a moment ago.
    InboundEvent.objects.filter(pk=event.pk).update(
        next_attempt_at=clock.now() + reconcile.FETCH_CLAIM, outcome=reconcile.FETCHING
    )
    assert run_fetch() == 0
    assert fake.requests == []


def test_both_steps_run_in_the_network_loop_never_in_the_engine() -> None:
    network = {step.name for step in steps("network")}
    engine = {step.name for step in steps("engine")}
    assert {"fetch_lever_details", "reconcile_connections"} <= network
    assert not {"fetch_lever_details", "reconcile_connections"} & engine


# --- a provider that dropped a tenth of its webhooks ----------------------------------------------


def timeline(count: int) -> list[Story]:
    """Each application's changes in the ATS, in the ATS's order: some applied and waiting,
    some moved on to interviews, some rejected, some hired."""
    paths = [
        [("active", "Application Review"), ("active", "Phone Interview"), ("rejected", "")],
        [
            ("active", "Application Review"),
            ("active", "Phone Interview"),
            ("active", "Offer"),
            ("hired", "Offer"),
        ],
        [("active", "Application Review"), ("active", "Onsite Interview")],
        [("active", "Application Review")],
        [("active", "Application Review"), ("rejected", "Application Review")],
    ]
    changes = []
    for app_id in range(1, count + 1):
        for step, (state, stage) in enumerate(paths[app_id % len(paths)]):
            changes.append(
                story(
                    app_id,
                    minute=app_id + 40 * step,
                    state=state,
                    stage=stage or "Phone Interview",
                )
            )
    return sorted(changes, key=lambda s: (s.minute, s.app_id))


def dropped(changes: list[Story]) -> set[int]:
    """A tenth of the deliveries, chosen so the loss shows: every change of one application,
    a rejection and a hire among them."""
    only_one = next(i for i, s in enumerate(changes) if s.app_id % 5 == 3)
    rejection = next(i for i, s in enumerate(changes) if s.state == "rejected")
    hire = next(i for i, s in enumerate(changes) if s.state == "hired")
    chosen = {only_one, rejection, hire}
    others = [i for i in range(len(changes)) if i not in chosen]
    chosen.update(random.Random(2026).sample(others, len(changes) // 10 - len(chosen)))
    return chosen


def deliver(bridge: Bridge, provider: str, change: Story) -> None:
    if provider == "lever":
        event = {"active": "candidateStageChange"}.get(change.state, "candidateArchiveChange")
        lever_delivery(bridge, change, event=event)
        return
    kind = PROVIDERS[provider]
    answer = bridge.post(kind.application(change), headers=kind.delivery_id())
    assert answer.status_code == 202, answer.content


def end_state(bridge: Bridge, truth: Story) -> tuple[str, str]:
    application = (
        Application.objects.select_related("stage")
        .filter(org=bridge.org, candidate__email=truth.address)
        .first()
    )
    if application is None:
        return ("missing", "")
    if application.pending_decline_at is not None or (
        application.status == ApplicationStatus.DECLINED
    ):
        return ("rejected", "")
    if application.status == ApplicationStatus.HIRED:
        return ("hired", "")
    return (application.status, application.stage.coarse_stage)


def expected_state(bridge: Bridge, truth: Story) -> tuple[str, str]:
    if truth.state in ("rejected", "hired"):
        return (truth.state, "")
    return ("active", coarse_stage_for(bridge.connection, truth.stage))


@pytest.mark.parametrize("provider", ALL)
def test_reconcile_against_a_fake_provider_that_dropped_10_percent_of_webhooks_after_one_reconcile_everything_matches(  # noqa: E501
    provider: str, fakes: Any
) -> None:
    fake = fakes(provider, page_size=7)
    bridge = connect(provider, fake)
    changes = timeline(30)
    lost = dropped(changes)
    assert len(lost) == len(changes) // 10
    for index, change in enumerate(changes):
        fake.set(change)  # the ATS moves on, whether or not its webhook arrives
        if index not in lost:
            deliver(bridge, provider, change)
    run_fetch()
    scheduler.run_until_idle()

    def mismatches() -> dict[int, tuple[tuple[str, str], tuple[str, str]]]:
        return {
            truth.app_id: (end_state(bridge, truth), expected_state(bridge, truth))
            for truth in fake.stories.values()
            if end_state(bridge, truth) != expected_state(bridge, truth)
        }

    assert mismatches(), "the lost webhooks should have left something behind"

    assert run_reconcile() == 1
    run_fetch()  # nothing for it: a reconcile stores Lever's opportunities whole
    scheduler.run_until_idle()

    assert mismatches() == {}
    assert AtsLink.objects.filter(connection=bridge.connection, kind="application").count() == 30
    assert not InboundEvent.objects.filter(
        connection=bridge.connection, status=InboundStatus.FAILED
    ).exists()
