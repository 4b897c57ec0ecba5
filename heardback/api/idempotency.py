"""`Idempotency-Key` on API POSTs: a retried request returns the first answer and does
nothing twice, even when the retries arrive at the same moment.

The first request with a key inserts a row (the unique constraint decides who is first),
runs, and stores its answer. A retry with the same key and the same request waits for that
answer and replays it; with a different request it is refused. A server error is not
stored, so the client's retry runs again; nor is "too many requests", which asks for a
retry. A first request that never finished (its process was killed) stops holding the key
after `STALE_AFTER`. Answers are kept for `KEEP_FOR`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from heardback import clock
from heardback.api.keys import AUTHENTICATED, authenticate
from heardback.api.models import IdempotentRequest
from heardback.api.problems import on_too_large, problem

PREFIX = "/api/v1/"
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
KEEP_FOR = timedelta(hours=24)
WAIT_FOR_FIRST = 10.0  # seconds a retry waits for the first request's answer
# No request runs this long (the web server's own timeout is shorter): a first request
# still unanswered after it died with its process, and its key is free again.
STALE_AFTER = timedelta(minutes=5)
# Answers that ask the client to try again are not kept: the retry must really run.
NOT_KEPT = {429}


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith(PREFIX):
            return self.get_response(request)
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return problem(
                status=400,
                title="The Idempotency-Key header is not valid",
                detail=f"Use 1 to {MAX_KEY_LENGTH} printable characters, e.g. a UUID.",
                kind="invalid",
            )
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        api_key = authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if api_key is None:
            return self.get_response(request)  # the API answers 401 itself
        setattr(request, AUTHENTICATED, (token.strip(), api_key))
        try:
            body = request.body
        except RequestDataTooBig as error:
            return on_too_large(request, error)
        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), body])
        ).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    api_key=api_key, key=key, fingerprint=fingerprint, created_at=clock.now()
                )
        except IntegrityError:
            return self._replay(api_key.pk, key, fingerprint)
        response = self.get_response(request)
        if response.status_code >= 500 or response.status_code in NOT_KEPT:
            record.delete()  # let the client's retry run again
            return response
        IdempotentRequest.objects.filter(pk=record.pk).update(
            status_code=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=bytes(response.content),
        )
        return response

    def _replay(self, api_key_id: int, key: str, fingerprint: str) -> HttpResponse:
        deadline = time.monotonic() + WAIT_FOR_FIRST
        while True:
            first = IdempotentRequest.objects.filter(api_key_id=api_key_id, key=key).first()
            if first is None:
                return problem(
                    status=409,
                    title="The first request with this Idempotency-Key failed",
                    detail="Send the request again.",
                    kind="idempotency-retry",
                )
            if first.fingerprint != fingerprint:
                return problem(
                    status=422,
                    title="This Idempotency-Key was used for a different request",
                    detail="Use a new key for a new request.",
                    kind="idempotency-mismatch",
                )
            if first.status_code is not None:
                replayed = HttpResponse(
                    bytes(first.body), status=first.status_code, content_type=first.content_type
                )
                replayed["Idempotent-Replayed"] = "true"
                return replayed
            if first.created_at < clock.now() - STALE_AFTER:
                # The first request died without an answer: free the key for a new try.
                IdempotentRequest.objects.filter(pk=first.pk, status_code__isnull=True).delete()
                return problem(
                    status=409,
                    title="The first request with this Idempotency-Key failed",
                    detail="Send the request again.",
                    kind="idempotency-retry",
                )
            if time.monotonic() > deadline:
                return problem(
                    status=409,
                    title="A request with this Idempotency-Key is still in progress",
                    detail="Retry in a few seconds.",
                    kind="idempotency-in-progress",
                    headers={"Retry-After": "2"},
                )
            time.sleep(0.05)


def forget_old_answers(*, now: datetime, limit: int) -> int:
    """Scheduler step: drop stored answers older than `KEEP_FOR`."""
    old = IdempotentRequest.objects.filter(created_at__lt=now - KEEP_FOR).values_list(
        "pk", flat=True
    )[: limit * 10]
    return IdempotentRequest.objects.filter(pk__in=list(old)).delete()[0]
