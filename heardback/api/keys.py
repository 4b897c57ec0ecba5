"""API keys: issued once, stored as a hash, looked up by a public prefix."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from heardback import clock
from heardback.api.models import ApiKey, Scope
from heardback.hiring.errors import HiringError
from heardback.hiring.models import Member, Role
from heardback.messaging.headers import single_line

PREFIX_BYTES = 6  # 8 url-safe characters: shown in lists, says which key was used
SECRET_BYTES = 32
# last_used_at is written at most this often: most calls are reads.
TOUCH_EVERY = timedelta(minutes=1)
# Where a request keeps (token, key) once looked up, so it is looked up once per request.
AUTHENTICATED = "_heardback_api_key"
# What create_key makes: a prefix of letters and digits, a url-safe secret.
_SHAPE = re.compile(r"hb_([A-Za-z0-9]{1,16})_([A-Za-z0-9_-]{1,100})")


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _split(raw: str) -> tuple[str, str] | None:
    """`hb_<prefix>_<secret>` → (prefix, secret); None for anything of another shape (which
    then never reaches a query as typed: NUL characters, say, would upset PostgreSQL)."""
    match = _SHAPE.fullmatch(raw)
    if match is None:
        return None
    return match.group(1), match.group(2)


def create_key(
    *, actor: Member, name: str, scope: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key for the actor's org; returns it with the one and only copy of the secret."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied("Only admins can create API keys.")
    name = single_line(name, max_length=100)
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the key a name, e.g. the tool that will use it."]
    if scope not in Scope.values:
        errors["scope"] = ["Choose read, write or admin."]
    if expires_at is not None and expires_at <= clock.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    if errors:
        raise HiringError(errors)
    prefix = secrets.token_urlsafe(PREFIX_BYTES).replace("_", "x").replace("-", "y")
    raw = f"hb_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    key = ApiKey.objects.create(
        org_id=actor.org_id,
        name=name,
        prefix=prefix,
        key_hash=hash_key(raw),
        scope=scope,
        created_by=actor,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    return key, raw


def revoke_key(*, actor: Member, key: ApiKey) -> ApiKey:
    if actor.role != Role.ADMIN or key.org_id != actor.org_id:
        raise PermissionDenied("Only the org's admins can revoke its keys.")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        key.save(update_fields=["revoked_at"])
    return key


def keys_of(*, org_id: int) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(org_id=org_id).select_related("created_by__user")


def authenticate(raw: str) -> ApiKey | None:
    """The usable key behind `raw`, or None. The same single query for every failure."""
    parts = _split(raw or "")
    digest = hash_key(raw or "")
    # A unique prefix: [:1] rather than first(), which would also sort.
    key = next(
        iter(
            ApiKey.objects.filter(prefix=parts[0] if parts else "!").select_related(
                "org", "created_by__user", "created_by__org"
            )[:1]
        ),
        None,
    )
    if key is None or parts is None or not hmac.compare_digest(key.key_hash, digest):
        return None
    now = clock.now()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    if not key.created_by.user.is_active:
        return None  # a key acts as its creator: it stops when their account does
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
