"""The demo org: a few jobs with pipelines and about fifty candidates at various stages.

Everything is created through the same services the product uses, so the demo's emails are
real messages in the outbox, delivered over SMTP to the local mailbox.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from heardback.hiring import services
from heardback.hiring.models import DeclineReason, Org, Role

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


def load_demo(*, seed: int = 42, candidates: int = 50) -> tuple[Org, DemoLogins]:
    rng = random.Random(seed)
    user_model = get_user_model()
    with transaction.atomic():
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
        jobs = [
            services.create_job(
                org=org,
                title=title,
                owner=people["manager"],
                description=description,
                location="Berlin or remote",
            )
            for title, description in [
                ("Robotics Software Engineer", "Build the brains of our warehouse robots."),
                ("Field Service Technician", "Keep robots running at customer sites."),
                ("Product Designer", "Design the tools operators use every day."),
            ]
        ]
    for n in range(candidates):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        job = jobs[n % len(jobs)]
        application = services.apply(
            job=job,
            name=name,
            email=f"candidate{n + 1}@example.net",
            phone=f"+49 30 {rng.randint(1000000, 9999999)}",
            language=rng.choice(LANGS),
            time_zone=rng.choice(ZONES),
            source="demo",
        )
        roll = rng.random()
        steps = 0 if roll < 0.35 else 1 if roll < 0.6 else 3 if roll < 0.8 else 5
        for _ in range(steps):
            if services.next_stage(application) is None:
                break
            application = services.advance(application=application, actor=people["recruiter"])
        fate = rng.random()
        if fate < 0.12:
            services.decline(
                application=application,
                reason=rng.choice(DeclineReason.values[:4]),
                actor=people["manager"],
            )
        elif fate < 0.15 and steps >= 5:
            services.hire(application=application, actor=people["manager"])
    logins = DemoLogins(
        admin=people["admin"].email,
        recruiter=people["recruiter"].email,
        manager=people["manager"].email,
        password=DEMO_PASSWORD,
    )
    return org, logins
