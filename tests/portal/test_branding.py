"""The employer's face: logo, colours, contact and sender per org, on pages and in emails."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, RequestFactory
from PIL import Image, PngImagePlugin

from heardback.hiring import branding
from heardback.hiring import services as hiring
from heardback.hiring.models import Org, Role
from heardback.messaging import delivery
from heardback.portal import branding as portal_branding
from heardback.portal import tokens
from heardback.portal.views import server_error
from heardback.promises import scheduler
from heardback.promises import services as promises
from tests import factories

pytestmark = pytest.mark.django_db


def image_bytes(fmt: str, size: tuple[int, int] = (120, 40), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (15, 92, 77)).save(out, format=fmt, **save)
    return out.getvalue()


def branded(**fields: Any) -> Org:
    org = factories.make_org(name=fields.pop("name", "Northwind Robotics"))
    values = {
        "name": org.name,
        "reply_to": "jobs@northwind.example",
        "brand_color": "#0f5c4d",
        "brand_header_color": "#0f3d36",
        "sender_email": "",
        **fields,
    }
    return branding.set_branding(org=org, **values)


# --- colours ---------------------------------------------------------------------------------


def test_contrast_follows_wcag() -> None:
    assert branding.contrast("#ffffff", "#000000") == pytest.approx(21)
    assert branding.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert branding.text_on("#ffff00") == branding.DARK
    assert branding.text_on("#0f3d36") == branding.WHITE


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("#ffeb3b", "too light to read on white"),
        ("#777777", "too light to read on white"),
        ("red", "# and six hex digits"),
        ("#12345", "# and six hex digits"),
        ("#0f5c4d;}body{display:none", "# and six hex digits"),
    ],
)
def test_bad_colours_are_refused_and_nothing_changes(value: str, message: str) -> None:
    org = branded()
    with pytest.raises(ValidationError) as caught:
        branding.set_branding(
            org=org, name="Renamed", reply_to="", brand_color=value, brand_header_color="",
            sender_email="",
        )  # fmt: skip
    assert message in str(caught.value.message_dict["brand_color"])
    org.refresh_from_db()
    assert (org.name, org.brand_color, org.reply_to) == (
        "Northwind Robotics", "#0f5c4d", "jobs@northwind.example")  # fmt: skip


def test_the_stylesheet_holds_only_the_checked_colours(client: Client) -> None:
    org = branded(brand_color="#0F5C4D")
    assert org.brand_color == "#0f5c4d"
    version = portal_branding.style_version(org)
    response = client.get(f"/brand/{org.slug}/style-{version}.css")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert "immutable" in response["Cache-Control"]
    assert response.content.decode() == (
        ":root{--accent:#0f5c4d;--brand-header:#0f3d36;--brand-header-text:#ffffff;}\n"
    )
    # An old version (before a colour changed) is gone, so a cached one can't be mixed in.
    assert client.get(f"/brand/{org.slug}/style-{version[:-1]}0.css").status_code == 404


# --- the logo --------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_a_logo_is_re_encoded_and_served_safely(client: Client, fmt: str, ext: str) -> None:
    org = branded()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    upload = image_bytes(fmt, (1200, 300), **({"pnginfo": info} if fmt == "PNG" else {}))
    org = portal_branding.set_logo(org=org, data=upload)
    assert org.logo.endswith(f".{ext}")
    response = client.get(f"/brand/{org.slug}/logo/{org.logo}")
    assert response.status_code == 200
    assert response["Content-Type"] == portal_branding.CONTENT_TYPES[ext]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"<script>" not in response.content  # re-encoded: pixels only
    with Image.open(io.BytesIO(response.content)) as served:
        assert served.format == fmt
        assert served.size == (600, 150)  # scaled to fit 600 x 200
    # The job board shows it, with the org's name as its text alternative.
    page = client.get(f"/jobs/{org.slug}/").content.decode()
    assert f'<img class="brand-logo" src="/brand/{org.slug}/logo/{org.logo}" alt="{org.name}">' in (
        page
    )


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>'
    b'<rect width="10" height="10"/></svg>'
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (SVG, "not a PNG, JPEG or WebP image"),
        (image_bytes("GIF"), "Please send a PNG, JPEG or WebP image"),
        (b"\x89PNG\r\n\x1a\nnot really a png", "not a PNG, JPEG or WebP image"),
        (b"", "The file is empty"),
        (b"\x00" * (portal_branding.MAX_LOGO_BYTES + 1), "larger than 1 MB"),
        (image_bytes("PNG", (5000, 4000)), "too large"),
    ],
)
def test_bad_logos_are_refused_and_the_old_one_kept(data: bytes, message: str) -> None:
    org = portal_branding.set_logo(org=branded(), data=image_bytes("PNG"))
    before = org.logo
    with pytest.raises(ValidationError) as caught:
        portal_branding.set_logo(org=org, data=data)
    assert message in " ".join(caught.value.message_dict["logo"])
    org.refresh_from_db()
    assert org.logo == before


def test_an_old_or_foreign_logo_name_is_not_found(client: Client) -> None:
    org = portal_branding.set_logo(org=branded(), data=image_bytes("PNG"))
    old = org.logo
    org = portal_branding.set_logo(org=org, data=image_bytes("PNG", (100, 100)))
    other = branded(name="Other Org")
    assert client.get(f"/brand/{org.slug}/logo/{old}").status_code == 404
    assert client.get(f"/brand/{other.slug}/logo/{org.logo}").status_code == 404
    assert client.get(f"/brand/{org.slug}/logo/{org.logo}").status_code == 200


# --- candidate pages -------------------------------------------------------------------------


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.described: list[str] = []
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if found.get("aria-describedby"):
            self.described += str(found["aria-describedby"]).split()
        if "style" in found:
            self.inline_styles += 1


def parsed(html: str) -> _Ids:
    parser = _Ids()
    parser.feed(html)
    return parser


def _header_and_footer(html: str) -> tuple[str, str]:
    header = re.search(r"<header.*?</header>", html, re.S)
    footer = re.search(r"<footer.*?</footer>", html, re.S)
    assert header and footer
    return header.group(0), footer.group(0)


def test_candidate_pages_wear_the_employers_face(client: Client) -> None:
    org = branded()
    job = factories.make_job(org=org, title="Robot Whisperer")
    application = factories.make_application(job=job)
    token = tokens.issue_token(application)
    style = f'<link rel="stylesheet" href="/brand/{org.slug}/style-'
    for url in (f"/jobs/{org.slug}/", f"/jobs/{org.slug}/{job.slug}/", f"/s/{token}/"):
        html = client.get(url).content.decode()
        header, footer = _header_and_footer(html)
        assert "Northwind Robotics" in header and "Heardback" not in header, url
        assert "Powered by Heardback" in footer, url
        assert html.count("Heardback") == 1, url  # the footer only
        assert style in html, url
        assert parsed(html).inline_styles == 0, url  # the CSP allows no inline style


def test_the_status_page_shows_the_contact_address(client: Client, settings: Any) -> None:
    org = branded(reply_to="people@northwind.example")
    application = factories.make_application(job=factories.make_job(org=org))
    token = tokens.issue_token(application)
    for cached in (True, False):  # the skeleton render and the full one
        settings.DEBUG = not cached
        html = client.get(f"/s/{token}/").content.decode()
        assert "Write to a person at Northwind Robotics:" in html
        assert '<a href="mailto:people@northwind.example">people@northwind.example</a>' in html
    other = factories.make_org(name="No Contact Ltd")
    quiet = factories.make_application(job=factories.make_job(org=other))
    html = client.get(f"/s/{tokens.issue_token(quiet)}/").content.decode()
    assert "Write to a person" not in html and "northwind" not in html


def test_one_org_never_shows_anothers_face(client: Client) -> None:
    north = branded()
    south = branded(name="Southwind Foods", reply_to="hr@southwind.example", brand_color="#7a1f1f")
    pages = {}
    for org in (north, south):
        application = factories.make_application(job=factories.make_job(org=org))
        pages[org.slug] = client.get(f"/s/{tokens.issue_token(application)}/").content.decode()
    assert "hr@southwind.example" in pages[south.slug]
    assert "hr@southwind.example" not in pages[north.slug]
    assert "Southwind" not in pages[north.slug] and "Northwind" not in pages[south.slug]


def test_no_details_form_after_withdrawal(client: Client) -> None:
    org = branded()
    job = factories.make_job(org=org)
    withdrawn = factories.make_application(job=job)
    hiring.withdraw(application=withdrawn)
    html = client.get(f"/s/{tokens.issue_token(withdrawn)}/").content.decode()
    assert "Your details" not in html and 'name="email"' not in html
    # A declined candidate whose last email bounced can still fix their address.
    bounced = factories.make_application(job=job)
    hiring.decline(application=bounced, reason="other_candidate", actor=None)
    bounced.candidate.unreachable_since = bounced.created_at
    bounced.candidate.save(update_fields=["unreachable_since"])
    html = client.get(f"/s/{tokens.issue_token(bounced)}/").content.decode()
    assert "Your details" in html
    active = factories.make_application(job=job)
    assert "Your details" in client.get(f"/s/{tokens.issue_token(active)}/").content.decode()


def test_every_aria_describedby_points_at_an_id_on_the_page(client: Client) -> None:
    org = branded()
    job = factories.make_job(org=org)
    url = f"/jobs/{org.slug}/{job.slug}/"
    pages = {
        "apply": client.get(url).content.decode(),
        "apply with errors": client.post(
            url, {"name": "", "email": "not-an-address"}
        ).content.decode(),
    }
    for name, html in pages.items():
        found = parsed(html)
        assert found.described, name  # the test looks at something
        missing = [i for i in found.described if i not in found.ids]
        assert missing == [], f"{name}: aria-describedby points at missing ids {missing}"
    assert "id_email_error" in parsed(pages["apply with errors"]).described


# --- error pages -----------------------------------------------------------------------------


def test_a_closed_jobs_link_says_so_and_lists_the_others(client: Client) -> None:
    org = branded()
    owner = factories.make_member(org=org, role=Role.ADMIN)
    closed = factories.make_job(org=org, title="Product Designer", owner=owner)
    factories.make_job(org=org, title="Robotics Engineer", owner=owner)
    promises.close_job(job=closed, actor=owner, outcome="filled")
    response = client.get(f"/jobs/{org.slug}/{closed.slug}/?lang=de")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Product Designer: Diese Stelle ist nicht mehr offen" in html
    assert "Offene Stellen bei Northwind Robotics" in html
    assert f'href="/jobs/{org.slug}/robotics-engineer/?lang=de"' in html
    header, _footer = _header_and_footer(html)
    assert "Northwind Robotics" in header
    # Applying to it is refused the same way: nothing is stored.
    post = client.post(f"/jobs/{org.slug}/{closed.slug}/", {"name": "A", "email": "a@b.example"})
    assert post.status_code == 404


def test_unknown_pages_get_the_sites_own_404(client: Client) -> None:
    org = branded()
    factories.make_job(org=org, title="Robotics Engineer")
    html = client.get(f"/jobs/{org.slug}/no-such-job/").content.decode()
    assert "We could not find this page" in html and "Robotics Engineer" in html
    response = client.get(f"/employers/{org.slug}/nothing/here/")
    assert response.status_code == 404
    assert "Northwind Robotics" in _header_and_footer(response.content.decode())[0]
    plain = client.get("/no/such/page/")
    assert plain.status_code == 404 and "We could not find this page" in plain.content.decode()
    assert "Northwind" not in plain.content.decode()


def test_the_500_page_is_branded_and_survives_without_a_database(
    settings: Any, django_assert_num_queries: Any
) -> None:
    org = branded()
    request = RequestFactory().get(f"/jobs/{org.slug}/some-job/?lang=es")
    response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Algo ha salido mal por nuestra parte" in html
    assert "Northwind Robotics" in _header_and_footer(html)[0]
    # Whatever broke the page may be the database: the page still answers, plainly.
    from django.db import connection

    with connection.execute_wrapper(_refuse):
        response = server_error(request)
    assert response.status_code == 500
    assert "Algo ha salido mal" in response.content.decode()


def _refuse(*args: Any) -> None:
    from django.db import OperationalError

    raise OperationalError("the database went away")


# --- email: From and Reply-To per org --------------------------------------------------------


def test_from_and_reply_to_per_org(settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "Heardback <no-reply@heardback.example>"
    org = branded(sender_email="jobs@northwind.example")
    assert org.sender_verified_at is None
    assert branding.from_address(org) == '"Northwind Robotics" <no-reply@heardback.example>'
    out = StringIO()
    call_command("sender_domain", org.slug, "--verify", stdout=out)
    org.refresh_from_db()
    assert branding.from_address(org) == '"Northwind Robotics" <jobs@northwind.example>'
    assert "verified" in out.getvalue()
    # A new sending address must be verified again.
    org = branding.set_branding(
        org=org, name=org.name, reply_to="", brand_color="", brand_header_color="",
        sender_email="talent@northwind.example",
    )  # fmt: skip
    assert org.sender_verified_at is None
    assert branding.from_address(org).endswith("<no-reply@heardback.example>")
    # Without a contact address, replies reach the first admin: never nobody.
    admin = factories.make_member(org=org, role=Role.ADMIN, email="alex@northwind.example")
    assert branding.reply_to_address(org) == f'"Northwind Robotics" <{admin.email}>'
    # A name can't break out of its header.
    org.name = 'Evil "Corp"\r\nBcc: victim@example.org'
    assert branding.from_address(org) == (
        '"Evil \\"Corp\\" Bcc: victim@example.org" <no-reply@heardback.example>'
    )


def test_candidate_email_at_the_smtp_server_comes_from_the_org(
    smtp_server: Any, settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "Heardback <no-reply@heardback.example>"
    north = branded(sender_email="jobs@northwind.example")
    branding.set_sender_verified(org=north, verified=True)
    south = branded(name="Südwind Küchen", reply_to="hr@suedwind.example")
    owner = factories.make_member(org=north, role=Role.ADMIN)
    job = factories.make_job(org=north, owner=owner)
    factories.make_application(job=factories.make_job(org=south), email="bo@example.net")
    factories.make_application(job=job, email="cy@example.net")
    promises.close_job(job=job, actor=owner, outcome="closed")
    scheduler.run_until_idle()
    delivery.drain()
    (bo,) = smtp_server.to("bo@example.net")
    assert str(bo.message["From"]) == "Südwind Küchen <no-reply@heardback.example>"
    assert str(bo.message["Reply-To"]) == "Südwind Küchen <hr@suedwind.example>"
    # The envelope stays the platform's, so bounces still come back to us.
    assert bo.mail_from == "no-reply@heardback.example"
    # The acknowledgement and the close-out (written by SQL) carry the org's headers.
    mails = smtp_server.to("cy@example.net")
    assert len(mails) == 2
    assert {str(m.message["From"]) for m in mails} == {
        "Northwind Robotics <jobs@northwind.example>"
    }
    assert {str(m.message["Reply-To"]) for m in mails} == {
        "Northwind Robotics <jobs@northwind.example>"
    }


def test_every_page_has_a_favicon(client: Client) -> None:
    org = branded()
    for url in ("/", f"/jobs/{org.slug}/", "/app/login/", "/seeker/signup/", "/nothing/"):
        html = client.get(url).content.decode()
        icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
        assert icon, url
    assert icon is not None
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == icon.group(1)
    from django.contrib.staticfiles import finders

    found = finders.find("heardback/favicon.svg")
    assert found and "<svg" in Path(str(found)).read_text()
