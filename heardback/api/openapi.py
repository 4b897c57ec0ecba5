"""What every operation has in common, written into the OpenAPI document once.

The handlers declare their successes; the protocol around them (problem documents for every
error, `Idempotency-Key` on POSTs, ETags on GETs, the throttle's `Retry-After`) is the same
everywhere and is described here, so clients and fuzzers see exactly what the API does.
"""

from __future__ import annotations

from typing import Any

from heardback.api.problems import CONTENT_TYPE, PROBLEM_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error, as an RFC 9457 problem document.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {
            "type": "string",
            "description": f"What kind of problem: {PROBLEM_TYPE}<kind>",
        },
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "One entry per field that was refused",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
    "examples": [
        {
            "type": PROBLEM_TYPE + "invalid",
            "title": "The request is not valid",
            "status": 400,
            "errors": [{"field": "business_days", "message": "Input should be less than 21"}],
        }
    ],
}

ERRORS = {
    400: "The request is not valid: see `errors`, one entry per field",
    401: "No API key, or one that is unknown, expired or revoked",
    403: "The key's scope does not allow this",
    404: "No such resource in the key's organisation",
    422: "A hiring rule refuses the request: see `detail` and `errors`",
    429: "Too many requests for this key: wait `Retry-After` seconds",
}
BODY_ERRORS = {413: "The request body is too large"}
POST_ERRORS = {
    409: "A request with the same Idempotency-Key is still running, or failed: retry",
}

ETAG_HEADER = {
    "description": "A strong validator of this answer: send it back as If-None-Match",
    "schema": {"type": "string"},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An ETag from an earlier answer: 304 Not Modified if nothing changed",
    "schema": {"type": "string"},
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Any unique string (a UUID): a retry with the same key and the same request gets the "
        "first answer and changes nothing again; with a different request, 422. Kept 24 hours."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {CONTENT_TYPE: {"schema": PROBLEM_REF}},
    }
    if headers:
        response["headers"] = headers
    return response


def describe_protocol(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared responses, headers and the Problem schema to every operation."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            errors = dict(ERRORS)
            if "requestBody" in operation:
                errors |= BODY_ERRORS
            if method == "post":
                errors |= POST_ERRORS
            for status, description in sorted(errors.items()):
                headers: dict[str, Any] | None = None
                if status == 401:
                    headers = {"WWW-Authenticate": {"schema": {"type": "string"}}}
                elif status == 429:
                    headers = {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}}
                responses.setdefault(str(status), _problem(description, headers))
            parameters = operation.setdefault("parameters", [])
            if method == "get":
                parameters.append(IF_NONE_MATCH)
                if "200" in responses:
                    responses["200"].setdefault("headers", {})["ETag"] = ETAG_HEADER
                responses.setdefault(
                    "304",
                    {
                        "description": "Not modified since the ETag given",
                        "headers": {"ETag": ETAG_HEADER},
                    },
                )
            elif method == "post":
                parameters.append(IDEMPOTENCY_KEY)
    return schema
