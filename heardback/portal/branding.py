"""The employer's logo and colours on candidate pages (docs/branding.md).

- **Logo**: PNG, JPEG or WebP only, at most `MAX_LOGO_BYTES`, decoded by Pillow and
  re-encoded (scaled to fit `MAX_LOGO_SIZE`), so what is served holds pixels only: no
  metadata, no script, nothing a browser could sniff as another type. SVG is refused (it can
  carry script). Kept in the database (`OrgLogo`) under a content-addressed name, served with
  its own type, `nosniff`, a sandboxing CSP and a year's cache.
- **Colours**: the page's strict CSP allows no inline style, so an org's colours come as a
  tiny stylesheet of CSS variables, `/brand/<org>/style-<version>.css`, built from the
  validated `#rrggbb` values only (nothing the org typed reaches it otherwise).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from heardback import clock
from heardback.hiring.branding import HEX, contact_address, text_on
from heardback.hiring.models import Org
from heardback.portal.models import OrgLogo

MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_SIZE = (600, 200)
# Decoding a bigger picture could take a lot of memory ("decompression bomb"): refused
# from the header alone, before any pixel is decoded.
MAX_SOURCE_PIXELS = 4096 * 4096
FORMATS = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = {ext: content_type for ext, content_type in FORMATS.values()}


@dataclass(frozen=True)
class Encoded:
    name: str
    content_type: str
    content: bytes
    width: int
    height: int


def encode_logo(data: bytes) -> Encoded:
    """The upload as a clean image, or a ValidationError saying what is wrong with it."""
    if not data:
        raise ValidationError({"logo": "The file is empty."})
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError({"logo": "The logo is larger than 1 MB. Please send a smaller file."})
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in FORMATS:
                raise ValidationError(
                    {"logo": "Please send a PNG, JPEG or WebP image (SVG is not accepted)."}
                )
            source_format = image.format
            width, height = image.size
            if width * height > MAX_SOURCE_PIXELS:
                raise ValidationError(
                    {"logo": "The image is too large (at most 4096 by 4096 pixels)."}
                )
            image.load()
            picture = image.convert("RGBA" if _has_alpha(image) else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValidationError(
            {"logo": "This is not a PNG, JPEG or WebP image we can read (SVG is not accepted)."}
        ) from error
    picture.thumbnail(MAX_LOGO_SIZE)
    if source_format == "JPEG" and picture.mode == "RGBA":
        picture = picture.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 90} if source_format in ("JPEG", "WEBP") else {"optimize": True}
    picture.save(out, format=source_format, **options)
    content = out.getvalue()
    ext, content_type = FORMATS[source_format]
    name = f"{hashlib.sha256(content).hexdigest()[:20]}.{ext}"
    return Encoded(name, content_type, content, picture.width, picture.height)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def set_logo(*, org: Org, data: bytes) -> Org:
    """Replace the org's logo with the cleaned upload (the old one is gone at once)."""
    encoded = encode_logo(data)
    with transaction.atomic():
        OrgLogo.objects.update_or_create(
            org=org,
            defaults={
                "name": encoded.name,
                "content_type": encoded.content_type,
                "content": encoded.content,
                "width": encoded.width,
                "height": encoded.height,
                "created_at": clock.now(),
            },
        )
        org.logo = encoded.name
        org.save(update_fields=["logo"])
    return org


def remove_logo(*, org: Org) -> Org:
    with transaction.atomic():
        OrgLogo.objects.filter(org=org).delete()
        org.logo = ""
        org.save(update_fields=["logo"])
    return org


def logo_of(*, org: Org, name: str) -> OrgLogo | None:
    """The org's current logo, if `name` is its name (an old name is simply not found)."""
    if not org.logo or name != org.logo:
        return None
    return OrgLogo.objects.filter(org=org, name=name).first()


def style_version(org: Org) -> str:
    """Changes whenever the colours do, so the stylesheet can be cached for a year."""
    colours = f"{org.brand_color}|{org.brand_header_color}"
    return hashlib.sha256(colours.encode()).hexdigest()[:12]


def has_style(org: Org) -> bool:
    return bool(org.brand_color or org.brand_header_color)


def stylesheet(org: Org) -> str:
    """CSS variables from the validated colours only; nothing else of the org's is in it."""
    lines = []
    # Checked again here: only a value of exactly this shape can reach the stylesheet.
    if HEX.fullmatch(org.brand_color):
        lines.append(f"--accent:{org.brand_color};")
    if HEX.fullmatch(org.brand_header_color):
        lines.append(f"--brand-header:{org.brand_header_color};")
        lines.append(f"--brand-header-text:{text_on(org.brand_header_color)};")
    return ":root{" + "".join(lines) + "}\n"


@dataclass(frozen=True)
class Brand:
    """The org's face as ready-made HTML pieces for `portal/base.html` (and the status
    page's skeleton, which takes them as slots: see status_render)."""

    head: SafeString
    header: SafeString
    contact: SafeString


def brand_of(org: Org, *, query: str = "") -> Brand:
    """Build the pieces in the active language. `query` is kept on the header's link (e.g.
    `?lang=de`)."""
    head = (
        format_html(
            '<link rel="stylesheet" href="{}">',
            reverse("portal:brand_style", args=[org.slug, style_version(org)]),
        )
        if has_style(org)
        else mark_safe("")
    )
    board = reverse("portal:job_board", args=[org.slug]) + query
    if org.logo:
        header = format_html(
            '<a class="brand brand-org" href="{}"><img class="brand-logo" src="{}" alt="{}"></a>',
            board,
            reverse("portal:brand_logo", args=[org.slug, org.logo]),
            org.name,
        )
    else:
        header = format_html('<a class="brand brand-org" href="{}">{}</a>', board, org.name)
    address = contact_address(org)
    contact = (
        format_html(
            '<section class="contact-us" aria-labelledby="contact-us-h"><h2 id="contact-us-h">{}'
            '</h2><p>{} <a href="mailto:{}">{}</a></p></section>',
            _("Questions?"),
            _("Write to a person at %(org)s:") % {"org": org.name},
            address,
            address,
        )
        if address
        else mark_safe("")
    )
    return Brand(head=head, header=header, contact=contact)
