"""Header safety: nothing a candidate types can add a header to an email we send."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# Everything str.splitlines() treats as a line break, plus other control characters.
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def single_line(value: str, *, max_length: int = 300) -> str:
    """Collapse any line separators and control characters into single spaces."""
    flat = _CONTROL.sub("", _LINE_BREAKS.sub(" ", value))
    return " ".join(flat.split())[:max_length]


def clean_email_address(value: str) -> str:
    """A single, valid address, or a ValidationError with a message a person can act on."""
    address = value.strip()
    if not address:
        raise ValidationError("Please enter an email address.", code="required")
    if _LINE_BREAKS.search(address) or _CONTROL.search(address) or "," in address:
        raise ValidationError("Please enter a single email address on one line.", code="invalid")
    try:
        validate_email(address)
    except ValidationError as error:
        raise ValidationError(
            f"“{single_line(address, max_length=80)}” is not a valid email address.",
            code="invalid",
        ) from error
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"
