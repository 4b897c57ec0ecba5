"""Org settings (branding): admins only; everything is checked, and a bad value saves nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from heardback.hiring.models import Org, Role
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/app/settings/branding/"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (300, 100), (15, 92, 77, 255)).save(out, format="PNG")
    return out.getvalue()


def signed_in(role: str) -> tuple[Client, Org]:
    org = factories.make_org(name="Northwind Robotics")
    member = factories.make_member(org=org, role=role)
    client = Client()
    client.force_login(member.user)
    return client, org


def form(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Northwind Robotics",
        "reply_to": "jobs@northwind.example",
        "sender_email": "",
        "brand_color": "#0f5c4d",
        "brand_header_color": "#0f3d36",
        **changes,
    }


@pytest.mark.parametrize("role", [Role.RECRUITER, Role.HIRING_MANAGER])
def test_only_admins_change_the_face(role: str) -> None:
    client, org = signed_in(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form(name="Hijacked")).status_code == 403
    org.refresh_from_db()
    assert org.name == "Northwind Robotics"


def test_an_admin_saves_name_colours_contact_and_logo() -> None:
    client, org = signed_in(Role.ADMIN)
    page = client.get(URL).content.decode()
    assert "Your face to candidates" in page and f"/jobs/{org.slug}/" in page
    logo = SimpleUploadedFile("logo.png", png(), content_type="image/png")
    response = client.post(URL, form(name="Northwind", logo=logo))
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.brand_color, org.reply_to) == (
        "Northwind", "#0f5c4d", "jobs@northwind.example")  # fmt: skip
    assert org.logo.endswith(".png")
    page = client.get(URL).content.decode()
    assert f'src="/brand/{org.slug}/logo/{org.logo}"' in page
    assert "Reply-To</dt><dd><code>&quot;Northwind&quot; &lt;jobs@northwind.example&gt;" in page
    # Removing the logo.
    client.post(URL, form(name="Northwind", remove_logo="on"))
    org.refresh_from_db()
    assert org.logo == ""


def test_a_sending_address_waits_for_the_operator() -> None:
    client, org = signed_in(Role.ADMIN)
    client.post(URL, form(sender_email="jobs@northwind.example"))
    page = client.get(URL).content.decode()
    assert "Waiting for verification." in page
    assert f"heardback sender-domain {org.slug} --verify" in page


@pytest.mark.parametrize(
    ("changes", "field_error"),
    [
        ({"brand_color": "#fafafa"}, "too light to read on white"),
        ({"brand_color": "blue"}, "# and six hex digits"),
        ({"name": "   "}, "This field is required."),
        ({"reply_to": "not an address"}, "Enter a valid email address."),
        (
            {"logo": SimpleUploadedFile("logo.svg", b"<svg onload='x'/>", "image/svg+xml")},
            "not a PNG, JPEG or WebP image",
        ),
    ],
)
def test_bad_input_saves_nothing_and_says_why(changes: dict[str, Any], field_error: str) -> None:
    client, org = signed_in(Role.ADMIN)
    response = client.post(URL, form(**{"name": "Renamed", **changes}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "nothing was changed" in page and field_error in page
    org.refresh_from_db()
    assert (org.name, org.brand_color, org.reply_to, org.logo) == ("Northwind Robotics", "", "", "")
