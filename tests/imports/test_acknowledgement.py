"""Imported candidates are told only when the admin ticks "tell the candidates": then each
gets the acknowledgement with the date their stage promises, over real SMTP, in their own
language; the dry-run page previews exactly that text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.test import Client
from django.urls import reverse

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.messages import format_respond_by
from heardback.hiring.models import Application
from heardback.imports.models import ImportRun, ImportStatus
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.promises import scheduler
from tests.imports.conftest import Place, rows

FILE = rows(
    "Data Engineer,Ada Lovelace,ada@example.net,,en,Europe/London,Interview,,",
    "Data Engineer,Jürgen Schmidt,juergen@example.de,,de,,,,",
    "Data Engineer,Known Person,known@example.net,,,,,,",
)


def admin_client(place: Place) -> Client:
    client = Client()
    client.force_login(place.admin.user)
    return client


def upload(client: Client, place: Place, text: str) -> ImportRun:
    path = place.write(text)
    with path.open("rb") as handle:
        response = client.post(reverse("imports:index"), {"file": handle})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportRun.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def test_told_candidates_get_the_acknowledgement_with_their_stage_promise(
    place: Place, monday: datetime, smtp_server: Any
) -> None:
    known = hiring.apply(job=place.job, name="Known Person", email="known@example.net")
    delivery.drain()
    already = len(smtp_server.to("known@example.net"))
    client = admin_client(place)
    run = upload(client, place, FILE)
    page = client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    assert "The acknowledgement, as Ada Lovelace would get it" in page
    assert "We received your application for Data Engineer" in page
    response = client.post(reverse("imports:start", args=[run.pk]), {"tell_candidates": "on"})
    assert response.status_code == 302
    scheduler.run_until_idle()
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE and run.messages_queued == 2
    delivery.drain()
    ada = Application.objects.select_related("candidate", "stage").get(
        candidate__email="ada@example.net"
    )
    [mail] = smtp_server.to("ada@example.net")
    short, _long = format_respond_by(ada.respond_by, time_zone="Europe/London", language="en")
    assert mail.subject == "We received your application for Data Engineer"
    assert f"You will hear from us by {short}" in mail.text
    assert f"You will hear from us by {short}" in page  # the preview is that text
    assert ada.stage.name == "Interview"
    message = Message.objects.get(application_id=ada.pk)
    assert ada.last_contacted_at == message.created_at == ada.last_automated_at
    [german] = smtp_server.to("juergen@example.de")
    assert "Data Engineer" in german.subject and "We received" not in german.subject
    # An application that already existed is left alone: no second acknowledgement.
    assert len(smtp_server.to("known@example.net")) == already
    assert Message.objects.filter(application_id=known.pk).count() == 1


def test_untold_candidates_get_nothing_and_their_silence_starts_at_the_import(
    place: Place, monday: datetime, smtp_server: Any
) -> None:
    client = admin_client(place)
    run = upload(client, place, FILE)
    client.post(reverse("imports:start", args=[run.pk]), {})
    scheduler.run_until_idle()
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE and run.messages_queued == 0
    delivery.drain()
    assert smtp_server.received == []
    assert not Message.objects.filter(org_id=place.org.pk).exists()
    for application in Application.objects.filter(org=place.org):
        assert application.last_contacted_at == clock.now()
        assert application.last_automated_at is None
        assert application.respond_by is not None
