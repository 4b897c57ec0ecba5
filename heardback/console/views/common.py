"""Helpers shared by the console views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest

from heardback.hiring.models import Member


def member_of(request: HttpRequest) -> Member:
    return request.member  # type: ignore[attr-defined]


def error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def attach_errors(form: Form, error: ValidationError) -> None:
    """Put a service's field errors next to the fields (inline); others at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"
