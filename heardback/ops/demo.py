"""The demo org: a hiring season in progress, eight weeks in.

Northwind Robotics has four jobs and about sixty candidates who applied over the past eight
weeks. The season is replayed on a moved clock (`clock.use_clock`), through the same services
the product uses, with the real scheduler and delivery worker running every few simulated
hours: so the engine itself keeps promises, reminds and nudges the owners, sends honest
extensions and close-out messages, and flags the candidates whose mailbox is gone. What a
developer then sees looks like a real Tuesday: cards days or weeks in their stage, a
dashboard with several weeks of bars, a job filled and closed out, promises met and
extended, a few unreachable candidates, and every email in the local mailbox with its date.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model

from heardback import clock
from heardback.devmail.transport import UNREACHABLE_DOMAIN, MaildirTransport
from heardback.hiring import branding, services
from heardback.hiring.errors import HiringError
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    CoarseStage,
    DeclineReason,
    Job,
    JobStatus,
    Member,
    Org,
    PromiseWatch,
    Role,
)
from heardback.messaging import delivery
from heardback.promises import scheduler
from heardback.promises import services as promises

DEMO_PASSWORD = "hear-me-back"  # noqa: S105 - development only; `demo` refuses production

FIRST = [
    "Ada",
    "Bashir",
    "Chioma",
    "Dmitri",
    "Elif",
    "Farah",
    "Goran",
    "Hana",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tomás",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoë",
]
LAST = [
    "Okafor",
    "Schmidt",
    "García",
    "Nguyen",
    "Kowalski",
    "Haddad",
    "Rossi",
    "Tanaka",
    "Andersson",
    "Mensah",
    "Novak",
    "Silva",
    "Yilmaz",
    "Dubois",
    "Moreau",
    "Fischer",
]
LANGS = ["en", "en", "en", "de", "es"]
ZONES = ["Europe/Berlin", "Europe/Madrid", "Europe/London", "America/New_York", "Asia/Kolkata"]


@dataclass(frozen=True)
class DemoLogins:
    admin: str
    recruiter: str
    manager: str
    password: str


SEASON = timedelta(weeks=8)
# The engine and the mail run this often in the replay: often enough that every reminder,
# nudge and extension lands within hours of when it would have, few enough to load quickly.
TICK = timedelta(hours=4)
UNREACHABLE = 3  # candidates whose mailbox is gone (the worker gets a 550 for them)
JOBS = [
    # title, description, share of arrivals, arrivals until (weeks into the season)
    ("Robotics Software Engineer", "Build the brains of our warehouse robots.", 0.4, 8),
    ("Field Service Technician", "Keep robots running at customer sites.", 0.3, 8),
    ("Product Designer", "Design the tools operators use every day.", 0.2, 4),
    ("Warehouse Automation Lead", "Lead the roll-out of our fleet at a new site.", 0.1, 3),
]


@dataclass
class _Plan:
    """What the team does next to an application, and when (on the moved clock)."""

    when: datetime
    application_id: int


@dataclass
class _Season:
    rng: random.Random
    clock: clock.VirtualClock
    people: dict[str, Member]
    jobs: list[Job]
    plans: list[_Plan] = field(default_factory=list)


def _start_of_season(now: datetime) -> datetime:
    """Eight weeks before `now`, on a Monday morning (Berlin time): when the jobs went up."""
    start = (now - SEASON).replace(hour=7, minute=0, second=0, microsecond=0)
    return start - timedelta(days=start.weekday())


def load_demo(*, seed: int = 42, candidates: int = 60) -> tuple[Org, DemoLogins]:
    """Replay the season up to now; returns the org and the demo's sign-ins."""
    now = clock.now()
    rng = random.Random(seed)
    moved = clock.VirtualClock(_start_of_season(now))
    transport = MaildirTransport(settings.DEVMAIL_MAILDIR if settings.DEVMAIL_ENABLED else None)
    with clock.use_clock(moved):
        season = _set_up(rng, moved)
        arrivals = _arrivals(season, candidates, now)
        _replay(season, arrivals, now, transport)
    # Back on the real clock: anything due by now is done, as a running scheduler would.
    scheduler.run_until_idle(limit=2000)
    delivery.drain(transport=transport, batch_size=500)
    org = Org.objects.get(pk=season.people["admin"].org_id)
    logins = DemoLogins(
        admin=season.people["admin"].email,
        recruiter=season.people["recruiter"].email,
        manager=season.people["manager"].email,
        password=DEMO_PASSWORD,
    )
    return org, logins


def _set_up(rng: random.Random, moved: clock.VirtualClock) -> _Season:
    user_model = get_user_model()
    org = services.create_org(
        name="Northwind Robotics",
        slug="northwind",
        country="DE",
        subdivision="BE",
        time_zone="Europe/Berlin",
    )
    people = {}
    for key, first, last, role in [
        ("admin", "Alex", "Admin", Role.ADMIN),
        ("recruiter", "Riley", "Recruiter", Role.RECRUITER),
        ("manager", "Morgan", "Manager", Role.HIRING_MANAGER),
    ]:
        email = f"{key}@northwind.example"
        user = user_model.objects.create_user(
            username=email,
            email=email,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            is_staff=(key == "admin"),
        )
        people[key] = services.add_member(org=org, user=user, role=role)
    branding.set_branding(
        org=org,
        name="Northwind Robotics",
        reply_to="jobs@northwind.example",
        brand_color="#0f5c4d",
        brand_header_color="#0f3d36",
        sender_email="",
    )
    jobs = [
        services.create_job(
            org=org,
            title=title,
            owner=people["manager"] if n % 2 == 0 else people["recruiter"],
            description=description,
            location="Berlin or remote",
        )
        for n, (title, description, _share, _until) in enumerate(JOBS)
    ]
    return _Season(rng=rng, clock=moved, people=people, jobs=jobs)


def _arrivals(season: _Season, candidates: int, now: datetime) -> list[tuple[datetime, int, int]]:
    """(when, candidate number, job index), spread over the season, in time order.

    Arrivals are weighted towards the season's start (a job ad draws most people early) and
    fall in waking hours; the last come in a few hours before now.
    """
    rng = season.rng
    start = season.clock.current
    weights = [share for _t, _d, share, _u in JOBS]
    found = []
    for n in range(candidates):
        job_index = rng.choices(range(len(JOBS)), weights=weights)[0]
        until = min(start + timedelta(weeks=JOBS[job_index][3]), now - timedelta(hours=3))
        span = (until - start).total_seconds()
        offset = span * (1 - rng.random() ** 0.8)  # a little front-loaded
        when = start + timedelta(seconds=offset)
        when = when.replace(hour=rng.randint(6, 19), minute=rng.randint(0, 59))
        found.append((min(when, until), n, job_index))
    return sorted(found)


def _apply(season: _Season, n: int, job: Job) -> Application:
    rng = season.rng
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    # The first few candidates' mailboxes are gone: the worker gets a 550 for them.
    domain = UNREACHABLE_DOMAIN if n < UNREACHABLE else "example.net"
    return services.apply(
        job=job,
        name=name,
        email=f"candidate{n + 1}@{domain}",
        phone=f"+49 30 {rng.randint(1000000, 9999999)}",
        language=rng.choice(LANGS),
        time_zone=rng.choice(ZONES),
        source="demo",
    )


def _plan_next(season: _Season, application_id: int, *, after: datetime) -> None:
    """The team looks at an application again some days later: quickly, or (sometimes) only
    after the engine has nudged and the candidate has had an honest extension."""
    days = season.rng.choice([1, 2, 3, 4, 6, 9, 12])
    season.plans.append(_Plan(when=after + timedelta(days=days), application_id=application_id))


def _act(season: _Season, plan: _Plan) -> None:
    application = (
        Application.objects.select_related("job", "stage", "org", "candidate")
        .filter(
            pk=plan.application_id,
            status=ApplicationStatus.ACTIVE,
            pending_decline_at__isnull=True,
        )
        .first()
    )
    if application is None or application.job.status != JobStatus.OPEN:
        return
    actor = season.people["recruiter"]
    roll = season.rng.random()
    now = season.clock.current
    try:
        if application.stage.coarse_stage == CoarseStage.OFFER:
            return  # offers wait for the one hire below
        if roll < 0.5 and services.next_stage(application) is not None:
            application = services.advance(application=application, actor=actor)
            _plan_next(season, application.pk, after=now)
        elif roll < 0.7:
            promises.schedule_decline(
                application=application,
                actor=actor,
                reason=season.rng.choice(DeclineReason.values[:4]),
            )
        elif roll < 0.8:
            promises.extend_promise(application=application, business_days=3, actor=actor)
            _plan_next(season, application.pk, after=now + timedelta(days=3))
        else:
            # Nobody gets to it this time: the engine reminds, nudges and, if need be,
            # tells the candidate honestly that it needs longer.
            _plan_next(season, application.pk, after=now + timedelta(days=5))
    except HiringError:
        pass  # the world moved on (a close-out, a withdrawal): nothing to do


def _fill_designer_job(season: _Season) -> None:
    """Week five: the designer job is filled; everyone else on it hears so (a close-out)."""
    job = season.jobs[2]
    job.refresh_from_db()
    if job.status != JobStatus.OPEN:
        return
    active = Application.objects.filter(job=job, status=ApplicationStatus.ACTIVE).select_related(
        "stage", "job", "org", "candidate"
    )
    best = max(active, key=lambda a: a.stage.position, default=None)
    if best is not None:
        while services.next_stage(best) is not None:
            best = services.advance(application=best, actor=season.people["manager"])
        services.hire(application=best, actor=season.people["manager"])
    promises.close_job(job=job, actor=season.people["manager"], outcome="filled")


def _replay(
    season: _Season,
    arrivals: list[tuple[datetime, int, int]],
    now: datetime,
    transport: MaildirTransport,
) -> None:
    filled_at = season.clock.current + timedelta(weeks=5)
    withdrawn = 0
    next_arrival = 0
    while season.clock.current < now:
        moment = season.clock.advance(min(TICK, now - season.clock.current))
        while next_arrival < len(arrivals) and arrivals[next_arrival][0] <= moment:
            _when, n, job_index = arrivals[next_arrival]
            next_arrival += 1
            job = season.jobs[job_index]
            job.refresh_from_db(fields=["status"])
            if job.status != JobStatus.OPEN:
                continue
            application = _apply(season, n, job)
            _plan_next(season, application.pk, after=moment)
        due = [plan for plan in season.plans if plan.when <= moment]
        season.plans = [plan for plan in season.plans if plan.when > moment]
        for plan in due:
            _act(season, plan)
        if withdrawn < 2 and season.rng.random() < 0.02:
            found = Application.objects.filter(
                org_id=season.people["admin"].org_id,
                status=ApplicationStatus.ACTIVE,
                promise_watch=PromiseWatch.PENDING,
                pending_decline_at__isnull=True,
            ).first()
            if found is not None:
                services.withdraw(application=found)
                withdrawn += 1
        if moment >= filled_at:
            _fill_designer_job(season)
            filled_at = now + SEASON  # once
        scheduler.run_until_idle(limit=2000)
        delivery.drain(transport=transport, batch_size=500)
