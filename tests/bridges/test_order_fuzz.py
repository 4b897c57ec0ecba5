"""Hypothesis: one provider's event stream for 50 applications, shuffled and duplicated, posted
over real HTTP, ends exactly where the same stream delivered once and in order ends, and no
candidate is told a final decision twice.

Two ways the stream can arrive:

* all of it before the engine runs (an outage, a burst of ATS retries): the batch is applied
  in the ATS's order, so it ends as in order even with no hold on declines, unrejects and a
  job closed at the end;
* interleaved with the engine (drawn processing points): each event is applied as it comes,
  older ones are ignored. With the org's decline hold (2 business days) an unreject that
  comes first and a reject that comes late still end as in order.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heardback.bridges.models import AtsLink, InboundEvent, InboundStatus
from heardback.hiring.models import Application, ApplicationStatus, Job
from heardback.messaging.kinds import FINAL_KINDS, MessageKind
from heardback.messaging.models import Message
from heardback.promises import scheduler
from heardback.promises.services import update_policy
from tests.bridges.conftest import SECRET, LiveBridge
from tests.bridges.payloads import PROVIDERS, Story, encode

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

APPLICATIONS = 50
PROVIDER = PROVIDERS["greenhouse"]
STAGES = ["Phone Interview", "Technical Screen", "Onsite Interview", "Offer"]
CLOSE_AT = 10_000  # minutes: after every application event
# One batch holds the whole stream: "in the inbox together" is then the whole of it.
WHOLE_BATCH = 5_000

Event = tuple[int, str, str, int]  # (application, state, stage, minute)


@st.composite
def histories(draw: Any) -> list[list[Event]]:
    """Per application: applied, a few stage moves, then open, rejected, rejected and
    unrejected, or hired; strictly increasing ATS times."""
    stories = []
    for app_id in range(1, APPLICATIONS + 1):
        minute = draw(st.integers(0, 30))
        events: list[Event] = [(app_id, "active", "Application Review", minute)]
        for _ in range(draw(st.integers(0, 2))):
            minute += draw(st.integers(1, 60))
            events.append((app_id, "active", draw(st.sampled_from(STAGES)), minute))
        stage = events[-1][2]
        ending = draw(st.sampled_from(["open", "rejected", "unrejected", "hired"]))
        if ending in ("rejected", "unrejected"):
            minute += draw(st.integers(1, 60))
            events.append((app_id, "rejected", stage, minute))
        if ending == "unrejected":
            minute += draw(st.integers(1, 60))
            events.append((app_id, "unreject", stage, minute))
        if ending == "hired":
            minute += draw(st.integers(1, 60))
            events.append((app_id, "hired", "Offer", minute))
        stories.append(events)
    return stories


def body_of(event: Event) -> dict[str, Any]:
    app_id, state, stage, minute = event
    if state == "unreject":
        story = Story(app_id=app_id, stage=stage, minute=minute, action="unreject_candidate")
    else:
        story = Story(app_id=app_id, state=state, stage=stage, minute=minute)
    return PROVIDER.application(story)


def deliveries(
    events: list[Event], copies: list[int], same_id: list[bool], close: bool
) -> list[tuple[bytes, dict[str, str]]]:
    """Each event as signed bytes with headers, repeated: a repeat is the same delivery
    again (same Greenhouse-Event-ID), or a new delivery of the same body (a new id)."""
    out = []
    bodies = [body_of(e) for e in events]
    if close:
        bodies.append(PROVIDER.job_closed(4242, minute=CLOSE_AT))
    for n, body in enumerate(bodies):
        raw = encode(body)
        headers = {**PROVIDER.headers(raw, SECRET), **PROVIDER.delivery_id()}
        out.append((raw, headers))
        for _ in range(copies[n % len(copies)] - 1):
            again = headers if same_id[n % len(same_id)] else {**headers, **PROVIDER.delivery_id()}
            out.append((raw, again))
    return out


def post(bridge: LiveBridge, raw: bytes, headers: dict[str, str]) -> None:
    status = bridge.post_raw(raw, headers).status_code
    assert status in (200, 202), status


def end_state(bridge: LiveBridge) -> dict[str, tuple[Any, ...]]:
    """Per ATS application: what the candidate's application is and was told."""
    links = dict(
        AtsLink.objects.filter(
            connection=bridge.connection, kind=AtsLink.Kind.APPLICATION
        ).values_list("local_id", "external_id")
    )
    messages = Counter(
        Message.objects.filter(org_id=bridge.org.pk).values_list("application_id", "kind")
    )
    state = {}
    for app in Application.objects.filter(org=bridge.org).select_related("stage"):
        finals = sorted(
            k
            for (a, k), n in messages.items()
            if a == app.pk and k in FINAL_KINDS
            for _ in range(n)
        )
        state[links[app.pk]] = (
            app.status,
            app.stage.coarse_stage if app.status == ApplicationStatus.ACTIVE else None,
            app.pending_decline_at is not None,
            app.decline_reason if app.status == ApplicationStatus.DECLINED else "",
            tuple(finals),
            messages[(app.pk, MessageKind.ACKNOWLEDGEMENT)],
        )
    return state


def check_contract(bridge: LiveBridge, state: dict[str, tuple[Any, ...]]) -> None:
    assert len(state) == APPLICATIONS
    for external_id, (_status, _stage, _pending, _reason, finals, acks) in state.items():
        assert acks == 1, (external_id, acks)
        assert len(finals) <= 1, (external_id, finals)
    assert not InboundEvent.objects.filter(
        connection=bridge.connection, status__in=[InboundStatus.FAILED, InboundStatus.RECEIVED]
    ).exists()


def in_order(live_bridge: Any, stories: list[list[Event]], *, hold: int, close: bool) -> Any:
    reference = live_bridge("greenhouse")
    update_policy(org=reference.org, actor=reference.admin, decline_delay_business_days=hold)
    events = sorted((e for s in stories for e in s), key=lambda e: (e[3], e[0]))
    for raw, headers in deliveries(events, [1], [True], close):
        post(reference, raw, headers)
    # Applied in one go: in the ATS's order that is the same as one at a time, and faster.
    scheduler.run_until_idle(limit=WHOLE_BATCH)
    return reference


FUZZ = settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(
    stories=histories(),
    copies=st.lists(st.integers(1, 3), min_size=1, max_size=20),
    same_id=st.lists(st.booleans(), min_size=1, max_size=20),
    close=st.booleans(),
    data=st.data(),
)
def test_a_shuffled_duplicated_stream_in_the_inbox_together_ends_as_in_order(
    live_bridge: Any,
    stories: list[list[Event]],
    copies: list[int],
    same_id: list[bool],
    close: bool,
    data: Any,
) -> None:
    reference = in_order(live_bridge, stories, hold=0, close=close)
    shuffled = live_bridge("greenhouse")
    events = [e for s in stories for e in s]
    for raw, headers in data.draw(st.permutations(deliveries(events, copies, same_id, close))):
        post(shuffled, raw, headers)
    scheduler.run_until_idle(limit=WHOLE_BATCH)
    expected, got = end_state(reference), end_state(shuffled)
    check_contract(reference, expected)
    check_contract(shuffled, got)
    assert got == expected
    if close:
        assert Job.objects.get(org=shuffled.org).status == "closed"


@FUZZ
@given(
    stories=histories(),
    copies=st.lists(st.integers(1, 3), min_size=1, max_size=20),
    same_id=st.lists(st.booleans(), min_size=1, max_size=20),
    data=st.data(),
)
def test_a_shuffled_duplicated_stream_applied_as_it_comes_ends_as_in_order(
    live_bridge: Any,
    stories: list[list[Event]],
    copies: list[int],
    same_id: list[bool],
    data: Any,
) -> None:
    reference = in_order(live_bridge, stories, hold=2, close=False)
    shuffled = live_bridge("greenhouse")
    update_policy(org=shuffled.org, actor=shuffled.admin, decline_delay_business_days=2)
    events = [e for s in stories for e in s]
    stream = data.draw(st.permutations(deliveries(events, copies, same_id, False)))
    runs = data.draw(st.sets(st.integers(0, len(stream) - 1), max_size=12))
    for n, (raw, headers) in enumerate(stream):
        post(shuffled, raw, headers)
        if n in runs:
            scheduler.run_until_idle()
    scheduler.run_until_idle()
    expected, got = end_state(reference), end_state(shuffled)
    check_contract(reference, expected)
    check_contract(shuffled, got)
    assert got == expected
