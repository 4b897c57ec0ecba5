"""Everything that changes webhook endpoints and their deliveries. Plain functions,
keyword-only arguments; the console calls these, never the models directly."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from heardback import clock
from heardback.hiring.errors import HiringError
from heardback.hiring.models import Member, Role
from heardback.messaging.headers import single_line
from heardback.messaging.kinds import MessageKind
from heardback.messaging.rendering import Rendered, text_to_html
from heardback.messaging.services import enqueue
from heardback.runtime import http
from heardback.runtime.isolation import record_failure, resolve
from heardback.webhooks import fanout, signing
from heardback.webhooks.events import TEST_EVENT, EventType
from heardback.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS_PER_ORG = 20
FAULT_SOURCE = "webhooks"  # how an endpoint's failures show on the console banner and doctor


def fault_item(endpoint_id: int) -> str:
    return f"webhook_endpoint:{endpoint_id}"


def fault_label(url: str) -> str:
    return f"the webhook endpoint at {urlsplit(url).hostname or url}"


def _require_admin(actor: Member, org_id: int) -> None:
    if actor.role != Role.ADMIN or actor.org_id != org_id:
        raise PermissionDenied("Only the org's admins manage its webhooks.")


def clean_url(url: str) -> str:
    """An http(s) address without credentials; in production https, to a public host.

    This is early, friendly feedback; the real check is made on every delivery, on the
    addresses actually connected to (`heardback.runtime.http`), since a name can change.
    """
    url = single_line(url, max_length=2000)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError as error:
        raise HiringError({"url": ["That isn't a valid address."]}) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HiringError({"url": ["Enter an http or https address, e.g. https://…/webhooks"]})
    if parts.username or parts.password:
        raise HiringError({"url": ["Leave the user name and password out of the address."]})
    if settings.IS_PRODUCTION:
        if parts.scheme != "https":
            raise HiringError({"url": ["Webhooks are sent over https only."]})
        if parts.port not in (None, *http.WEB_PORTS):
            # Said here, while the admin is typing: every delivery would refuse it.
            raise HiringError({"url": ["Webhooks are sent to the standard https port only."]})
        if not _may_be_public(parts.hostname):
            raise HiringError({"url": [http.MESSAGES["private"]]})
    return url


def _may_be_public(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True  # a name: judged by what it resolves to, at every delivery
    return http.is_public(host)


def clean_events(events: list[str]) -> list[str]:
    chosen = [event for event in EventType.values if event in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise HiringError({"events": ["Choose at least one of the listed events."]})
    return chosen


def create_endpoint(
    *, actor: Member, url: str, events: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint for the actor's org; returns it with the one copy of its secret that
    anyone will ever see."""
    _require_admin(actor, actor.org_id)
    errors: dict[str, list[str]] = {}
    clean_address, chosen = "", []
    try:
        clean_address = clean_url(url)
    except HiringError as error:
        errors.update(error.message_dict)
    try:
        chosen = clean_events(events)
    except HiringError as error:
        errors.update(error.message_dict)
    if WebhookEndpoint.objects.filter(org_id=actor.org_id).count() >= MAX_ENDPOINTS_PER_ORG:
        errors.setdefault("url", []).append(
            f"An organisation can have {MAX_ENDPOINTS_PER_ORG} endpoints; disable or reuse one."
        )
    if errors:
        raise HiringError(errors)
    secret = signing.new_secret()
    now = clock.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            org_id=actor.org_id,
            url=clean_address,
            description=single_line(description, max_length=200),
            events=chosen,
            secret_encrypted=signing.encrypt(secret),
            created_by=actor,
            created_at=now,
        )
        fanout.start_cursors(now=now)
    return endpoint, secret


def disable(*, actor: Member, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    _require_admin(actor, endpoint.org_id)
    if endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_at = clock.now()
        endpoint.disabled_reason = single_line(f"Disabled by {actor.display_name}", max_length=300)
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
    return endpoint


def enable(*, actor: Member, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Enable again, with a clean slate: failures before this don't count towards the next
    automatic disable. Deliveries still outstanding go out from the next round."""
    _require_admin(actor, endpoint.org_id)
    if not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
        endpoint.failing_since = None
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason", "failing_since"])
        resolve(source=FAULT_SOURCE, item=fault_item(endpoint.pk))
    return endpoint


def replay(*, actor: Member, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, as a new delivery with the same body and `webhook-id` (a
    receiver that dedupes on it can tell it is the same event)."""
    _require_admin(actor, delivery.endpoint.org_id)
    now = clock.now()
    return WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event_type=delivery.event_type,
        event_key=f"replay:{delivery.pk}:{signing.new_webhook_id()}",
        webhook_id=delivery.webhook_id,
        body=delivery.body,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        replay_of=delivery.replay_of or delivery,
        created_at=now,
    )


def send_test(*, actor: Member, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.test` event, whatever the endpoint subscribes to."""
    _require_admin(actor, endpoint.org_id)
    now = clock.now()
    webhook_id = signing.new_webhook_id()
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type=TEST_EVENT,
        event_key=f"test:{webhook_id}",
        webhook_id=webhook_id,
        body=signing.body_of(
            {
                "type": TEST_EVENT,
                "timestamp": fanout.iso(now),
                "data": {"endpoint_id": endpoint.pk, "sent_by": actor.display_name},
            }
        ).decode(),
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
    )


def disable_for_failures(*, endpoint_id: int, last_error: str, now: datetime) -> bool:
    """The endpoint has failed without a success for WEBHOOK_DISABLE_AFTER_DAYS: disable it
    and tell the org's admins (a problem on the console and in `heardback doctor`, and an
    email each). Returns False if it was already disabled (another loop got there first)."""
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update().filter(pk=endpoint_id, enabled=True).first()
        )
        if endpoint is None:
            return False  # disabled meanwhile, by a person or another network loop
        days = _days(settings.WEBHOOK_DISABLE_AFTER_DAYS)
        endpoint.enabled = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = single_line(
            f"Disabled automatically: every delivery failed for {days}. Last error: {last_error}",
            max_length=300,
        )
        endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
        record_failure(
            source=FAULT_SOURCE,
            item=fault_item(endpoint.pk),
            org_id=endpoint.org_id,
            error=endpoint.disabled_reason,
            label=fault_label(endpoint.url),
            now=now,
        )
        for admin in Member.objects.filter(org_id=endpoint.org_id, role=Role.ADMIN).select_related(
            "user"
        ):
            _tell_admin(admin, endpoint, now=now)
    return True


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _tell_admin(admin: Member, endpoint: WebhookEndpoint, *, now: datetime) -> None:
    text = (
        f"Hello {admin.display_name},\n\n"
        f"We stopped sending webhooks to {endpoint.url}: every delivery to it has failed for "
        f"{_days(settings.WEBHOOK_DISABLE_AFTER_DAYS)}.\n\n"
        f"{endpoint.disabled_reason}\n\n"
        "Once the receiving side works again, enable the endpoint in Heardback: "
        f"{settings.SITE_URL}/app/webhooks/{endpoint.pk}/\n"
        "Deliveries that have not given up yet go out then; any other can be replayed "
        "from the same page.\n"
    )
    enqueue(
        idempotency_key=f"team:webhook_disabled:{endpoint.pk}:{admin.pk}:{now.isoformat()}",
        to_email=admin.email,
        to_name=admin.display_name,
        rendered=Rendered(
            subject="Webhooks stopped: an endpoint kept failing",
            text=text,
            html=text_to_html(text),
        ),
        kind=MessageKind.TEAM_WEBHOOK_DISABLED,
        org_id=admin.org_id,
        automated=True,
    )
