"""Errors as RFC 9457 problem details (`application/problem+json`), with a field-level list."""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as SchemaValidationError

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://heardback.org/problems/"
CONTENT_TYPE = "application/problem+json"


def problem(
    *,
    status: int,
    title: str,
    detail: str = "",
    kind: str = "",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + (kind or str(status)),
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_errors(error: ValidationError) -> list[dict[str, str]]:
    if hasattr(error, "error_dict"):
        return [
            {"field": field, "message": message}
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"field": "", "message": message} for message in error.messages]


def on_rule_refused(request: HttpRequest, error: ValidationError) -> HttpResponse:
    """A hiring rule said no (not active any more, unknown stage, bad template …)."""
    errors = _field_errors(error)
    return problem(
        status=422,
        title="The request breaks a rule",
        detail=" ".join(e["message"] for e in errors),
        kind="rule",
        errors=errors,
    )


def _field_path(loc: Any) -> list[Any]:
    """("body", "payload", "reason") → ["reason"]: where the client put it, not our names."""
    parts = list(loc)
    while parts and parts[0] in ("body", "query", "path", "payload", "filters"):
        parts.pop(0)
    return parts


def on_schema_invalid(request: HttpRequest, error: SchemaValidationError) -> HttpResponse:
    errors = [
        {
            # A missing or empty body is reported against the body itself.
            "field": ".".join(str(part) for part in _field_path(item.get("loc", ()))) or "body",
            "message": str(item.get("msg", "invalid")),
        }
        for item in error.errors
    ]
    return problem(status=400, title="The request is not valid", kind="invalid", errors=errors)


def on_not_found(request: HttpRequest, error: Exception) -> HttpResponse:
    return problem(status=404, title="Not found", kind="not-found")


def on_forbidden(request: HttpRequest, error: Exception) -> HttpResponse:
    return problem(status=403, title="Not allowed", detail=str(error) or "", kind="forbidden")


def on_unauthenticated(request: HttpRequest, error: Exception) -> HttpResponse:
    return problem(
        status=401,
        title="A valid API key is needed",
        detail="Send `Authorization: Bearer hb_…` with a key an admin created in the console.",
        kind="unauthenticated",
        headers={"WWW-Authenticate": 'Bearer realm="heardback"'},
    )


def on_throttled(request: HttpRequest, error: Throttled) -> HttpResponse:
    # Whole seconds, rounded up, as the header must be (ninja sets the same value again).
    seconds = max(1, math.ceil(getattr(error, "wait", None) or 1))
    return problem(
        status=429,
        title="Too many requests",
        detail=f"Try again in {seconds} seconds.",
        kind="throttled",
        headers={"Retry-After": str(seconds)},
    )


def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    title = str(error) or "Error"
    if error.status_code == 400:  # ninja could not read the body (not JSON, not an object)
        return problem(
            status=400,
            title="The request is not valid",
            detail=title,
            kind="invalid",
            errors=[{"field": "body", "message": "Send a JSON object."}],
        )
    return problem(status=error.status_code, title=title)


def on_too_large(request: HttpRequest, error: Exception) -> HttpResponse:
    return problem(
        status=413,
        title="The request body is too large",
        kind="too-large",
        errors=[
            {
                "field": "body",
                "message": f"Send at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KiB.",
            }
        ],
    )


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other path under the API: a problem document too, not an HTML page."""
    return on_not_found(request, Http404())


def on_server_error(request: HttpRequest, error: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path, exc_info=error)
    return problem(
        status=500,
        title="Something went wrong on our side",
        detail="It has been logged. Retrying with the same Idempotency-Key is safe.",
        kind="server",
    )


def install(api: Any) -> None:
    api.add_exception_handler(Exception, on_server_error)
    api.add_exception_handler(ValidationError, on_rule_refused)
    api.add_exception_handler(SchemaValidationError, on_schema_invalid)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_forbidden)
    api.add_exception_handler(AuthenticationError, on_unauthenticated)
    api.add_exception_handler(AuthorizationError, on_forbidden)
    api.add_exception_handler(Throttled, on_throttled)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(RequestDataTooBig, on_too_large)
