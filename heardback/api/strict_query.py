"""Unknown query parameters are refused, not ignored.

A misspelt filter (`?statuss=active`) that is silently dropped returns every row and looks
like an answer; a 400 problem naming the parameter tells the client at once. What each
operation accepts is read from the API's own OpenAPI schema, so the check can never drift
from the documentation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse

from heardback.api.problems import problem

PREFIX = "/api/v1/"
_PATH_PARAMETER = re.compile(r"\{[^}/]+\}")

# (method, path pattern, accepted query parameters), one per documented operation.
Operations = tuple[tuple[str, re.Pattern[str], frozenset[str]], ...]


@cache
def _operations() -> Operations:
    # Late: the API module loads every app's models, which middleware must not do at import.
    from heardback.api.api import api

    found = []
    for path, methods in api.get_openapi_schema()["paths"].items():
        pieces = _PATH_PARAMETER.split(path)
        pattern = re.compile("[^/]+".join(re.escape(piece) for piece in pieces) + r"\Z")
        for method, operation in methods.items():
            accepted = frozenset(
                parameter["name"]
                for parameter in operation.get("parameters", [])
                if parameter.get("in") == "query"
            )
            found.append((method.upper(), pattern, accepted))
    return tuple(found)


def unknown_parameters(method: str, path: str, names: set[str]) -> list[str] | None:
    """The names this operation does not accept (None: no documented operation here)."""
    for operation_method, pattern, accepted in _operations():
        if operation_method == method and pattern.match(path):
            return sorted(names - accepted)
    return None


class StrictQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.GET and request.path.startswith(PREFIX):
            unknown = unknown_parameters(request.method or "GET", request.path, set(request.GET))
            if unknown:
                return problem(
                    status=400,
                    title="The request is not valid",
                    detail="Unknown query parameter(s): "
                    + ", ".join(repr(name) for name in unknown),
                    kind="invalid",
                    errors=[
                        {"field": name, "message": "Not a parameter of this operation."}
                        for name in unknown
                    ],
                )
        return self.get_response(request)
