"""Choosing a transport from HEARDBACK_EMAIL_URL."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from heardback.messaging.transports.base import Transport


def transport_from_url(url: str) -> Transport:
    if url.startswith(("smtp://", "smtps://")):
        from heardback.messaging.transports.smtp import SmtpSettings, SmtpTransport

        return SmtpTransport(
            SmtpSettings.from_url(
                url,
                timeout=settings.DELIVERY_SMTP_TIMEOUT_SECONDS,
                command_timeout=settings.DELIVERY_SMTP_COMMAND_TIMEOUT_SECONDS,
            )
        )
    if url.startswith("anymail:"):
        from heardback.messaging.transports.anymail import AnymailTransport

        return AnymailTransport(url.removeprefix("anymail:"))
    raise ImproperlyConfigured(
        "HEARDBACK_EMAIL_URL must be smtp://host:port, smtps://… or anymail:<service>"
    )


def default_transport() -> Transport:
    return transport_from_url(settings.EMAIL_URL)
