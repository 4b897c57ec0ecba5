"""Reads for the console: every query is scoped to one org."""

from __future__ import annotations

from django.db.models import QuerySet

from heardback.webhooks.models import WebhookDelivery, WebhookEndpoint

LOG_LENGTH = 100


def endpoints_of(*, org_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(org_id=org_id).select_related("created_by__user")


def endpoint_for(*, org_id: int, endpoint_id: int) -> WebhookEndpoint | None:
    return endpoints_of(org_id=org_id).filter(pk=endpoint_id).first()


def delivery_log(*, endpoint: WebhookEndpoint, length: int = LOG_LENGTH) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, newest first."""
    return list(endpoint.deliveries.order_by("-created_at", "-id")[:length])


def delivery_for(*, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery | None:
    return endpoint.deliveries.select_related("endpoint").filter(pk=delivery_id).first()
