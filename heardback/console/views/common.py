"""Helpers shared by the console views."""

from __future__ import annotations

from typing import cast

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest

from heardback.console.access import ConsoleRequest
from heardback.hiring.models import Member
from heardback.web.client import client_address


def member_of(request: HttpRequest) -> Member:
    return cast(ConsoleRequest, request).member  # set by console_view


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
    """The client's address as every limit finds it (behind TRUSTED_PROXIES too)."""
    return client_address(request)
