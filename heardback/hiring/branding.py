"""The employer's face: name, colours, contact address and sending address of an org.

Candidates should meet the employer, not the vendor: the candidate pages wear the org's
name, logo and colours, and every email comes from the org (its own address once its domain
is verified, else the platform's address under the org's name) with a Reply-To that reaches
a person. The logo's pixels are the portal's (`portal.branding`); this module keeps the rules
that hiring's messages and the close-out need. See docs/branding.md.
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from heardback import clock
from heardback.hiring.models import Member, Org, Role
from heardback.messaging.headers import single_line

HEX = re.compile(r"#[0-9a-fA-F]{6}")
WHITE = "#ffffff"
DARK = "#1a1a1a"
# WCAG 2 AA for normal text: what a button's label and a link on white must reach.
MIN_CONTRAST = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    """WCAG relative luminance of `#rrggbb`."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two `#rrggbb` colours, from 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """White or near-black, whichever reads better on `background` (always >= 4.5:1)."""
    return WHITE if contrast(WHITE, background) >= contrast(DARK, background) else DARK


def clean_color(value: str, *, field: str, on_white: bool) -> str:
    """`#rrggbb` in lower case, or "" for none. Anything else is refused with a reason."""
    value = (value or "").strip()
    if not value:
        return ""
    if not HEX.fullmatch(value):
        raise ValidationError(
            {field: "Please give a colour as # and six hex digits, e.g. #0b5fff."}
        )
    value = value.lower()
    if on_white and contrast(value, WHITE) < MIN_CONTRAST:
        raise ValidationError(
            {
                field: f"{value} is too light to read on white or under white text "
                f"(contrast {contrast(value, WHITE):.1f}:1, at least {MIN_CONTRAST}:1 needed). "
                "Please choose a darker shade."
            }
        )
    return value


def _clean_address(value: str, field: str) -> str:
    value = single_line(value or "", max_length=254).strip()
    if value:
        try:
            validate_email(value)
        except ValidationError as error:
            raise ValidationError({field: "Please enter a valid email address."}) from error
    return value.lower() if value else ""


def set_branding(
    *,
    org: Org,
    name: str,
    reply_to: str,
    brand_color: str,
    brand_header_color: str,
    sender_email: str,
) -> Org:
    """Save the org's name, colours and addresses; refuses bad input as a whole.

    A changed sending address is unverified again: From stays the platform's until the
    operator has checked the new domain.
    """
    cleaned_name = single_line(name or "", max_length=200).strip()
    errors: dict[str, list[str]] = {}
    if not cleaned_name:
        errors["name"] = ["Please enter the name candidates know you by."]
    values: dict[str, str] = {}
    for field, value, on_white in (
        ("brand_color", brand_color, True),
        ("brand_header_color", brand_header_color, False),
    ):
        try:
            values[field] = clean_color(value, field=field, on_white=on_white)
        except ValidationError as error:
            errors.update(error.message_dict)
    for field, value in (("reply_to", reply_to), ("sender_email", sender_email)):
        try:
            values[field] = _clean_address(value, field)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if values["sender_email"] != org.sender_email:
        org.sender_verified_at = None
    org.name = cleaned_name
    for field, value in values.items():
        setattr(org, field, value)
    org.save(
        update_fields=[
            "name",
            "reply_to",
            "brand_color",
            "brand_header_color",
            "sender_email",
            "sender_verified_at",
        ]
    )
    return org


def set_sender_verified(*, org: Org, verified: bool) -> Org:
    """The operator's word that the sending domain's SPF and DKIM are in place."""
    if verified and not org.sender_email:
        raise ValidationError("This org has no sending address to verify.")
    org.sender_verified_at = clock.now() if verified else None
    org.save(update_fields=["sender_verified_at"])
    return org


def sender_domain(org: Org) -> str:
    return org.sender_email.rpartition("@")[2]


def _quoted(name: str) -> str:
    name = single_line(name, max_length=200).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{name}"'


def from_address(org: Org) -> str:
    """From for a candidate email: the org's own address once verified, else the platform's
    address, always under the org's name (candidates see who writes)."""
    if org.sender_email and org.sender_verified_at is not None:
        address = org.sender_email
    else:
        address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return f"{_quoted(org.name)} <{address}>"


def reply_to_address(org: Org) -> str:
    """Reply-To for a candidate email: someone at the org always reads it.

    The org's contact address; else its verified sending address; else its first admin.
    """
    address = org.reply_to or (org.sender_email if org.sender_verified_at else "")
    if not address:
        address = (
            Member.objects.filter(org_id=org.pk, role=Role.ADMIN)
            .order_by("id")
            .values_list("user__email", flat=True)
            .first()
            or ""
        )
    return f"{_quoted(org.name)} <{address}>" if address else ""


def contact_address(org: Org) -> str:
    """The address the status page shows (the same person Reply-To reaches, if set)."""
    return org.reply_to or (org.sender_email if org.sender_verified_at else "")
