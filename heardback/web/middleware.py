"""The request guard: first in MIDDLEWARE, it refuses what no view should ever see.

- Methods: anything but GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS (TRACE, PROPFIND,
  CONNECT, made-up ones) is 405 everywhere. Only the API takes PUT, PATCH or DELETE;
  elsewhere a view written for GET and POST would answer them with its GET page, so they
  are 405 too, and OPTIONS is answered here with the methods those pages take.
- NUL bytes in the path, the query string or a form body: 400. PostgreSQL cannot store or
  compare them, so a search for "%00" would otherwise end in a server error.
- Body size, by Content-Length, before a byte is read: the CSRF check reads the whole form
  (spooling uploads to disk) before any view could refuse it. Limits are per path
  (REQUEST_BODY_LIMITS), REQUEST_BODY_MAX_BYTES elsewhere; a body without a length
  (chunked) is 411.

Refusals are small pages of their own (no template, no database); under the API's paths
they are problem documents, made by the renderer REQUEST_GUARD_PROBLEM_RENDERER names.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PAGE_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
MIB = 1024 * 1024
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


@lru_cache(maxsize=4)
def _body_limits(spec: tuple[tuple[str, int], ...]) -> tuple[tuple[re.Pattern[str], int], ...]:
    return tuple((re.compile(pattern), limit) for pattern, limit in spec)


def body_limit(path: str) -> int:
    """The largest body accepted for `path`: the first matching REQUEST_BODY_LIMITS entry."""
    for pattern, limit in _body_limits(tuple(map(tuple, settings.REQUEST_BODY_LIMITS))):
        if pattern.search(path):
            return limit
    return int(settings.REQUEST_BODY_MAX_BYTES)


def _is_api(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in settings.REQUEST_GUARD_API_PATHS)


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        method = (request.method or "").upper()
        path = request.path_info
        api = _is_api(path)
        if method not in KNOWN_METHODS or (not api and method in {"PUT", "PATCH", "DELETE"}):
            allowed = sorted(KNOWN_METHODS) if api else list(PAGE_METHODS)
            return self._refuse(
                request,
                405,
                "Method not allowed",
                f"This address does not take {method[:20] or 'that method'}.",
                headers={"Allow": ", ".join(allowed)},
            )
        if method == "OPTIONS" and not api:
            return HttpResponse(status=200, headers={"Allow": ", ".join(PAGE_METHODS)})
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in path or "%00" in query or "\x00" in query:
            return self._refuse(
                request,
                400,
                "Bad request",
                "The address contains a NUL byte.",
                api_errors=_nul_fields(query),
            )
        return self._body_refusal(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        """A form with a NUL in any field: 400, before the view (or the CSRF check) reads it.

        Here rather than in __call__ because a view that reads its raw body (the bridges,
        csrf-exempt) must still be able to after a multipart form was parsed.
        """
        if request.method != "POST" or request.content_type not in FORM_TYPES:
            return None
        if request.content_type == "multipart/form-data" and getattr(view, "csrf_exempt", False):
            return None
        if _has_nul(request):
            return self._refuse(request, 400, "Bad request", "The form contains a NUL byte.")
        return None

    def _body_refusal(self, request: HttpRequest) -> HttpResponse | None:
        raw = request.META.get("CONTENT_LENGTH") or ""
        if not raw:
            if "HTTP_TRANSFER_ENCODING" in request.META:
                return self._refuse(
                    request, 411, "Length required", "Send the body with a Content-Length."
                )
            return None
        if not raw.isdigit():
            return self._refuse(request, 400, "Bad request", "The Content-Length is not a number.")
        limit = body_limit(request.path_info)
        if int(raw) <= limit:
            return None
        shown = f"{limit // MIB} MB" if limit >= MIB else f"{limit // 1024} KB"
        return self._refuse(
            request,
            413,
            "Too large",
            f"This upload is larger than {shown}. Please send a smaller one; nothing was saved.",
            api_errors=[{"field": "body", "message": f"Send at most {limit // 1024} KiB."}],
        )

    def _refuse(
        self,
        request: HttpRequest,
        status: int,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        api_errors: list[dict[str, str]] | None = None,
    ) -> HttpResponse:
        # The body was not read, but no "Connection: close" is set here: a WSGI application
        # may not send hop-by-hop headers (PEP 3333); the server closes or drains the
        # connection itself.
        if _is_api(request.path_info) and settings.REQUEST_GUARD_PROBLEM_RENDERER:
            render: Callable[..., HttpResponse] = import_string(
                settings.REQUEST_GUARD_PROBLEM_RENDERER
            )
            kind = {405: "method-not-allowed", 411: "length-required", 413: "too-large"}
            return render(
                status=status,
                title=title,
                detail=detail,
                kind=kind.get(status, "invalid"),
                errors=api_errors,
                headers=headers,
            )
        page = (
            f"<!doctype html><html lang=en><meta charset=utf-8><title>{html.escape(title)}"
            f"</title><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p></html>"
        )
        response = HttpResponse(page, status=status, headers=headers)
        response["Cache-Control"] = "no-store"
        return response


def _nul_fields(query: str) -> list[dict[str, str]]:
    """Which query parameters hold a NUL, as the API names a bad field (none: the path)."""
    names = {name for name, value in parse_qsl(query, keep_blank_values=True) if "\x00" in value}
    names |= {name.replace("\x00", "") for name, _ in parse_qsl(query) if "\x00" in name}
    return [{"field": name, "message": "Contains a NUL byte."} for name in sorted(names)] or [
        {"field": "path", "message": "Contains a NUL byte."}
    ]


def _has_nul(request: HttpRequest) -> bool:
    form: Any = request.POST  # parsed now (within the body limit) and kept for the view
    return any("\x00" in key or any("\x00" in v for v in form.getlist(key)) for key in form)
