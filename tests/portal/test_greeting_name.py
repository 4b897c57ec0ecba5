"""The name to greet: asked on the apply form (prefilled with a guess that never takes a
title for a first name), stored on the candidate, used in every greeting (emails, the status
page, the close-out's SQL, previews), editable on the status page; existing candidates are
backfilled by the migration."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from heardback.hiring import messages
from heardback.hiring.models import Application, Candidate, Job
from heardback.hiring.names import guess_greeting_name
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.portal import tokens
from heardback.portal.views import form_key
from heardback.promises import scheduler
from heardback.promises import services as engine
from tests import factories
from tests.portal.conftest import token_from


@pytest.mark.parametrize(
    ("full_name", "greeting"),
    [
        ("Ada Lovelace", "Ada"),
        ("Dr. Ana María López", "Ana"),
        ("Prof. Dr. Jörg Müller", "Jörg"),
        ("Dr.-Ing. Hans Maier", "Hans"),
        ("Dr. rer. nat. Anna Schmidt", "Anna"),
        ("Sra. Lucía García", "Lucía"),
        ("Mme Claire Dubois", "Claire"),
        ("Lovelace, Ada", "Ada"),
        ("Dr. Who", "Who"),
        ("Dr.", "Dr."),
        # Names that look like titles without their dot are names.
        ("Don Draper", "Don"),
        ("Phil Collins", "Phil"),
        ("  Grace   Hopper ", "Grace"),
    ],
)
def test_the_guess_never_greets_a_title(full_name: str, greeting: str) -> None:
    assert guess_greeting_name(full_name) == greeting


def _apply_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Dr. Lucía García",
        "email": "lucia@example.net",
        "language": "es",
        "time_zone": "Europe/Madrid",
        "consent": "on",
        "website": "",
        "phone": "",
    }
    return {**data, **overrides}


def test_the_apply_form_asks_and_the_email_and_status_page_use_it(
    client: Client, job: Job, monday: Any, smtp_server: Any
) -> None:
    page = client.get(f"/jobs/{job.org.slug}/{job.slug}/").content.decode()
    assert 'name="greeting_name"' in page
    assert "data-titles=" in page and " dr " in page.split("data-titles=")[1][:400]

    response = client.post(f"/jobs/{job.org.slug}/{job.slug}/", _apply_form(greeting_name="Lucy"))
    assert response.status_code == 200
    candidate = Candidate.objects.get()
    assert candidate.greeting_name == "Lucy"
    delivery.drain()
    (mail,) = smtp_server.to("lucia@example.net")
    assert "Hola, Lucy:" in mail.text
    assert "Dr." not in mail.text.split("\n")[0]

    token = token_from(mail.text)
    html = client.get(f"/s/{token}/").content.decode()
    assert "¡Hola, Lucy!" in html
    assert 'name="greeting_name"' in html and 'value="Lucy"' in html


def test_left_empty_the_greeting_is_the_guess_not_the_title(
    client: Client, job: Job, monday: Any, smtp_server: Any
) -> None:
    client.post(f"/jobs/{job.org.slug}/{job.slug}/", _apply_form(greeting_name=""))
    assert Candidate.objects.get().greeting_name == "Lucía"
    delivery.drain()
    (mail,) = smtp_server.to("lucia@example.net")
    assert "Hola, Lucía:" in mail.text
    assert "Hola, Dr." not in mail.text


def test_a_greeting_with_a_link_is_refused_and_nothing_is_stored(
    client: Client, job: Job, monday: Any
) -> None:
    response = client.post(
        f"/jobs/{job.org.slug}/{job.slug}/", _apply_form(greeting_name="see https://x.example")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "without a web address" in html  # in the page's language, next to the field
    assert 'value="Dr. Lucía García"' in html  # what they typed is kept
    assert Candidate.objects.count() == 0


def test_the_candidate_changes_it_on_the_status_page_and_every_message_follows(
    client: Client, job: Job, monday: Any, smtp_server: Any
) -> None:
    application = factories.make_application(
        job=job, name="Dr. Ana López", email="ana@example.net", language="es"
    )
    assert application.candidate.greeting_name == "Ana"
    token = tokens.issue_token(application)
    response = client.post(
        f"/s/{token}/",
        {
            "form_key": form_key(token),
            "action": "contact",
            "greeting_name": "Anita",
            "email": "ana@example.net",
            "phone": "",
            "language": "es",
        },
    )
    assert response.status_code == 302
    application.candidate.refresh_from_db()
    assert application.candidate.greeting_name == "Anita"
    assert "¡Hola, Anita!" in client.get(f"/s/{token}/").content.decode()

    # A preview and the close-out's set-based SQL greet the same way.
    fresh = Application.objects.get(pk=application.pk)
    preview = messages.preview_of(fresh, default=messages.STILL_REVIEWING)
    assert preview.text.startswith("Hola, Anita:")
    engine.close_job(job=job, actor=None)
    scheduler.run_until_idle()
    final = Message.objects.get(application_id=application.pk, kind="close_out")
    assert final.body_text.startswith("Hola, Anita:")
    assert "Hola, Anita:" in final.body_html

    # Emptied, it goes back to the guess (never blank, never the title).
    client.post(
        f"/s/{token}/",
        {
            "form_key": form_key(token),
            "action": "contact",
            "greeting_name": "",
            "email": "ana@example.net",
            "phone": "",
            "language": "es",
        },
    )
    application.candidate.refresh_from_db()
    assert application.candidate.greeting_name == "Ana"


def test_the_migration_backfills_existing_candidates(job: Job) -> None:
    people = [
        factories.make_application(job=job, name=name).candidate
        for name in ("Dr. Ana López", "Grace Hopper", "Prof. Dr. Jörg Müller")
    ]
    # As they were before the field existed.
    Candidate.objects.filter(pk__in=[c.pk for c in people]).update(greeting_name="")
    migration = importlib.import_module("heardback.hiring.migrations.0004_candidate_greeting_name")
    migration.backfill(apps, None)
    assert list(
        Candidate.objects.filter(pk__in=[c.pk for c in people])
        .order_by("pk")
        .values_list("greeting_name", flat=True)
    ) == ["Ana", "Grace", "Jörg"]
