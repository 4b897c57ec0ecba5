"""Status links: a random token in the URL, only its SHA-256 in the database.

- 192 bits from `secrets` (the brief asks for at least 128).
- Looked up by hash through a unique index. Comparing hashes of attacker-chosen input
  leaks nothing about any stored token, so the lookup is constant-time where it matters.
- Unknown, tampered, expired and revoked tokens all take the same path (one query, the same
  404 page), so a caller can't tell them apart by content or by time.
- A link keeps working while the application is active (each lookup pushes the expiry
  forward) and for `LIFETIME_AFTER_END` after it ends.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import connections, router
from django.db.models import F, ForeignKey, Model, QuerySet

from heardback import clock
from heardback.hiring.models import Application
from heardback.portal.models import StatusToken
from heardback.portal.prepared import Prepared

TOKEN_BYTES = 24  # 192 bits
LIFETIME_AFTER_END = timedelta(days=90)
# Only write the extended expiry when it moved by more than this: most page views are reads.
EXTEND_STEP = timedelta(days=1)
_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _expiry_for(application: Application, now: datetime) -> datetime:
    if application.is_active or application.decided_at is None:
        return now + LIFETIME_AFTER_END
    return application.decided_at + LIFETIME_AFTER_END


def issue_token(application: Application) -> str:
    """A fresh token for `application`; only its hash is stored.

    Issuing also re-dates the application's older links: while it is active they live on,
    and once it has ended they all expire `LIFETIME_AFTER_END` after the end.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    expires_at = _expiry_for(application, now)
    if application.pk is not None:
        tokens_of(application).filter(revoked_at__isnull=True).update(expires_at=expires_at)
    StatusToken.objects.create(
        org_id=application.org_id,
        application=application,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=expires_at,
    )
    return token


def issue_status_url(application: Application) -> str:
    return f"{settings.SITE_URL}/s/{issue_token(application)}/"


def mint_tokens(pairs: Sequence[tuple[int, int]]) -> list[str]:
    """Fresh tokens for a delivery batch: one per (org id, application id), in order.

    The delivery worker calls this just before sending (registered with messaging in the
    portal's `ready()`), so a live token exists only in the email that carries it. Every
    token of the batch is written in one insert; older links of the same applications are
    re-dated as `issue_token` does.
    """
    if not pairs:
        return []
    now = clock.now()
    wanted = {application_id for _org, application_id in pairs}
    applications = {
        a.pk: a
        for a in Application.objects.filter(pk__in=wanted).only(
            "pk", "org_id", "status", "decided_at"
        )
    }
    expiry_groups: dict[datetime, list[int]] = {}
    for application in applications.values():
        expiry_groups.setdefault(_expiry_for(application, now), []).append(application.pk)
    for expires_at, ids in expiry_groups.items():
        StatusToken.objects.filter(application_id__in=ids, revoked_at__isnull=True).update(
            expires_at=expires_at
        )
    tokens: list[str] = []
    rows: list[StatusToken] = []
    for org_id, application_id in pairs:
        found = applications.get(application_id)
        # The application must exist and belong to the message's org; otherwise no link.
        if found is None or found.org_id != org_id:
            tokens.append("")
            continue
        token = secrets.token_urlsafe(TOKEN_BYTES)
        tokens.append(token)
        rows.append(
            StatusToken(
                org_id=org_id,
                application_id=application_id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=_expiry_for(found, now),
            )
        )
    StatusToken.objects.bulk_create(rows)
    return tokens


@dataclass(frozen=True)
class Usable:
    """A token that passed every check, before its application is loaded."""

    pk: int
    digest: str
    application_id: int
    org_id: int
    expires_at: datetime


def _digest(token: str) -> tuple[str, bool]:
    well_formed = bool(_SHAPE.fullmatch(token or ""))
    # A malformed token still costs the same query, so its timing matches an unknown one.
    return hash_token(token if well_formed else "!" + (token or "")[:200]), well_formed


def remembered(token: str) -> Usable | None:
    """A token this process checked a moment ago, without asking the database (None if it
    doesn't remember one). Failures are never remembered."""
    if not cache_seconds():
        return None
    found: Usable | None = _cache().get(_check_key(_digest(token)[0]))
    if found is not None and found.expires_at > clock.now():
        return found
    return None


def check(token: str) -> Usable | None:
    """Is this a usable token? One small query, the same for every kind of failure."""
    digest, well_formed = _digest(token)
    # A token that checked out a moment ago is remembered for a few seconds (the status
    # page's busiest path then needs no database at all). Failures are never remembered, so
    # every kind of failure still costs the same one query.
    if (known := remembered(token)) is not None:
        return known
    # Only the few columns needed to decide, so a found-but-unusable row costs the same as
    # no row at all; the application is loaded only for a usable token.
    found = _TOKEN_ROW.rows(digest)
    row = found[0] if found else None
    now = clock.now()
    if row is None or row[3] is not None or row[2] <= now or not well_formed:
        return None
    pk, application_id, expires_at, _revoked, org_id = row
    usable = Usable(
        pk=pk, digest=digest, application_id=application_id, org_id=org_id, expires_at=expires_at
    )
    if seconds := cache_seconds():
        _cache().set(_check_key(digest), usable, seconds)
    return usable


def load(usable: Usable) -> Application | None:
    """The application behind a checked token; keeps the link alive while it is active.

    The application comes with its org, job, candidate and stage (one query, the same
    instances `select_related` would give).
    """
    found = _APPLICATION_ROW.rows(usable.application_id, usable.org_id)
    if not found:
        return None
    application = _application_from_row(found[0])
    _keep_alive(usable, application)
    return application


def _keep_alive(usable: Usable, application: Application) -> None:
    now = clock.now()
    if application.is_active and usable.expires_at - now < LIFETIME_AFTER_END - EXTEND_STEP:
        StatusToken.objects.filter(pk=usable.pk, revoked_at__isnull=True).update(
            expires_at=now + LIFETIME_AFTER_END
        )


def resolve(token: str) -> tuple[Usable, Application] | None:
    """`check` and `load` in one query (a token remembered a moment ago: `load` alone).

    The token's conditions are in the query itself, so unknown, tampered, malformed,
    expired and revoked tokens all find no row, in the same one query; a usable one comes
    back with its application, org, job, candidate and stage (the status page's first view
    is then two queries with its messages, not three).
    """
    if (known := remembered(token)) is not None:
        application = load(known)
        return (known, application) if application is not None else None
    digest, well_formed = _digest(token)
    found = _TOKEN_AND_APPLICATION.rows(digest, clock.now())
    if not found or not well_formed:
        return None
    token_pk, expires_at, *application_row = found[0]
    application = _application_from_row(application_row)
    usable = Usable(
        pk=token_pk,
        digest=digest,
        application_id=application.pk,
        org_id=application.org_id,
        expires_at=expires_at,
    )
    if seconds := cache_seconds():
        _cache().set(_check_key(digest), usable, seconds)
    _keep_alive(usable, application)
    return usable, application


# The page's two hottest queries, compiled once per connection (see prepared.py).
# Unique hash, so no ordering is needed; only the columns needed to decide are read.
_TOKEN_ROW = Prepared(
    StatusToken,
    lambda digest: StatusToken.objects.filter(token_hash=digest).values_list(
        "pk", "application_id", "expires_at", "revoked_at", "org_id"
    )[:1],
    lambda digest: [digest],
    probe=[hash_token("probe")],
)

_RELATED = ("org", "job", "candidate", "stage")


@functools.cache
def _attnames(model: type[Model]) -> tuple[str, ...]:
    # Fixed once the models are loaded; rebuilding the lists cost as much as a query's work.
    return tuple(f.attname for f in model._meta.concrete_fields)


def _related(name: str) -> tuple[ForeignKey[Any, Any], type[Model]]:
    field = Application._meta.get_field(name)
    assert isinstance(field, ForeignKey) and isinstance(field.related_model, type)
    return field, field.related_model


def _application_columns() -> list[str]:
    columns = list(_attnames(Application))
    for name in _RELATED:
        _field, related = _related(name)
        columns += [f"{name}__{attname}" for attname in _attnames(related)]
    return columns


_APPLICATION_ROW = Prepared(
    Application,
    lambda application_id, org_id: Application.objects.filter(
        pk=application_id, org_id=org_id
    ).values_list(*_application_columns())[:1],
    # Keyword lookups are bound in name order: org_id, then pk.
    lambda application_id, org_id: [org_id, application_id],
    probe=[1, 2],
)


def _as_bound(moment: datetime) -> Any:
    """A date-time as the ORM binds it on this connection (a string on SQLite)."""
    return connections[router.db_for_read(StatusToken)].ops.adapt_datetimefield_value(moment)


# Keyword lookups are bound in name order: the expiry's moment, then the hash (the org
# match and the revocation bind nothing). The token's org must be the application's.
_TOKEN_AND_APPLICATION = Prepared(
    Application,
    lambda digest, now: Application.objects.filter(
        status_tokens__expires_at__gt=now,
        status_tokens__org_id=F("org_id"),
        status_tokens__revoked_at__isnull=True,
        status_tokens__token_hash=digest,
    ).values_list("status_tokens__id", "status_tokens__expires_at", *_application_columns())[:1],
    lambda digest, now: [_as_bound(now), digest],
    probe=[hash_token("probe"), datetime(2000, 1, 2, 3, 4, 5, tzinfo=UTC)],
)


def _application_from_row(row: Sequence[Any]) -> Application:
    """Model instances from one joined row, linked as `select_related` links them."""
    alias = router.db_for_read(Application)
    names = _attnames(Application)
    start = len(names)
    application = Application.from_db(alias, names, row[:start])
    for name in _RELATED:
        field, model = _related(name)
        names = _attnames(model)
        related = model.from_db(alias, names, row[start : start + len(names)])
        start += len(names)
        field.set_cached_value(application, related)
    return application


def lookup(token: str) -> Application | None:
    """The application behind a usable token, or None. Never says why not."""
    found = resolve(token)
    return found[1] if found is not None else None


def tokens_of(application: Application) -> QuerySet[StatusToken]:
    return StatusToken.objects.filter(org_id=application.org_id, application=application)


def revoke_all(application: Application) -> int:
    """Switch off every link to `application` (e.g. the candidate thinks one leaked).

    Immediate in this process; other processes forget a remembered check within
    `cache_seconds()` (checks are remembered per process, see `_cache`).
    """
    digests = list(tokens_of(application).values_list("token_hash", flat=True))
    _cache().delete_many([_check_key(digest) for digest in digests])
    return tokens_of(application).filter(revoked_at__isnull=True).update(revoked_at=clock.now())


def _cache() -> BaseCache:
    """The per-process memory cache: a remembered check must cost no query, or remembering
    it would save nothing (the shared cache is the database by default)."""
    return caches["local"]


def cache_seconds() -> int:
    """How long a rendered status page and a token check may be reused (0: never)."""
    return settings.PORTAL_STATUS_CACHE_SECONDS


def _check_key(digest: str) -> str:
    return f"portal-token-ok:{digest}"
