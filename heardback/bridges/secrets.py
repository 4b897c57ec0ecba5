"""Secrets of connections, encrypted at rest with Fernet; keys rotate.

`BRIDGE_ENCRYPTION_KEYS` lists Fernet keys, newest first: new secrets are encrypted with the
first, any of them decrypts, and `reencrypt_all` moves every stored secret to the first.
Without the setting (development), a key is derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _keys() -> list[bytes]:
    configured = [k.strip() for k in settings.BRIDGE_ENCRYPTION_KEYS if k.strip()]
    if configured:
        return [k.encode() for k in configured]
    derived = hashlib.sha256(b"heardback-bridges:" + settings.SECRET_KEY.encode()).digest()
    return [base64.urlsafe_b64encode(derived)]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode("utf-8")).decode("ascii") if plain else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise ValueError("This secret can't be read with the configured keys.") from error


def rotate(token: str) -> str:
    """The same secret, encrypted with the newest key."""
    return _fernet().rotate(token.encode("ascii")).decode("ascii") if token else ""
