"""Secrets and signatures, per Standard Webhooks (https://www.standardwebhooks.com/).

- A secret is `whsec_` + base64 of 32 random bytes, made here and shown to the admin once.
- At rest it is encrypted (Fernet) with a key derived from SECRET_KEY; SECRET_KEY_FALLBACKS
  still decrypt, so rotating SECRET_KEY the way Django documents keeps endpoints working.
- Every attempt is signed afresh with its own timestamp (`webhook-timestamp`), with the
  `standardwebhooks` package: receivers verify with the same package in any language.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix every such secret has)
SECRET_BYTES = 32
_PURPOSE = b"heardback.webhooks.secret:"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_webhook_id() -> str:
    return "msg_" + secrets.token_hex(12)


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(_PURPOSE + secret_key.encode("utf-8", "surrogatepass")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    # Encrypts with the first (SECRET_KEY); decrypts with any.
    fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", [])
    return MultiFernet([_fernet(settings.SECRET_KEY), *(_fernet(key) for key in fallbacks)])


def encrypt(secret: str) -> str:
    return _keys().encrypt(secret.encode()).decode()


class SecretUnavailable(Exception):
    """The stored secret can't be decrypted: SECRET_KEY changed without a fallback."""


def decrypt(token: str) -> str:
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnavailable(
            "The endpoint's signing secret can't be read: SECRET_KEY changed without keeping "
            "the old one in SECRET_KEY_FALLBACKS."
        ) from error


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON, UTF-8, keys in the order given
    (type, timestamp, data). Stored as made, so every attempt and replay sends the same."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class Signer:
    """Signs attempts for one endpoint (the secret is decoded once per batch)."""

    def __init__(self, secret: str) -> None:
        self._webhook = Webhook(secret)

    def headers(self, *, webhook_id: str, body: bytes, at: datetime) -> dict[str, str]:
        """The three Standard Webhooks headers for one attempt at `at`."""
        at = at.astimezone(UTC)
        signature = self._webhook.sign(msg_id=webhook_id, timestamp=at, data=body.decode())
        return {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": signature,
        }
