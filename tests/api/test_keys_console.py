"""Admins create and revoke API keys in the console; the secret is shown once."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from heardback.api.keys import hash_key
from heardback.api.models import ApiKey
from tests.api.conftest import World


def signed_in(member: Any) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_an_admin_creates_a_key_sees_it_once_and_it_works(acme: World) -> None:
    client = signed_in(acme.admin)
    page = client.post(reverse("console:api_keys"), {"name": "ATS sync", "scope": "write"})
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    raw = re.search(r'value="(hb_[A-Za-z0-9]+_[A-Za-z0-9_-]+)"', page.content.decode()).group(1)
    key = ApiKey.objects.get(org=acme.org)
    assert key.key_hash == hash_key(raw) and raw not in key.key_hash
    assert raw not in client.get(reverse("console:api_keys")).content.decode()  # once only
    answer = Client().get("/api/v1/jobs", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 200

    client.post(reverse("console:revoke_api_key", args=[key.pk]))
    answer = Client().get("/api/v1/jobs", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 401


def test_only_admins_manage_keys_and_only_their_orgs(acme: World, globex: World) -> None:
    assert signed_in(acme.recruiter).get(reverse("console:api_keys")).status_code in (403, 404)
    client = signed_in(globex.admin)
    client.post(reverse("console:api_keys"), {"name": "theirs", "scope": "read"})
    theirs = ApiKey.objects.get(org=globex.org)
    response = signed_in(acme.admin).post(reverse("console:revoke_api_key", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
