"""The Django admin's membership form, for an org admin with staff access: it offers only
the accounts already in their org, and never moves a membership to another account. Only a
superuser manages memberships across orgs."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from heardback.hiring.models import Member, Role
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def orgs(settings: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    acme = factories.make_org(name="Acme")
    zeta = factories.make_org(name="Zeta")
    admin = factories.make_member(org=acme, role=Role.ADMIN, email="admin@acme.example")
    get_user_model().objects.filter(pk=admin.user_id).update(is_staff=True)
    return {
        "admin": admin,
        "colleague": factories.make_member(org=acme, role=Role.RECRUITER, email="rec@acme.example"),
        "outsider": factories.make_member(org=zeta, role=Role.ADMIN, email="boss@zeta.example"),
        "loner": factories.make_user(email="seeker@example.org"),
    }


def _client(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_the_member_form_lists_no_account_of_another_org(orgs: dict[str, Any]) -> None:
    page = _client(orgs["admin"]).get(f"/admin/hiring/member/{orgs['colleague'].pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "boss@zeta.example" not in html
    assert "seeker@example.org" not in html


def test_an_org_admin_cannot_attach_another_orgs_user(orgs: dict[str, Any]) -> None:
    colleague, outsider = orgs["colleague"], orgs["outsider"]
    response = _client(orgs["admin"]).post(
        f"/admin/hiring/member/{colleague.pk}/change/",
        {"user": outsider.user_id, "org": colleague.org_id, "role": Role.ADMIN,
         "created_at_0": "2026-01-01", "created_at_1": "10:00:00"},
    )  # fmt: skip
    assert response.status_code in {200, 302}
    colleague.refresh_from_db()
    assert colleague.user_id != outsider.user_id
    assert not Member.objects.filter(org=colleague.org, user=outsider.user).exists()
    # The role, which is theirs to change, did change.
    assert colleague.role == Role.ADMIN


def test_an_org_admin_sees_no_membership_of_another_org(orgs: dict[str, Any]) -> None:
    client = _client(orgs["admin"])
    assert client.get(f"/admin/hiring/member/{orgs['outsider'].pk}/change/").status_code in {
        302,
        404,
    }
    listing = client.get("/admin/hiring/member/").content.decode()
    assert "boss@zeta.example" not in listing


def test_a_superuser_still_manages_memberships_across_orgs(orgs: dict[str, Any]) -> None:
    root = factories.make_user(email="root@heardback.example", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    html = client.get(f"/admin/hiring/member/{orgs['colleague'].pk}/change/").content.decode()
    assert "boss@zeta.example" in html and "seeker@example.org" in html
