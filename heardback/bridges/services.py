"""Creating and changing connections (admins only); secrets are stored encrypted."""

from __future__ import annotations

import secrets as random

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from heardback import clock
from heardback.bridges.models import (
    Connection,
    FinalMessageBy,
    InboundEvent,
    InboundStatus,
    Provider,
)
from heardback.bridges.processing import STEP_SOURCE, fault_item
from heardback.bridges.secrets import encrypt
from heardback.hiring.errors import HiringError
from heardback.hiring.models import CoarseStage, Member, Role
from heardback.messaging.headers import single_line
from heardback.runtime.isolation import resolve


def create_connection(
    *,
    actor: Member,
    provider: str,
    name: str,
    webhook_secret: str = "",
    api_credentials: str = "",
    final_message_by: str = FinalMessageBy.HEARDBACK,
) -> tuple[Connection, str]:
    """A connection for the actor's org; returns it with its webhook secret (generated when
    none is given, for ATSs that let you choose one)."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins can connect an ATS.")
    errors: dict[str, list[str]] = {}
    if provider not in Provider.values:
        errors["provider"] = ["Choose one of the ATSs listed."]
    name = single_line(name, max_length=100)
    if not name:
        errors["name"] = ["Give the connection a name."]
    if final_message_by not in FinalMessageBy.values:
        errors["final_message_by"] = ["Choose who sends the final message."]
    if errors:
        raise HiringError(errors)
    secret = webhook_secret.strip() or random.token_urlsafe(32)
    connection = Connection.objects.create(
        org_id=actor.org_id,
        provider=provider,
        name=name,
        webhook_secret=encrypt(secret),
        api_credentials=encrypt(api_credentials.strip()),
        final_message_by=final_message_by,
        created_by=actor,
        created_at=clock.now(),
    )
    return connection, secret


def _check_admin(actor: Member, connection: Connection) -> None:
    if actor.role != Role.ADMIN or actor.org_id != connection.org_id:
        raise PermissionDenied("Only the org's admins can change its connections.")


def set_stage_map(*, actor: Member, connection: Connection, mapping: dict[str, str]) -> None:
    _check_admin(actor, connection)
    bad = sorted({v for v in mapping.values() if v not in CoarseStage.values})
    if bad:
        raise HiringError({"stage_map": [f"Unknown stages: {', '.join(bad)}."]})
    connection.stage_map = {
        single_line(k, max_length=100).lower(): v for k, v in mapping.items() if k.strip()
    }
    connection.save(update_fields=["stage_map"])


def endpoint_url(connection: Connection) -> str:
    path = reverse(
        "bridges:receive", kwargs={"provider": connection.provider, "connection_id": connection.pk}
    )
    return f"{settings.SITE_URL}{path}"


# Providers whose webhook secret is ours to choose: the ATS's side is a form the admin
# fills in with it (or their own code), so Heardback generates a strong one.
SECRET_CHOSEN_HERE = {Provider.GENERIC}


def update_connection(
    *,
    actor: Member,
    connection: Connection,
    name: str,
    final_message_by: str,
    enabled: bool,
    webhook_secret: str = "",
    api_credentials: str = "",
    new_secret: bool = False,
) -> str:
    """Change a connection's settings. An empty secret or credentials field keeps what is
    stored (they are never shown again); `new_secret` generates one (the generic bridge).
    Returns the new webhook secret when one was generated, to be shown once."""
    _check_admin(actor, connection)
    errors: dict[str, list[str]] = {}
    clean_name = single_line(name, max_length=100)
    if not clean_name:
        errors["name"] = ["Give the connection a name."]
    if final_message_by not in FinalMessageBy.values:
        errors["final_message_by"] = ["Choose who sends the final message."]
    if new_secret and webhook_secret.strip():
        errors["webhook_secret"] = ["Paste a secret or generate one, not both."]
    if errors:
        raise HiringError(errors)
    connection.name = clean_name
    connection.final_message_by = final_message_by
    connection.enabled = enabled
    generated = random.token_urlsafe(32) if new_secret else ""
    if generated or webhook_secret.strip():
        connection.webhook_secret = encrypt(generated or webhook_secret.strip())
    if api_credentials.strip():
        connection.api_credentials = encrypt(api_credentials.strip())
    connection.save(
        update_fields=[
            "name",
            "final_message_by",
            "enabled",
            "webhook_secret",
            "api_credentials",
        ]
    )
    return generated


def can_replay(event: InboundEvent) -> bool:
    """A failed event, or one whose processing keeps failing and waits for its next try,
    as long as its body is still kept (housekeeping empties it after a while)."""
    if event.body_removed_at is not None:
        return False
    return event.status == InboundStatus.FAILED or (
        event.status == InboundStatus.RECEIVED and bool(event.last_error)
    )


def replay_event(*, actor: Member, event: InboundEvent) -> bool:
    """Put an event that failed back in the inbox, to be applied on the next round (after a
    person fixed what stopped it: a reopened job, a stage mapping, an email address in the
    ATS). Returns False when there is nothing to replay."""
    _check_admin(actor, event.connection)
    if not can_replay(event):
        return False
    updated = InboundEvent.objects.filter(
        pk=event.pk,
        status__in=[InboundStatus.FAILED, InboundStatus.RECEIVED],
        body_removed_at__isnull=True,
    ).update(
        status=InboundStatus.RECEIVED,
        next_attempt_at=None,
        outcome=single_line(f"replay asked by {actor.display_name}", max_length=300),
    )
    # A fault in backoff would make the step skip it until its next try: clear it.
    resolve(source=STEP_SOURCE, item=fault_item(event.pk))
    return bool(updated)
