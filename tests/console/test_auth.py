"""Sign-in, the brute-force throttle, password reset by email, invitations and roles."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.urls import reverse

from heardback import clock
from heardback.console import services
from heardback.console.models import Invitation
from heardback.hiring.models import Member, Role
from heardback.messaging import delivery
from heardback.messaging.models import Message
from tests.console.conftest import World, client_for

PASSWORD = "correct horse battery staple"


def sign_in(client: Client, email: str, password: str) -> int:
    response = client.post(reverse("console:login"), {"username": email, "password": password})
    return response.status_code


def test_sign_in_with_email_and_password_lands_on_the_dashboard(world: World) -> None:
    client = Client()
    response = client.post(
        reverse("console:login"), {"username": "rec@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:dashboard")
    page = client.get(reverse("console:dashboard"))
    assert page.status_code == 200
    assert "Acme Analytics" in page.content.decode()


def test_wrong_password_says_so_kindly(world: World) -> None:
    response = Client().post(
        reverse("console:login"), {"username": "rec@acme.example", "password": "nope"}
    )
    assert response.status_code == 200
    assert "match an account" in response.content.decode()


def test_login_is_throttled_per_email_and_address(world: World) -> None:
    client = Client()
    for _ in range(services.LOGIN_MAX_FAILURES):
        assert sign_in(client, "rec@acme.example", "guess") == 200
    # Now even the right password is refused for a while...
    response = client.post(
        reverse("console:login"), {"username": "rec@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # ...but another account from the same address is not locked out with it.
    assert sign_in(Client(), "admin@acme.example", PASSWORD) == 302
    # And the lock lifts after the window.
    with time_machine.travel(clock.now() + timedelta(seconds=services.LOGIN_WINDOW_SECONDS + 5)):
        assert sign_in(Client(), "rec@acme.example", PASSWORD) == 302


def test_success_resets_the_failure_count(world: World) -> None:
    for _ in range(services.LOGIN_MAX_FAILURES - 1):
        sign_in(Client(), "rec@acme.example", "guess")
    assert sign_in(Client(), "rec@acme.example", PASSWORD) == 302
    for _ in range(services.LOGIN_MAX_FAILURES - 1):
        sign_in(Client(), "rec@acme.example", "guess")
    assert sign_in(Client(), "rec@acme.example", PASSWORD) == 302


def test_password_reset_mail_goes_through_the_outbox_and_works(
    world: World, smtp_server: Any, real_mailers: None
) -> None:
    client = Client()
    response = client.post(reverse("console:password_reset"), {"email": "rec@acme.example"})
    assert response.status_code == 302
    assert Message.objects.filter(to_email="rec@acme.example").exists()
    delivery.drain()
    [mail] = smtp_server.to("rec@acme.example")
    path = re.search(r"/app/reset/\S+/", mail.text).group(0)
    page = client.get(path, follow=True)
    assert "Choose a new password" in page.content.decode()
    form_url = page.redirect_chain[-1][0]  # Django moves the token out of the URL first
    done = client.post(
        form_url,
        {"new_password1": "a brand new secret 42", "new_password2": "a brand new secret 42"},
    )
    assert done.status_code == 302
    assert sign_in(Client(), "rec@acme.example", "a brand new secret 42") == 302


def test_admin_invites_a_member_by_email(
    world: World, smtp_server: Any, real_mailers: None
) -> None:
    client = client_for(world.admin)
    response = client.post(
        reverse("console:members"), {"email": "newbie@acme.example", "role": Role.HIRING_MANAGER}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="newbie@acme.example")
    delivery.drain()
    [mail] = smtp_server.to("newbie@acme.example")
    token = re.search(r"/app/invite/([^/\s]+)/", mail.text).group(1)
    # Only a hash is stored, and the token carries at least 128 bits.
    assert len(token) >= 22
    assert token not in invitation.token_hash
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    newcomer = Client()
    page = newcomer.get(reverse("console:accept_invite", kwargs={"token": token}))
    assert "Join Acme Analytics" in page.content.decode()
    accepted = newcomer.post(
        reverse("console:accept_invite", kwargs={"token": token}),
        {"name": "Nina Newbie", "password": "long enough secret"},
    )
    assert accepted.status_code == 302
    member = Member.objects.get(org=world.org, user__email="newbie@acme.example")
    assert member.role == Role.HIRING_MANAGER
    # The link works once.
    again = Client().get(reverse("console:accept_invite", kwargs={"token": token}))
    assert again.status_code == 404
    assert sign_in(Client(), "newbie@acme.example", "long enough secret") == 302


def test_invitations_expire(world: World) -> None:
    _invitation, token = services.invite_member(
        org_member=world.admin, email="late@acme.example", role=Role.RECRUITER
    )
    with time_machine.travel(clock.now() + timedelta(days=services.INVITATION_DAYS, minutes=1)):
        response = Client().get(reverse("console:accept_invite", kwargs={"token": token}))
    assert response.status_code == 404
    assert "expired" in response.content.decode()


def test_invite_form_shows_errors_inline(world: World) -> None:
    client = client_for(world.admin)
    response = client.post(
        reverse("console:members"), {"email": "rec@acme.example", "role": Role.RECRUITER}
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()


def test_recruiter_cannot_invite(world: World) -> None:
    response = client_for(world.recruiter).post(
        reverse("console:members"), {"email": "x@acme.example", "role": Role.ADMIN}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_admin_changes_a_role_but_keeps_one_admin(world: World) -> None:
    client = client_for(world.admin)
    client.post(reverse("console:member_role", args=[world.recruiter.pk]), {"role": "admin"})
    world.recruiter.refresh_from_db()
    assert world.recruiter.role == Role.ADMIN
    client.post(reverse("console:member_role", args=[world.recruiter.pk]), {"role": "recruiter"})
    response = client.post(
        reverse("console:member_role", args=[world.admin.pk]), {"role": "recruiter"}, follow=True
    )
    world.admin.refresh_from_db()
    assert world.admin.role == Role.ADMIN
    assert "at least one admin" in response.content.decode()


def test_a_member_of_two_orgs_can_switch(world: World) -> None:
    from heardback.hiring import services as hiring

    hiring.add_member(org=world.other_org, user=world.recruiter.user, role=Role.RECRUITER)
    client = client_for(world.recruiter)
    client.post(reverse("console:switch_org"), {"org": world.other_org.pk})
    assert "Zookeeper" in client.get(reverse("console:jobs")).content.decode()
    assert "Data Engineer" not in client.get(reverse("console:jobs")).content.decode()


def test_an_invitation_never_replaces_an_existing_password(world: World) -> None:
    """The recruiter of org A is invited to org B: they join with their own password."""
    _invitation, token = services.invite_member(
        org_member=world.other_admin, email="rec@acme.example", role=Role.RECRUITER
    )
    url = reverse("console:accept_invite", kwargs={"token": token})
    refused = Client().post(url, {"name": "Anyone", "password": "attacker's choice"})
    assert "already has an account" in refused.content.decode()
    assert not Member.objects.filter(org=world.other_org, user=world.recruiter.user).exists()
    assert sign_in(Client(), "rec@acme.example", PASSWORD) == 302
    joined = Client().post(url, {"name": "Rec", "password": PASSWORD})
    assert joined.status_code == 302
    assert Member.objects.filter(org=world.other_org, user=world.recruiter.user).exists()
