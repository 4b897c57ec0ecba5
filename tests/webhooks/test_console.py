"""Admins manage webhooks in the console: the secret is shown once (and kept encrypted),
endpoints are switched off and on, each has a delivery log with replay and a test event."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from heardback.webhooks import services
from heardback.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.webhooks.conftest import Hook, Receiver, World, deliver, make_world, subscribe

pytestmark = pytest.mark.django_db


def signed_in(member: Any) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_an_admin_adds_an_endpoint_sees_its_secret_once_and_the_secret_signs(
    acme: World, receiver: Receiver
) -> None:
    client = signed_in(acme.admin)
    page = client.post(
        reverse("console:webhooks"),
        {
            "url": receiver.url(),
            "description": "Our HR system",
            "events": ["application.created", "application.hired"],
        },
    )
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    secret = re.search(r'value="(whsec_[A-Za-z0-9+/=]+)"', page.content.decode()).group(1)
    endpoint = WebhookEndpoint.objects.get(org=acme.org)
    assert endpoint.events == ["application.created", "application.hired"]
    assert endpoint.created_by == acme.admin
    # Stored encrypted: not the secret, nor its base64 body.
    assert secret not in endpoint.secret_encrypted
    assert secret.removeprefix("whsec_") not in endpoint.secret_encrypted
    listing = client.get(reverse("console:webhooks")).content.decode()
    detail = client.get(reverse("console:webhook", args=[endpoint.pk])).content.decode()
    assert receiver.url() in listing and "Our HR system" in listing
    assert secret not in listing and secret not in detail  # shown once only

    client.post(reverse("console:webhook_test", args=[endpoint.pk]))
    deliver()
    (request,) = receiver.requests
    assert request.verified(secret)["type"] == "webhook.test"


def test_a_bad_address_or_no_events_adds_nothing(acme: World) -> None:
    client = signed_in(acme.admin)
    page = client.post(
        reverse("console:webhooks"),
        {"url": "ftp://hooks.acme.example/", "events": ["application.created"]},
    )
    assert page.status_code == 400
    assert "Enter an http or https address" in page.content.decode()
    page = client.post(reverse("console:webhooks"), {"url": "https://hooks.acme.example/"})
    assert page.status_code == 400
    assert "no endpoint was added" in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_switching_an_endpoint_off_and_on(acme: World, hook: Hook, receiver: Receiver) -> None:
    client = signed_in(acme.admin)
    client.post(reverse("console:webhook_disable", args=[hook.endpoint.pk]))
    off = WebhookEndpoint.objects.get(pk=hook.endpoint.pk)
    assert not off.enabled and off.disabled_reason == f"Disabled by {acme.admin.display_name}"
    page = client.get(reverse("console:webhook", args=[hook.endpoint.pk])).content.decode()
    assert "Enable" in page and "Disabled by" in page

    client.post(reverse("console:webhook_enable", args=[hook.endpoint.pk]))
    assert WebhookEndpoint.objects.get(pk=hook.endpoint.pk).enabled


def test_the_delivery_log_shows_the_latest_hundred_and_replays_one(
    acme: World, hook: Hook, receiver: Receiver
) -> None:
    for _ in range(103):
        services.send_test(actor=acme.admin, endpoint=hook.endpoint)
    receiver.default = "500"
    deliver()
    client = signed_in(acme.admin)
    page = client.get(reverse("console:webhook", args=[hook.endpoint.pk])).content.decode()
    assert page.count("Replay</button>") == 100
    assert "The server answered 500." in page

    receiver.default = "ok"
    oldest_shown = WebhookDelivery.objects.order_by("-created_at", "-id")[99]
    client.post(reverse("console:webhook_replay", args=[hook.endpoint.pk, oldest_shown.pk]))
    replay = WebhookDelivery.objects.get(replay_of=oldest_shown)
    assert replay.status == DeliveryStatus.PENDING
    assert replay.webhook_id == oldest_shown.webhook_id and replay.body == oldest_shown.body


def test_only_admins_and_only_their_own_org(acme: World, receiver: Receiver) -> None:
    assert signed_in(acme.recruiter).get(reverse("console:webhooks")).status_code in (403, 404)
    globex = make_world("Globex", "globex.example")
    theirs = subscribe(globex, receiver)
    delivery = services.send_test(actor=globex.admin, endpoint=theirs.endpoint)
    client = signed_in(acme.admin)
    for name, args in [
        ("console:webhook", [theirs.endpoint.pk]),
        ("console:webhook_disable", [theirs.endpoint.pk]),
        ("console:webhook_test", [theirs.endpoint.pk]),
        ("console:webhook_replay", [theirs.endpoint.pk, delivery.pk]),
    ]:
        method = client.get if name == "console:webhook" else client.post
        assert method(reverse(name, args=args)).status_code == 404, name
    assert WebhookEndpoint.objects.get(pk=theirs.endpoint.pk).enabled
    assert WebhookDelivery.objects.filter(endpoint=theirs.endpoint).count() == 1
    assert receiver.url() not in client.get(reverse("console:webhooks")).content.decode()


def test_the_api_keys_page_links_to_webhooks(acme: World) -> None:
    page = signed_in(acme.admin).get(reverse("console:api_keys")).content.decode()
    assert f'href="{reverse("console:webhooks")}"' in page
