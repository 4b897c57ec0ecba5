"""A hypothesis state machine over the whole engine.

Random applies, stage moves, declines (held or not), cancelled declines, job closes and
reopens, delivery-worker runs into a real SMTP server, and clock advances during which the
scheduler runs every hour, as a real one would. After every step the no-ghost contract
must hold:

- once the scheduler has run at the current time, `find_violations` finds nothing;
- no event produced two messages, and no worker delivered a message twice;
- every decision has exactly one final message, and every application that is not active
  has exactly one live (not cancelled) final message for its current decision;
- never two automated progress updates to one candidate within the org's minimum gap
  (the legal notice to an interviewed applicant excepted: the law does not wait);
- interviews (logged, some as screens that don't count, some cancelled) start legal
  deadlines under a short test profile: once the scheduler has run, no interviewed
  applicant is past the deadline without an answer, and none was answered late.

Each example runs in its own transaction, rolled back afterwards, on a virtual clock.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from heardback import clock
from heardback.compliance import profiles
from heardback.compliance import services as compliance
from heardback.compliance.errors import ComplianceError
from heardback.compliance.models import AnswerDuty, Interview
from heardback.compliance.selectors import missed_deadlines
from heardback.hiring import messages
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    Application,
    DeclineReason,
    Event,
    Job,
    JobStatus,
    Role,
    Stage,
)
from heardback.messaging import delivery
from heardback.messaging.kinds import FINAL_KINDS
from heardback.messaging.models import Message, MessageStatus
from heardback.promises import scheduler, services
from heardback.promises.invariants import find_violations
from heardback.promises.policy import get_policy
from tests.factories import make_member, make_org
from tests.smtp import SmtpServer

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
DECISIONS = {"decline", "closed_out", "hired", "withdrawn"}
_emails = itertools.count(1)
# A jurisdiction whose duty falls within the machine's reach (a few simulated days): the
# engine knows no jurisdiction by name, so a profile that is only data is enough.
SHORT = profiles.Profile(
    key="test-short-6",
    name="Test: answer within 6 days",
    effective_from=START.date() - timedelta(days=365),
    sources=(),
    min_employees=25,
    answer_days_after_last_interview=6,
    notice_counts_as_answer=True,
    record_retention_days=30,
    posting=profiles.VOLUNTARY.posting,
)


class EngineMachine(RuleBasedStateMachine):
    smtp: SmtpServer  # set by the test, started once for all examples
    seen: Counter[str]  # message kinds, counted once per example that produced them
    legal_notices = 0  # legal notices sent, over all examples

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.clock = clock.VirtualClock(START)
        self.use_clock = clock.use_clock(self.clock)
        self.use_clock.__enter__()
        self.smtp.handler.received.clear()
        self.settled = True  # the scheduler has run since the last change
        self.app_ids: list[int] = []

    def teardown(self) -> None:
        if getattr(self, "org", None):
            # What this example exercised, for --hypothesis-show-statistics.
            kinds = Message.objects.filter(org_id=self.org.pk).values_list("kind", flat=True)
            for kind in sorted(set(kinds)):
                event(f"sent {kind}")
            EngineMachine.seen.update(set(kinds))
            EngineMachine.legal_notices += AnswerDuty.objects.filter(
                org_id=self.org.pk, notice_at__isnull=False
            ).count()
        self.use_clock.__exit__(None, None, None)
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- setup ------------------------------------------------------------------------

    @initialize(
        silence=st.integers(4, 8),
        gap=st.integers(1, 3),
        delay=st.integers(0, 3),
        cap=st.integers(0, 2),
        past_cap=st.sampled_from(["escalate", "decline"]),
        grace=st.sampled_from([0, 12, 24]),
        zone=st.sampled_from(["Europe/Berlin", "UTC"]),
        promise_days=st.tuples(st.integers(1, 3), st.integers(1, 8)),
    )
    def setup(
        self,
        silence: int,
        gap: int,
        delay: int,
        cap: int,
        past_cap: str,
        grace: int,
        zone: str,
        promise_days: tuple[int, int],
    ) -> None:
        self.org = make_org(time_zone=zone)
        self.admin = make_member(org=self.org, role=Role.ADMIN)
        self.policy = services.update_policy(
            org=self.org,
            actor=self.admin,
            max_silence_days=silence,
            min_gap_days=gap,
            decline_delay_business_days=delay,
            extension_cap=cap,
            past_cap_action=past_cap,
            grace_hours=grace,
        )
        owner = make_member(org=self.org, role=Role.HIRING_MANAGER)
        self.jobs = [
            hiring.create_job(org=self.org, title=f"Role {n}", owner=owner) for n in range(2)
        ]
        # Short promises, so a few clock advances reach reminders, nudges and updates; but
        # longer than the minimum gap: a shorter one can't keep both the promise and the gap
        # (see test_policy_conflicts.py), a known open question, not something for this
        # machine to rediscover every run.
        promise_days = tuple(max(days, gap + 1) for days in promise_days)
        for job, days in zip(self.jobs, promise_days, strict=True):
            Stage.objects.filter(pipeline_id=job.pipeline_id).update(promise_business_days=days)
        compliance.set_org_settings(
            org=self.org,
            jurisdiction="test-short",
            employee_count=40,
            notice_counts_as_answer=None,
            actor=self.admin,
        )
        for n in range(3):
            self.apply(job=n % 2, language=["en", "de", "es"][n], opted_out=False, zone="")

    # --- actions ----------------------------------------------------------------------

    def _pick(self, data: st.DataObject) -> Application:
        app_id = data.draw(st.sampled_from(self.app_ids))
        return Application.objects.select_related("org", "job", "candidate", "stage").get(pk=app_id)

    def _changed(self) -> None:
        self.settled = False

    @rule(
        job=st.integers(0, 1),
        language=st.sampled_from(["en", "de", "es"]),
        opted_out=st.booleans(),
        zone=st.sampled_from(["Europe/Berlin", "Asia/Tokyo", ""]),
    )
    def apply(self, job: int, language: str, opted_out: bool, zone: str) -> None:
        target = Job.objects.get(pk=self.jobs[job].pk)
        n = next(_emails)
        try:
            application = hiring.apply(
                job=target,
                name=f"Cand {n} Example",
                email=f"c{n}@example.net",
                language=language,
                time_zone=zone,
            )
        except HiringError:
            assert target.status != JobStatus.OPEN
            return
        assert target.status == JobStatus.OPEN
        if opted_out:
            application.candidate.progress_updates_opt_out = True
            application.candidate.save(update_fields=["progress_updates_opt_out"])
        self.app_ids.append(application.pk)
        self._changed()

    @precondition(lambda self: self.app_ids)
    @rule(data=st.data())
    def move_stage(self, data: st.DataObject) -> None:
        application = self._pick(data)
        stages = list(Stage.objects.filter(pipeline_id=application.job.pipeline_id))
        stage = data.draw(st.sampled_from(stages))
        try:
            hiring.move_to_stage(application=application, stage=stage, actor=None)
        except HiringError:
            assert not application.is_active or stage.pk == application.stage_id
            return
        assert application.is_active
        self._changed()

    @precondition(lambda self: self.app_ids)
    @rule(
        data=st.data(),
        delay=st.one_of(st.none(), st.integers(0, 3)),
        reason=st.sampled_from(["experience", "other_candidate", "location"]),
    )
    def decline(self, data: st.DataObject, delay: int | None, reason: str) -> None:
        application = self._pick(data)
        try:
            services.schedule_decline(
                application=application, reason=reason, actor=None, delay_business_days=delay
            )
        except HiringError:
            assert not application.is_active or application.pending_decline_at is not None
            return
        assert application.is_active and application.pending_decline_at is None
        self._changed()

    @precondition(lambda self: self.app_ids)
    @rule(data=st.data())
    def cancel_decline(self, data: st.DataObject) -> None:
        application = self._pick(data)
        try:
            services.cancel_decline(application=application, actor=None)
        except HiringError:
            assert application.pending_decline_at is None
            return
        application.refresh_from_db()
        assert application.is_active and application.pending_decline_at is None
        self._changed()

    @precondition(lambda self: self.app_ids)
    @rule(data=st.data(), hours_ago=st.integers(0, 48), counts=st.booleans())
    def interview(self, data: st.DataObject, hours_ago: int, counts: bool) -> None:
        application = self._pick(data)
        try:
            compliance.log_interview(
                application=application,
                starts_at=clock.now() - timedelta(hours=hours_ago),
                kind="video" if counts else "screen",
                counts=counts,
                source="console",
                recorded_by="machine",
            )
        except ComplianceError:
            assert not application.is_active
            return
        assert application.is_active
        self._changed()

    @precondition(lambda self: self.app_ids)
    @rule(data=st.data())
    def cancel_interview(self, data: st.DataObject) -> None:
        rows = list(
            Interview.objects.filter(application_id__in=self.app_ids, cancelled_at__isnull=True)
        )
        if not rows:
            return
        compliance.cancel_interview(
            interview=data.draw(st.sampled_from(rows)), actor=None, recorded_by="machine"
        )
        self._changed()

    @rule(job=st.integers(0, 1), filled=st.booleans())
    def close_job(self, job: int, filled: bool) -> None:
        target = Job.objects.get(pk=self.jobs[job].pk)
        try:
            services.close_job(job=target, actor=None, outcome="filled" if filled else "closed")
        except HiringError:
            assert target.status in {JobStatus.CLOSED, JobStatus.FILLED}
            return
        self._changed()

    @rule(job=st.integers(0, 1))
    def reopen_job(self, job: int) -> None:
        target = Job.objects.get(pk=self.jobs[job].pk)
        try:
            services.reopen_job(job=target, actor=None)
        except HiringError:
            return
        self._changed()

    @rule()
    def worker_drain(self) -> None:
        report = delivery.drain()
        assert report.failed == 0

    def _pass_time(self, total: timedelta, tick: timedelta) -> None:
        """Time passes; the scheduler runs every `tick` meanwhile, as a deployed one would
        (every few seconds there; a coarser tick here only makes the test harsher)."""
        end = self.clock.current + total
        while self.clock.current < end:
            self.clock.advance(min(tick, end - self.clock.current))
            scheduler.run_until_idle()
        self.settled = True

    @rule(hours=st.integers(1, 12))
    def advance_hours(self, hours: int) -> None:
        self._pass_time(timedelta(hours=hours), timedelta(hours=1))

    @rule(days=st.integers(1, 6))
    def advance_days(self, days: int) -> None:
        self._pass_time(timedelta(days=days), timedelta(hours=3))

    @rule(minutes=st.integers(1, 50))
    def advance_a_little(self, minutes: int) -> None:
        """Less than the scheduler's slack: nothing may break in between two runs."""
        self.clock.advance(timedelta(minutes=minutes))

    @rule()
    def run_scheduler(self) -> None:
        scheduler.run_until_idle()
        self.settled = True

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def no_ghosts_once_the_scheduler_has_run(self) -> None:
        if not getattr(self, "org", None) or not self.settled:
            return
        violations = find_violations(now=clock.now())
        assert violations == [], violations

    @invariant()
    def no_interviewed_applicant_past_the_deadline_without_an_answer(self) -> None:
        if not getattr(self, "org", None) or not self.settled:
            return
        missed = [m for m in missed_deadlines(now=clock.now()) if m.org_id == self.org.pk]
        assert missed == [], missed
        late = AnswerDuty.objects.filter(org_id=self.org.pk, answered_late=True)
        assert not late.exists(), list(late.values())

    @invariant()
    def one_event_one_message(self) -> None:
        if not getattr(self, "org", None):
            return
        rows = list(
            Message.objects.filter(org_id=self.org.pk)
            .order_by("id")
            .values_list(
                "idempotency_key", "application_id", "kind", "body_text", "created_at", "status"
            )
        )
        keys = Counter(row[0] for row in rows)
        assert not [k for k, n in keys.items() if n > 1]
        # One event, one message: whatever a key's wording ("event", "final"), the event it
        # names has at most one message. (Bodies can't tell: status links are minted at send
        # time, so two legitimate updates at one frozen moment may read the same.)
        per_event = Counter(
            (row[1], row[0].rsplit(":", 1)[-1])
            for row in rows
            if row[1] is not None
            and row[5] != MessageStatus.CANCELLED
            and (":event:" in row[0] or ":final:" in row[0])
            and ":closeout:" not in row[0]
        )
        assert not [k for k, n in per_event.items() if n > 1], "one event, two messages"
        # Never the same message twice in a row: a repeat of the last message is not sent.
        last: dict[int, tuple[str, str]] = {}
        for key, app_id, kind, body, _at, status in rows:
            if app_id is None or status == MessageStatus.CANCELLED or ":legal-notice:" in key:
                continue
            assert (
                last.get(app_id) != (kind, body)
                or kind in FINAL_KINDS
                or kind in messages.REPEATED_BY_DESIGN
            ), "the same twice"
            last[app_id] = (kind, body)
        delivered = Counter(r.message["Message-ID"] for r in self.smtp.received)
        assert not [k for k, n in delivered.items() if n > 1], "delivered twice"
        sent = Message.objects.filter(org_id=self.org.pk, status=MessageStatus.SENT).count()
        assert sent == len(self.smtp.received)

    @invariant()
    def one_final_message_per_decision(self) -> None:
        """Each decision event has exactly one final message (found by its idempotency key)
        and each final message belongs to a decision. An application that is not active has
        a live final message for its latest decision; an active one has no decision since
        its last restore (a reopened job)."""
        if not self.app_ids:
            return
        finals = {
            m.idempotency_key: m
            for m in Message.objects.filter(application_id__in=self.app_ids, final=True)
        }
        claimed: set[str] = set()
        history: dict[int, list[tuple[str, str]]] = defaultdict(list)
        decisions = list(
            Event.objects.filter(application_id__in=self.app_ids, kind__in=DECISIONS | {"restored"})
            .order_by("id")
            .values_list("id", "application_id", "kind", "data")
        )
        # A close-out logs one event per chunk (no application, the chunk's id range): it is
        # the decision of each application in that range that got the close-out's message.
        for event_id, data in Event.objects.filter(
            org_id=self.org.pk, kind="closed_out", application__isnull=True
        ).values_list("id", "data"):
            covered = [
                app_id
                for app_id in self.app_ids
                if data["first_application"] <= app_id <= data["last_application"]
                and f"app:{app_id}:final:closeout:{data['close_out']}" in finals
            ]
            assert len(covered) == data["applications"], (data, covered)
            decisions += [(event_id, app_id, "closed_out", data) for app_id in covered]
        for event_id, app_id, kind, data in sorted(decisions, key=lambda d: d[0]):
            if kind == "restored":
                history[app_id].append((kind, ""))
                continue
            if kind == "closed_out":
                key = f"app:{app_id}:final:closeout:{data['close_out']}"
            else:
                key = f"app:{app_id}:final:{event_id}"
            assert key in finals, (app_id, kind, key)
            assert key not in claimed, key
            claimed.add(key)
            history[app_id].append((kind, key))
        assert claimed == set(finals), set(finals) - claimed
        for application in Application.objects.filter(pk__in=self.app_ids):
            steps = history[application.pk]
            if application.is_active:
                assert not steps or steps[-1][0] == "restored", (application.pk, steps)
                continue
            assert steps and steps[-1][0] != "restored", (application.pk, steps)
            message = finals[steps[-1][1]]
            assert message.status != MessageStatus.CANCELLED, (application.pk, message)
            if application.closed_out_by:
                assert message.kind == "close_out"
                assert application.decline_reason == DeclineReason.POSITION_CLOSED

    @invariant()
    def automated_updates_respect_the_minimum_gap(self) -> None:
        if not self.app_ids:
            return
        gap = timedelta(days=get_policy(org=self.org).min_gap_days)
        times: dict[int, list[datetime]] = defaultdict(list)
        for app_id, at in (
            Message.objects.filter(application_id__in=self.app_ids, automated=True, final=False)
            .exclude(status=MessageStatus.CANCELLED)
            .exclude(idempotency_key__contains=":legal-notice:")
            .order_by("created_at")
            .values_list("application_id", "created_at")
        ):
            times[app_id].append(at)
        for app_id, moments in times.items():
            for earlier, later in itertools.pairwise(moments):
                assert later - earlier >= gap, (app_id, earlier, later)


@pytest.mark.django_db
def test_the_no_ghost_contract_holds_under_random_operations(smtp_server: SmtpServer) -> None:
    EngineMachine.smtp = smtp_server
    EngineMachine.seen = Counter()
    EngineMachine.legal_notices = 0
    profiles.PROFILES[SHORT.key] = SHORT
    profiles.JURISDICTIONS["test-short"] = (SHORT.key,)
    try:
        _run()
    finally:
        del profiles.PROFILES[SHORT.key], profiles.JURISDICTIONS["test-short"]
    # The examples must have reached the interesting paths, or the invariants proved little.
    seen = EngineMachine.seen
    print("examples that produced each message kind:", dict(seen))
    assert seen["acknowledgement"] and seen["close_out"], seen
    assert seen["no_decision_yet"] + seen["still_reviewing"] > 0, seen
    assert seen["team_nudge"] > 0, seen
    assert EngineMachine.legal_notices > 0, "no example reached a legal notice"


def _run() -> None:
    run_state_machine_as_test(
        EngineMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=30,
            # The same examples every run: the coverage checks below must not depend on
            # the draw (a run without a nudge proves less, but is not a failure).
            derandomize=True,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            print_blob=True,
        ),
    )
