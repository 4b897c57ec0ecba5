"""The season simulator: a hiring season replayed against the real system on a virtual clock.

Applications arrive through `hiring.services.apply`; hiring managers act on a share of their
nudges (`diligence`) through the same services the one-click links call; jobs fill or close;
the real scheduler and delivery worker run every simulated hour, delivering over SMTP into a
local server. At the end the outcome is measured from the database: who was ghosted, how
long anyone waited, which promises were kept.
"""

from __future__ import annotations

import contextlib
import random
import socket
import statistics
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model

from heardback import clock
from heardback.compliance import services as compliance
from heardback.compliance.models import AnswerDuty
from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    FINAL_EVENT_KINDS,
    PROMISE_EVENT_KINDS,
    Application,
    ApplicationStatus,
    CoarseStage,
    DeclineReason,
    Event,
    EventKind,
    Job,
    JobStatus,
    Member,
    Org,
    PromiseWatch,
    Role,
)
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.messaging.transports.smtp import SmtpSettings, SmtpTransport
from heardback.promises import scheduler, services
from heardback.promises.invariants import find_violations
from heardback.promises.policy import get_policy
from heardback.sim.ats import PretendGreenhouse

SEASON_START = datetime(2027, 1, 4, 7, 0, tzinfo=UTC)  # a Monday morning
TICK = timedelta(hours=1)
LANGUAGES = ["en", "en", "en", "de", "es"]
INTERVIEW_SHARE = 0.15  # with a jurisdiction: the share of applicants interviewed
ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata", "UTC"]


@dataclass
class SeasonConfig:
    jobs: int = 40
    applicants: int = 20_000
    days: int = 120
    diligence: float = 0.5
    seed: int = 7
    via: str = ""  # "greenhouse": events enter through the bridge instead of the services
    # A jurisdiction key (e.g. "ontario"): the org is an employer there, recruiters log
    # interviews, and the report counts legal deadlines missed.
    jurisdiction: str = ""


@dataclass
class SeasonReport:
    config: SeasonConfig
    applicants: int = 0
    ghosted: int = 0
    ghosted_examples: list[str] = field(default_factory=list)
    longest_silence_days: float = 0.0
    promises_made: int = 0
    promises_broken: int = 0
    automated_median: float = 0.0
    automated_max: int = 0
    decisions_by_people: int = 0
    decisions_by_policy: int = 0
    decisions_by_close_out: int = 0
    withdrawn: int = 0
    still_active: int = 0
    messages_delivered: int = 0
    check_silence_violations: int = 0
    interviewed: int = 0
    legal_notices: int = 0
    legal_deadlines_missed: int = 0
    legal_deadlines_open: int = 0
    wall_seconds: float = 0.0

    @property
    def promises_kept_share(self) -> float:
        if not self.promises_made:
            return 1.0
        return 1 - self.promises_broken / self.promises_made

    def table(self) -> str:
        c = self.config
        rows = [
            ("season", f"{c.days} days, {c.jobs} jobs, diligence {c.diligence}, seed {c.seed}"),
            ("applicants", f"{self.applicants:,}"),
            ("ghosted", f"{self.ghosted:,}"),
            ("longest silence", f"{self.longest_silence_days:.1f} days"),
            (
                "promises met on time",
                f"{self.promises_made - self.promises_broken:,} of "
                f"{self.promises_made:,} ({self.promises_kept_share:.1%})",
            ),
            (
                "automated messages per candidate",
                f"median {self.automated_median:g}, max {self.automated_max}",
            ),
            ("decisions by people", f"{self.decisions_by_people:,}"),
            ("decisions by policy", f"{self.decisions_by_policy:,}"),
            ("final messages at close-out", f"{self.decisions_by_close_out:,}"),
            ("withdrawn by candidates", f"{self.withdrawn:,}"),
            ("still active at season end", f"{self.still_active:,}"),
            ("emails delivered over SMTP", f"{self.messages_delivered:,}"),
            (
                "check-silence at the end",
                "OK"
                if not self.check_silence_violations
                else f"{self.check_silence_violations} violations",
            ),
        ]
        if c.jurisdiction:
            rows += [
                ("jurisdiction", c.jurisdiction),
                ("interviewed applicants", f"{self.interviewed:,}"),
                ("legal 'no decision yet' notices", f"{self.legal_notices:,}"),
                ("legal deadlines still ahead", f"{self.legal_deadlines_open:,}"),
                ("legal deadlines missed", f"{self.legal_deadlines_missed:,}"),
            ]
        rows.append(("wall time", f"{self.wall_seconds:.1f} s"))
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CountingHandler:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


class Season:
    def __init__(self, config: SeasonConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.clock = clock.VirtualClock(SEASON_START)
        self.end = SEASON_START + timedelta(days=config.days)
        # (application, promise) nudges seen
        self.considered: set[tuple[int, datetime | None]] = set()
        self.planned: list[tuple[datetime, int]] = []  # (when, application) manager actions
        self.broken: set[tuple[int, datetime | None]] = set()
        self.ats: PretendGreenhouse | None = None
        self.ats_withdrawals: list[tuple[datetime, str]] = []
        # (when, application, counts): interviews the recruiters will hold and log.
        self.interviews: list[tuple[datetime, int, bool]] = []

    # --- setup ----------------------------------------------------------------------------
    def _setup(self) -> tuple[Org, list[Job], list[tuple[datetime, Job]], dict[int, datetime]]:
        cfg = self.config
        stamp = int(time.time())
        ontario = cfg.jurisdiction == "ontario"
        org = hiring.create_org(
            name=f"Season {cfg.seed}",
            slug=f"season-{cfg.seed}-{stamp}",
            country="CA" if ontario else "DE",
            subdivision="ON" if ontario else "",
            time_zone="America/Toronto" if ontario else "Europe/Berlin",
        )
        get_policy(org=org)
        user_model = get_user_model()

        def member(role: str, n: int) -> Member:
            email = f"{role}{n}.{stamp}@season.example"
            user = user_model.objects.create_user(username=email, email=email)
            return hiring.add_member(org=org, user=user, role=role)

        admin = member(Role.ADMIN, 1)
        if cfg.jurisdiction:
            compliance.set_org_settings(
                org=org,
                jurisdiction=cfg.jurisdiction,
                employee_count=250,
                notice_counts_as_answer=None,
                actor=admin,
            )
        managers = [member(Role.HIRING_MANAGER, n) for n in range(max(1, cfg.jobs // 4))]
        jobs = [
            hiring.create_job(org=org, title=f"Role {n + 1}", owner=managers[n % len(managers)])
            for n in range(cfg.jobs)
        ]
        if cfg.via == "greenhouse":
            self.ats = PretendGreenhouse(admin=admin, jobs=jobs)
        arrivals_until = self.config.days * 0.7
        arrivals = sorted(
            (
                SEASON_START + timedelta(days=self.rng.uniform(0, arrivals_until)),
                jobs[self.rng.randrange(len(jobs))],
            )
            for _ in range(cfg.applicants)
        )
        closing = {
            job.pk: SEASON_START
            + timedelta(days=self.rng.uniform(cfg.days * 0.55, cfg.days * 0.95))
            for job in jobs
        }
        return org, jobs, arrivals, closing

    # --- the managers -----------------------------------------------------------------------
    def _notice_nudges(self, org: Org, now: datetime) -> None:
        """Each fresh nudge is acted on with probability `diligence`, some hours later."""
        nudged = Application.objects.filter(
            org=org,
            status=ApplicationStatus.ACTIVE,
            promise_watch=PromiseWatch.NUDGED,
            pending_decline_at__isnull=True,
        ).values_list("id", "respond_by")
        for application_id, respond_by in nudged:
            key = (application_id, respond_by)
            if key in self.considered:
                continue
            self.considered.add(key)
            if self.rng.random() < self.config.diligence:
                delay = timedelta(hours=self.rng.uniform(1, 30))
                self.planned.append((now + delay, application_id))

    def _act(self, application_id: int, now: datetime) -> None:
        application = (
            Application.objects.select_related("job__owner", "stage", "org", "candidate")
            .filter(
                pk=application_id, status=ApplicationStatus.ACTIVE, pending_decline_at__isnull=True
            )
            .first()
        )
        if application is None or application.job.status != JobStatus.OPEN:
            return
        owner = application.job.owner
        roll = self.rng.random()
        if self.ats is not None:
            self._act_in_ats(application, roll, now)
            return
        try:
            if application.stage.coarse_stage == CoarseStage.OFFER:
                if roll < 0.7:
                    hiring.hire(application=application, actor=owner)
                    services.close_job(job=application.job, actor=owner, outcome="filled")
                else:
                    services.schedule_decline(
                        application=application, actor=owner, reason=DeclineReason.OTHER_CANDIDATE
                    )
            elif roll < 0.35:
                hiring.advance(application=application, actor=owner)
            elif roll < 0.9:
                services.schedule_decline(
                    application=application,
                    actor=owner,
                    reason=self.rng.choice(
                        [DeclineReason.OTHER_CANDIDATE, DeclineReason.EXPERIENCE]
                    ),
                )
            else:
                services.extend_promise(application=application, business_days=3, actor=owner)
        except HiringError:
            pass  # the world moved on (e.g. the job closed meanwhile): nothing to do

    def _act_in_ats(self, application: Application, roll: float, now: datetime) -> None:
        """The same decisions, taken in the ATS; the bridge tells the candidate."""
        assert self.ats is not None
        ats_id = self.ats.ats_id_of(application.pk)
        if ats_id is None:
            return
        if application.stage.coarse_stage == CoarseStage.OFFER:
            if roll < 0.7:
                self.ats.hire(ats_id, now)
                self.ats.close_job(application.job, now)
            else:
                self.ats.reject(ats_id, now, "Hired another candidate")
        elif roll < 0.35:
            self.ats.advance(ats_id, now)
        elif roll < 0.9:
            reason = self.rng.choice(["Hired another candidate", "Lacks experience"])
            self.ats.reject(ats_id, now, reason)
        else:
            # "Need more days" is Heardback's own one-click link in the nudge.
            with contextlib.suppress(HiringError):
                services.extend_promise(
                    application=application, business_days=3, actor=application.job.owner
                )

    def _interview(self, application_id: int, now: datetime, counts: bool) -> None:
        """The interview took place this past hour; the recruiter logs it in the console."""
        application = (
            Application.objects.select_related("org", "job")
            .filter(pk=application_id, status=ApplicationStatus.ACTIVE)
            .first()
        )
        if application is None:
            return
        compliance.log_interview(
            application=application,
            starts_at=now - timedelta(minutes=45),
            kind="video" if counts else "screen",
            interviewers=application.job.owner.display_name,
            counts=counts,
            source="console",
            recorded_by="season recruiter",
        )

    # --- the run ------------------------------------------------------------------------------
    def run(self) -> SeasonReport:
        started = time.perf_counter()
        handler = CountingHandler()
        port = _free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=port))
        try:
            with clock.use_clock(self.clock):
                org, jobs, arrivals, closing = self._setup()
                self._loop(org, jobs, arrivals, closing, transport)
                report = self._measure(org)
        finally:
            transport.close()
            controller.stop()
        report.messages_delivered = handler.count
        report.wall_seconds = time.perf_counter() - started
        return report

    def _loop(
        self,
        org: Org,
        jobs: list[Job],
        arrivals: list[tuple[datetime, Job]],
        closing: dict[int, datetime],
        transport: SmtpTransport,
    ) -> None:
        next_arrival = 0
        closed: set[int] = set()
        withdraw_share = 0.03
        opt_out_share = 0.02
        while self.clock.current < self.end:
            now = self.clock.advance(TICK)
            while next_arrival < len(arrivals) and arrivals[next_arrival][0] <= now:
                _when, job = arrivals[next_arrival]
                next_arrival += 1
                job.refresh_from_db(fields=["status"])
                if job.status != JobStatus.OPEN:
                    continue
                n = next_arrival
                if self.ats is not None:
                    ats_id = self.ats.apply(
                        job=job, name=f"Applicant {n}", email=f"applicant{n}@season.example",
                        now=now,
                    )  # fmt: skip
                    if self.rng.random() < withdraw_share:
                        when = now + timedelta(days=self.rng.uniform(1, 20))
                        self.ats_withdrawals.append((when, ats_id))
                    continue
                application = hiring.apply(
                    job=job,
                    name=f"Applicant {n}",
                    email=f"applicant{n}@season.example",
                    language=self.rng.choice(LANGUAGES),
                    time_zone=self.rng.choice(ZONES),
                )
                if self.config.jurisdiction and self.rng.random() < INTERVIEW_SHARE:
                    first = now + timedelta(days=self.rng.uniform(3, 25))
                    if self.rng.random() < 0.3:  # a recruiter's screen first, not counting
                        self.interviews.append((first - timedelta(days=2), application.pk, False))
                    self.interviews.append((first, application.pk, True))
                    if self.rng.random() < 0.4:  # a second round restarts the clock
                        later = first + timedelta(days=self.rng.uniform(5, 15))
                        self.interviews.append((later, application.pk, True))
                if self.rng.random() < opt_out_share:
                    application.candidate.progress_updates_opt_out = True
                    application.candidate.save(update_fields=["progress_updates_opt_out"])
                if self.rng.random() < withdraw_share:
                    self.planned.append(
                        (now + timedelta(days=self.rng.uniform(1, 20)), -application.pk)
                    )
            due = [item for item in self.planned if item[0] <= now]
            self.planned = [item for item in self.planned if item[0] > now]
            for _when, application_id in due:
                if application_id < 0:
                    withdrawing = Application.objects.filter(
                        pk=-application_id, status=ApplicationStatus.ACTIVE
                    ).first()
                    if withdrawing is not None:
                        hiring.withdraw(application=withdrawing)
                else:
                    self._act(application_id, now)
            held = [item for item in self.interviews if item[0] <= now]
            self.interviews = [item for item in self.interviews if item[0] > now]
            for _when, application_id, counts in held:
                self._interview(application_id, now, counts)
            if self.ats is not None:
                for _when, ats_id in [w for w in self.ats_withdrawals if w[0] <= now]:
                    self.ats.reject(ats_id, now, "Candidate withdrew")
                self.ats_withdrawals = [w for w in self.ats_withdrawals if w[0] > now]
            for job in jobs:
                if job.pk not in closed and closing[job.pk] <= now:
                    closed.add(job.pk)
                    job.refresh_from_db(fields=["status"])
                    if job.status == JobStatus.OPEN and self.ats is not None:
                        self.ats.close_job(job, now)
                    elif job.status == JobStatus.OPEN:
                        services.close_job(job=job, actor=job.owner, outcome="closed")
            scheduler.run_until_idle(limit=2000)
            delivery.drain(transport=transport, batch_size=500)
            self._notice_nudges(org, now)
            if now.hour == 12:  # the invariant, checked as the season goes
                for violation in find_violations(now=now):
                    if "promise" in violation.problem:
                        app = Application.objects.get(pk=violation.application_id)
                        self.broken.add((violation.application_id, app.respond_by))

    # --- the outcome --------------------------------------------------------------------------
    def _measure(self, org: Org) -> SeasonReport:
        report = SeasonReport(config=self.config)
        now = self.clock.current
        window = timedelta(days=get_policy(org=org).max_silence_days)
        applications = {
            a.pk: a for a in Application.objects.filter(org=org).select_related("job", "candidate")
        }
        report.applicants = len(applications)
        contacts: dict[int, list[datetime]] = defaultdict(list)
        finals: Counter[int] = Counter()
        automated: Counter[int] = Counter()
        for application_id, created_at, final, is_automated in (
            Message.objects.filter(org_id=org.pk, application_id__isnull=False)
            .exclude(status="cancelled")
            .values_list("application_id", "created_at", "final", "automated")
        ):
            if application_id is None:  # never, given the filter: narrows the nullable column
                continue
            contacts[application_id].append(created_at)
            if final:
                finals[application_id] += 1
            if is_automated:
                automated[application_id] += 1
        longest = timedelta(0)
        for application in applications.values():
            times = sorted([application.created_at, *contacts[application.pk]])
            until = application.decided_at or now
            if application.candidate.progress_updates_opt_out and application.decided_at is None:
                until = times[-1]  # they asked not to hear progress; not silence we owe
            gaps = [b - a for a, b in pairwise(times)] + [until - times[-1]]
            biggest = max(gaps)
            if application.candidate.progress_updates_opt_out:
                biggest = timedelta(0)
            longest = max(longest, biggest)
            ghosted = biggest > window
            if application.status == ApplicationStatus.ACTIVE:
                if application.job.status != JobStatus.OPEN:
                    ghosted = True  # active past the job's close without a final message
            elif finals[application.pk] == 0:
                ghosted = True
            if ghosted:
                report.ghosted += 1
                if len(report.ghosted_examples) < 5:
                    report.ghosted_examples.append(
                        f"application {application.pk}: {application.status}, silence {biggest}"
                    )
        report.longest_silence_days = longest.total_seconds() / 86400
        report.promises_made = Event.objects.filter(org=org, kind__in=PROMISE_EVENT_KINDS).count()
        report.promises_broken = len(self.broken)
        counts = [automated[a] for a in applications] or [0]
        report.automated_median = statistics.median(counts)
        report.automated_max = max(counts)
        finals_events = Event.objects.filter(org=org, kind__in=FINAL_EVENT_KINDS).values_list(
            "kind", "actor_id", "data"
        )
        for kind, actor_id, data in finals_events:
            if kind == EventKind.CLOSED_OUT:
                # One event per close-out chunk, saying how many it declined.
                report.decisions_by_close_out += int((data or {}).get("applications", 1))
            elif kind == EventKind.WITHDRAWN:
                report.withdrawn += 1
            elif actor_id is None:
                report.decisions_by_policy += 1
            else:
                report.decisions_by_people += 1
        report.still_active = sum(
            1 for a in applications.values() if a.status == ApplicationStatus.ACTIVE
        )
        report.check_silence_violations = len(
            [v for v in find_violations(now=now) if v.org_id == org.pk]
        )
        if self.config.jurisdiction:
            duties = AnswerDuty.objects.filter(org=org)
            report.interviewed = duties.count()
            report.legal_notices = duties.filter(notice_at__isnull=False).count()
            report.legal_deadlines_open = duties.filter(
                answered_at__isnull=True, due_at__gte=now
            ).count()
            # Missed: answered after the deadline, or past it with no answer at all.
            report.legal_deadlines_missed = (
                duties.filter(answered_late=True).count()
                + duties.filter(answered_at__isnull=True, due_at__lt=now).count()
            )
        return report


def simulate(config: SeasonConfig) -> SeasonReport:
    return Season(config).run()
