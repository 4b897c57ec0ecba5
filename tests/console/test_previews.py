"""Previews tell the truth: every preview is rendered by the path the send takes, so what the
recruiter reads is what the candidate receives, checked against the bytes a real SMTP
server got (the text part), in the candidate's language, for the option chosen.

The one difference a preview keeps on purpose is the status link: previews never mint one,
so it reads "[private link]" where the email has the candidate's own link. (And the email's
lines end in CRLF, as SMTP requires; the comparison reads them as the page does.)
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from heardback.hiring.models import Application, Job, Stage
from heardback.messaging import delivery
from heardback.messaging.links import REDACTED
from heardback.promises import scheduler
from tests import factories
from tests.console.conftest import World, client_for
from tests.smtp import SmtpServer

LINK = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]+/")


def _as_previewed(text: str) -> str:
    """The received text part with the candidate's own status link shown as previews show it,
    and its lines ended as a page ends them (SMTP carries every line with CRLF)."""
    return LINK.sub(REDACTED, text).replace("\r\n", "\n")


def _pre(page: str, element_id: str) -> str:
    match = re.search(rf'<pre class="mail" id="{element_id}">(.*?)</pre>', page, re.DOTALL)
    assert match, f"no #{element_id} in the page"
    return html.unescape(match.group(1))


def _subject(page: str) -> str:
    match = re.search(r'<span id="closeout-subject">(.*?)</span>', page, re.DOTALL)
    assert match
    return html.unescape(match.group(1))


@pytest.mark.parametrize("outcome", ["closed", "filled"])
@pytest.mark.parametrize(
    ("name", "language", "greeting", "words"),
    [
        ("Dr. Lucía García", "es", "Hola, Lucía:", {"closed": "cerrado", "filled": "cubierto"}),
        ("Ada Lovelace", "en", "Hello Ada,", {"closed": "closed", "filled": "filled"}),
    ],
)
def test_the_close_preview_is_the_email_byte_for_byte(
    world: World,
    smtp_server: SmtpServer,
    outcome: str,
    name: str,
    language: str,
    greeting: str,
    words: dict[str, str],
) -> None:
    job = factories.make_job(org=world.org, title="Night Chef", owner=world.manager)
    application = factories.make_application(
        job=job, name=name, email="reader@example.net", language=language
    )
    delivery.drain()
    smtp_server.handler.received.clear()
    client = client_for(world.recruiter)

    page = client.get(f"/app/jobs/{job.pk}/close/?outcome={outcome}").content.decode()
    subject, text = _subject(page), _pre(page, "closeout-text")
    assert text.startswith(greeting)
    assert words[outcome] in subject
    assert "{{" not in text and "{%" not in text

    response = client.post(f"/app/jobs/{job.pk}/close/", {"outcome": outcome})
    assert response.status_code == 302
    scheduler.run_until_idle()
    delivery.drain()
    (mail,) = smtp_server.to("reader@example.net")
    assert mail.subject == subject
    assert _as_previewed(mail.text) == text  # byte for byte, but for the private link
    assert mail.message["Content-Language"] == language
    application.refresh_from_db()
    assert application.closed_out_by is not None


def test_switching_the_outcome_fetches_the_chosen_preview(world: World) -> None:
    client = client_for(world.recruiter)
    closed = client.get(f"/app/jobs/{world.job.pk}/close/?outcome=closed").content.decode()
    filled = client.get(
        f"/app/jobs/{world.job.pk}/close/?outcome=filled", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "has been closed" in _subject(closed)
    assert "has been filled" in _subject(filled)
    assert "<html" not in filled  # just the preview, for the page to swap in
    assert "has now been filled" in _pre(filled, "closeout-text")


def _spanish_candidate(world: World) -> Application:
    return factories.make_application(
        job=world.job, name="Dr. Lucía García", email="lucia@example.net", language="es"
    )


def _interview(job: Job) -> Stage:
    return job.pipeline.stages.filter(coarse_stage="interview").order_by("position").first()


def test_a_spanish_candidates_move_preview_is_all_spanish_and_is_what_is_sent(
    world: World, smtp_server: SmtpServer, time_machine: Any
) -> None:
    time_machine.move_to("2026-12-01 09:00:00+00:00", tick=False)
    application = _spanish_candidate(world)
    delivery.drain()
    smtp_server.handler.received.clear()
    stage = _interview(world.job)
    client = client_for(world.recruiter)
    page = client.get(f"/app/applications/{application.pk}/move/?stage={stage.pk}")
    text = _pre(page.content.decode(), "move-text")
    assert text.startswith("Hola, Lucía:")
    assert "Un cordial saludo" in text
    for english in ("Hello", "Good news", "You will hear", "Kind regards", "Dec", "Dr."):
        assert english not in text, english
    assert re.search(r"\b(lun|mar|mié|jue|vie), \d{1,2} dic\b", text), text  # CLDR, lower case

    client.post(f"/app/applications/{application.pk}/move/", {"stage": stage.pk})
    delivery.drain()
    (mail,) = smtp_server.to("lucia@example.net")
    assert _as_previewed(mail.text) == text
    assert mail.message["Content-Language"] == "es"


def test_a_spanish_candidates_decline_preview_is_what_is_sent(
    world: World, smtp_server: SmtpServer
) -> None:
    application = _spanish_candidate(world)
    delivery.drain()
    smtp_server.handler.received.clear()
    client = client_for(world.recruiter)
    page = client.get(f"/app/applications/{application.pk}/decline/?reason=experience")
    html_page = page.content.decode()
    text = _pre(html_page, "decline-text")
    assert text.startswith("Hola, Lucía:") and "{{" not in text
    subject = re.search(r'name="subject" value="([^"]*)"', html_page)
    body = re.search(r'<textarea name="body"[^>]*>\n?(.*?)</textarea>', html_page, re.DOTALL)
    assert subject and body
    client.post(
        f"/app/applications/{application.pk}/decline/",
        {
            "reason": "experience",
            "subject": html.unescape(subject.group(1)),
            "body": html.unescape(body.group(1)),
            "when": "now",
            "delay": "2",
            "step": "send",
        },
    )
    delivery.drain()
    (mail,) = smtp_server.to("lucia@example.net")
    assert _as_previewed(mail.text) == text


def _decline_preview(client: Client, application: Application, **data: str) -> str:
    form = {
        "reason": "other",
        "subject": "Tu candidatura para {{ job_title }}",
        "body": "Hola, {{ first_name }}:\n\nGracias.\n\n",
        "when": "delay",
        "delay": "2",
        **data,
    }
    response = client.post(
        f"/app/applications/{application.pk}/decline/", form, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_decline_hold_line_follows_the_send_now_choice(world: World) -> None:
    application = _spanish_candidate(world)
    client = client_for(world.recruiter)
    held = _decline_preview(client, application, when="delay", delay="2")
    assert "Held, then sent" in held and "cancel it until then" in held
    now = _decline_preview(client, application, when="now")
    assert "Sent as soon as you press Decline." in now
    assert "Held" not in now and "hold" not in now.lower()
    application.refresh_from_db()
    assert application.is_active and application.pending_decline_at is None  # nothing sent


@pytest.mark.parametrize(
    "body",
    ["Hola, {{first_name}:\n\nGracias.", "Hola, { first_name }}:", "Hola, {{ nombre }}:"],
)
def test_a_placeholder_typo_is_an_error_not_raw_braces(world: World, body: str) -> None:
    application = _spanish_candidate(world)
    client = client_for(world.recruiter)
    page = _decline_preview(client, application, body=body)
    assert 'class="mail"' not in page  # no preview that would show braces to the candidate
    assert "placeholder is not written right" in page or "Unknown variable" in page
    response = client.post(
        f"/app/applications/{application.pk}/decline/",
        {"reason": "other", "subject": "x", "body": body, "when": "now", "step": "send"},
    )
    assert response.status_code == 200  # the form again, with the error; nothing sent
    application.refresh_from_db()
    assert application.is_active
