"""A live status link exists only in the email that carries it.

After a whole process (applying through the job board; moving, extending, declining at once
and after a delay, and closing the job, all from the console; the scheduler and the
delivery worker doing the rest), no stored message and no console page holds a status link
that works, while every email that went out carries one that does. Previews write no
message and mint no link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from heardback.console.services import decline_template, save_stage_template
from heardback.hiring.models import Application, ApplicationStatus, Job, Member, Stage
from heardback.messaging import delivery
from heardback.messaging.links import LINK_SLOT, REDACTED
from heardback.messaging.models import Message
from heardback.portal import tokens
from heardback.portal.models import StatusToken
from heardback.promises import scheduler
from tests.smtp import Received, SmtpServer

pytestmark = pytest.mark.django_db

# Anything between "/s/" and the next "/" that could be a token, in text or in HTML.
LINK = re.compile(r"/s/([^/\s\"'<>&]+)/")
PEOPLE = ["Ada Lovelace", "Bo Diddley", "Cy Twombly", "Di Fossey", "Ed Hopper"]


def live_links(text: str) -> list[str]:
    """The status links in `text` whose token opens a status page right now."""
    return [token for token in LINK.findall(text) if tokens.lookup(token) is not None]


def apply_on_the_job_board(job: Job, name: str) -> Application:
    email = name.split()[0].lower() + "@example.net"
    response = Client().post(
        f"/jobs/{job.org.slug}/{job.slug}/",
        {
            "name": name,
            "email": email,
            "phone": "",
            "language": "en",
            "time_zone": "Europe/Berlin",
            "consent": "on",
            "website": "",
        },
    )
    assert response.status_code == 200, response.content.decode()
    return Application.objects.get(job=job, candidate__email=email)


def console_client(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def decline_form(application: Application, **extra: Any) -> dict[str, Any]:
    subject, body = decline_template(org_id=application.org_id, reason="experience", language="en")
    return {"reason": "experience", "subject": subject, "body": body, "step": "send", **extra}


@dataclass
class Season:
    job: Job
    recruiter: Member
    people: dict[str, Application]  # by first name
    screen: Stage


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def season(
    job: Job, recruiter: Member, monday: Any, time_machine: Any, smtp_server: SmtpServer
) -> Season:
    """Applied, moved, extended, declined (now and held), closed out, and delivered."""
    screen = job.pipeline.stages.get(position=1)
    # A stage message of the org's own that shows the link too.
    save_stage_template(
        stage=screen,
        subject="Screening: {{ job_title }}",
        body="Hello {{ first_name }}, we are screening now. Follow along: {{ status_url }}",
    )
    people = {name.split()[0]: apply_on_the_job_board(job, name) for name in PEOPLE}
    client = console_client(recruiter)
    for name in ("Ada", "Ed"):
        moved = client.post(reverse("console:move", args=[people[name].pk]), {"stage": screen.pk})
        assert moved.status_code == 302
    client.post(
        reverse("console:extend", args=[people["Bo"].pk]),
        {"business_days": 3, "note": "The team is travelling."},
    )
    now = client.post(
        reverse("console:decline", args=[people["Cy"].pk]),
        decline_form(people["Cy"], when="now"),
    )
    assert now.status_code == 302
    held = client.post(
        reverse("console:decline", args=[people["Di"].pk]),
        decline_form(people["Di"], when="delay", delay=1),
    )
    assert held.status_code == 302
    delivery.drain()

    time_machine.move_to(monday + timedelta(days=1, hours=1), tick=False)
    scheduler.run_until_idle()  # Di's held decline goes out
    closed = client.post(reverse("console:job_close", args=[job.pk]), {"outcome": "closed"})
    assert closed.status_code == 302
    scheduler.run_until_idle()  # the close-out, in chunks
    report = delivery.drain()
    assert report.failed == 0
    for application in people.values():
        application.refresh_from_db()
    assert people["Cy"].status == people["Di"].status == ApplicationStatus.DECLINED
    assert {people[n].closed_out_by is not None for n in ("Ada", "Bo", "Ed")} == {True}
    return Season(job=job, recruiter=recruiter, people=people, screen=screen)


def test_no_stored_message_holds_a_live_status_link(season: Season) -> None:
    stored = list(Message.objects.all())
    with_slot = [m for m in stored if LINK_SLOT in m.body_text]
    # Every kind that shows the link was written with the slot, not a token.
    assert {m.kind for m in with_slot} >= {
        "acknowledgement",
        "stage_update",
        "more_time",
        "close_out",
    }
    for message in stored:
        for text in (message.subject, message.body_text, message.body_html):
            assert live_links(text) == [], (message.kind, text)


def test_no_console_page_shows_a_live_status_link(season: Season) -> None:
    client = console_client(season.recruiter)
    pages = [
        reverse("console:dashboard"),
        reverse("console:board", args=[season.job.pk]),
        *(reverse("console:application", args=[a.pk]) for a in season.people.values()),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert live_links(response.content.decode()) == [], url
    # Staff see that there was a link, never the link.
    timeline = client.get(reverse("console:application", args=[season.people["Ada"].pk]))
    assert REDACTED in timeline.content.decode()


def _kind(mail: Received) -> str:
    return str(mail.message["X-Heardback-Kind"])


def _html(mail: Received) -> str:
    part = mail.message.get_body(preferencelist=("html",))  # type: ignore[attr-defined]
    return part.get_content() if part is not None else ""


def test_every_email_that_went_out_carries_a_working_link_to_its_own_application(
    season: Season, smtp_server: SmtpServer
) -> None:
    kinds_with_links: set[str] = set()
    for application in season.people.values():
        mails = smtp_server.to(application.candidate.email)
        assert mails, application.candidate.name
        for mail in mails:
            for text in (mail.text, _html(mail)):
                assert LINK_SLOT not in text
                for token in LINK.findall(text):
                    opened = tokens.lookup(token)
                    assert opened is not None, (_kind(mail), token)
                    assert opened.pk == application.pk
                    kinds_with_links.add(_kind(mail))
    assert kinds_with_links >= {"acknowledgement", "stage_update", "more_time", "close_out"}
    # The close-out email in particular, for each candidate it reached.
    for name in ("Ada", "Bo", "Ed"):
        application = season.people[name]
        [close_out] = [
            m for m in smtp_server.to(application.candidate.email) if _kind(m) == "close_out"
        ]
        [token] = LINK.findall(close_out.text)
        assert tokens.lookup(token).pk == application.pk  # type: ignore[union-attr]
        response = Client().get(f"/s/{token}/")
        assert response.status_code == 200
        assert application.candidate.name.split()[0] in response.content.decode()


def test_previews_write_no_message_and_mint_no_link(
    job: Job, recruiter: Member, monday: Any
) -> None:
    people = {name.split()[0]: apply_on_the_job_board(job, name) for name in PEOPLE[:2]}
    ada = people["Ada"]
    screen = job.pipeline.stages.get(position=1)
    client = console_client(recruiter)
    messages_before = Message.objects.count()
    tokens_before = StatusToken.objects.count()
    body = "Hello {{ first_name }}, your page: {{ status_url }}"

    previews = [
        client.post(
            reverse("console:template_preview"),
            {"application": ada.pk, "subject": "Hi", "body": body},
            headers={"HX-Request": "true"},
        ),
        client.get(reverse("console:stage_template", args=[screen.pk]), {"application": ada.pk}),
        client.get(reverse("console:decline", args=[ada.pk]), {"reason": "experience"}),
        client.post(
            reverse("console:decline", args=[ada.pk]),
            decline_form(ada, when="now", step="preview", body=body),
            headers={"HX-Request": "true"},
        ),
        client.get(reverse("console:move", args=[ada.pk]), {"stage": screen.pk}),
        client.get(reverse("console:job_close", args=[job.pk])),
    ]
    for response in previews:
        assert response.status_code == 200
        page = response.content.decode()
        assert live_links(page) == []
    # The previews that show a status link show it as private.
    assert REDACTED in previews[0].content.decode()
    assert REDACTED in previews[3].content.decode()
    assert Message.objects.count() == messages_before
    assert StatusToken.objects.count() == tokens_before
    ada.refresh_from_db()
    assert ada.status == ApplicationStatus.ACTIVE and ada.stage.position == 0
    assert job.status == "open"
