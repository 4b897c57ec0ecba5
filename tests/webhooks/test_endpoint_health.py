"""An endpoint that keeps failing: shown to its org while it fails, disabled after
WEBHOOK_DISABLE_AFTER_DAYS without a single success, and its admins told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from heardback import clock
from heardback.hiring.models import Role
from heardback.messaging.kinds import MessageKind
from heardback.messaging.models import Message
from heardback.runtime.models import Fault
from heardback.webhooks import services
from heardback.webhooks.models import DeliveryStatus, WebhookEndpoint
from tests import factories
from tests.webhooks.conftest import Hook, Receiver, World, deliver

pytestmark = pytest.mark.django_db


def fail_once(world: World, hook: Hook) -> None:
    services.send_test(actor=world.admin, endpoint=hook.endpoint)
    deliver()


def endpoint(hook: Hook) -> WebhookEndpoint:
    return WebhookEndpoint.objects.get(pk=hook.endpoint.pk)


def fault(hook: Hook) -> Fault | None:
    return Fault.objects.filter(
        source="webhooks", item=f"webhook_endpoint:{hook.endpoint.pk}"
    ).first()


def test_an_endpoint_failing_for_three_days_is_disabled_and_its_admins_are_told(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any
) -> None:
    second_admin = factories.make_member(org=acme.org, role=Role.ADMIN, email="ann@acme.example")
    receiver.default = "500"
    started = clock.now()

    fail_once(acme, hook)
    assert endpoint(hook).failing_since == started
    assert endpoint(hook).enabled
    # Shown to the org while it fails: the console banner and `heardback doctor` read it.
    shown = fault(hook)
    assert shown is not None and shown.org_id == acme.org.pk and shown.resolved_at is None
    assert "answered 500" in shown.last_error
    assert shown.label == "the webhook endpoint at 127.0.0.1"

    frozen.move_to(started + timedelta(days=2, hours=23))
    fail_once(acme, hook)
    assert endpoint(hook).enabled

    frozen.move_to(started + timedelta(days=3, minutes=1))
    fail_once(acme, hook)
    disabled = endpoint(hook)
    assert not disabled.enabled and disabled.disabled_at == clock.now()
    assert disabled.disabled_reason.startswith("Disabled automatically: every delivery failed")
    assert "answered 500" in disabled.disabled_reason
    told = Message.objects.filter(kind=MessageKind.TEAM_WEBHOOK_DISABLED, org_id=acme.org.pk)
    assert sorted(told.values_list("to_email", flat=True)) == [
        "admin@acme.example", second_admin.email,
    ]  # fmt: skip
    assert all(f"/app/webhooks/{hook.endpoint.pk}/" in m.body_text for m in told)
    recorded = fault(hook)
    assert recorded is not None and recorded.attempts == 3
    assert recorded.last_error.startswith("Disabled automatically")

    # Nothing more is sent to it.
    before = len(receiver.requests)
    fail_once(acme, hook)
    assert len(receiver.requests) == before

    # Enabled again (once fixed): a clean slate, the problem resolved, deliveries go out.
    receiver.default = "ok"
    services.enable(actor=acme.admin, endpoint=disabled)
    resolved = fault(hook)
    assert resolved is not None and resolved.resolved_at is not None
    deliver()
    assert endpoint(hook).failing_since is None
    assert len(receiver.delivered()) >= 1


def test_one_success_clears_the_failing_record(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any
) -> None:
    receiver.script = ["500"]
    started = clock.now()
    fail_once(acme, hook)
    assert endpoint(hook).failing_since == started

    frozen.move_to(started + timedelta(days=2))
    services.send_test(actor=acme.admin, endpoint=hook.endpoint)
    deliver()
    assert endpoint(hook).failing_since is None
    recorded = fault(hook)
    assert recorded is not None and recorded.resolved_at is not None

    # Failing again later starts a new count: no disable after three days in all.
    receiver.default = "500"
    frozen.move_to(started + timedelta(days=3, minutes=1))
    fail_once(acme, hook)
    assert endpoint(hook).enabled
    assert endpoint(hook).failing_since == clock.now()


def test_the_number_of_days_is_a_setting(
    acme: World, hook: Hook, receiver: Receiver, frozen: Any, settings: Any
) -> None:
    settings.WEBHOOK_DISABLE_AFTER_DAYS = 1
    receiver.default = "500"
    started = clock.now()
    fail_once(acme, hook)
    frozen.move_to(started + timedelta(days=1, seconds=1))
    fail_once(acme, hook)
    assert not endpoint(hook).enabled
    assert "failed for 1 day." in endpoint(hook).disabled_reason
    assert hook.endpoint.deliveries.filter(status=DeliveryStatus.FAILED).exists()
