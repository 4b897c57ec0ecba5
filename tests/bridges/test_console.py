"""The connection pages: an admin connects an ATS, sees where to send events and what became
of them, replays a failure once its cause is fixed, and maps the ATS's stage names."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from heardback.bridges.models import Connection, InboundEvent, InboundStatus
from heardback.bridges.secrets import decrypt
from heardback.hiring.models import Application, Job, Role
from heardback.promises import scheduler
from heardback.promises.services import close_job, reopen_job
from tests import factories
from tests.bridges.conftest import Bridge, sign
from tests.bridges.test_greenhouse import application_event

pytestmark = pytest.mark.django_db


def admin_client(bridge: Bridge) -> Client:
    client = Client()
    client.force_login(bridge.admin.user)
    return client


def test_connecting_greenhouse_keeps_the_pasted_secret_and_shows_the_url_to_paste(
    greenhouse: Bridge,
) -> None:
    client = admin_client(greenhouse)
    response = client.post(
        "/app/connections/",
        {
            "provider": "greenhouse",
            "name": "Greenhouse EU",
            "webhook_secret": "pasted-from-greenhouse",
            "final_message_by": "heardback",
        },
    )
    assert response.status_code == 302
    connection = Connection.objects.get(name="Greenhouse EU")
    assert decrypt(connection.webhook_secret) == "pasted-from-greenhouse"
    assert "pasted-from-greenhouse" not in connection.webhook_secret  # encrypted at rest
    page = client.get(response["Location"])
    assert page["Cache-Control"] == "no-store"
    assert f"/hooks/greenhouse/{connection.pk}/" in page.content.decode()
    assert "pasted-from-greenhouse" not in page.content.decode()


def test_the_ats_secret_is_required_except_for_the_generic_bridge(greenhouse: Bridge) -> None:
    client = admin_client(greenhouse)
    missing = client.post(
        "/app/connections/",
        {"provider": "ashby", "name": "Ashby", "final_message_by": "heardback"},
    )
    assert missing.status_code == 400
    assert "Paste the secret you set in the ATS." in missing.content.decode()
    assert not Connection.objects.filter(name="Ashby").exists()


def test_a_generated_secret_is_shown_once_and_never_cached(greenhouse: Bridge) -> None:
    client = admin_client(greenhouse)
    response = client.post(
        "/app/connections/",
        {"provider": "generic", "name": "Our own ATS", "final_message_by": "ats"},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    connection = Connection.objects.get(name="Our own ATS")
    secret = decrypt(connection.webhook_secret)
    assert len(secret) >= 32 and secret in response.content.decode()
    assert connection.final_message_by == "ats"
    again = client.get("/app/connections/")
    assert secret not in again.content.decode()
    assert secret not in client.get(f"/app/connections/{connection.pk}/").content.decode()


def test_only_admins_see_the_connections(greenhouse: Bridge) -> None:
    recruiter = factories.make_member(org=greenhouse.org, role=Role.RECRUITER)
    client = Client()
    client.force_login(recruiter.user)
    assert client.get("/app/connections/").status_code == 403
    assert client.get(f"/app/connections/{greenhouse.connection.pk}/").status_code == 403
    nav = admin_client(greenhouse).get("/app/").content.decode()
    assert 'href="/app/connections/"' in nav
    assert 'href="/app/connections/"' not in client.get("/app/").content.decode()


def test_the_page_shows_events_signature_failures_and_what_happened(
    greenhouse: Bridge,
) -> None:
    greenhouse.post(application_event("new_candidate_application"))
    greenhouse.post(application_event("new_candidate_application"), secret="wrong")
    greenhouse.post(application_event("new_candidate_application"), secret="wrong")
    scheduler.run_until_idle()
    page = admin_client(greenhouse).get(f"/app/connections/{greenhouse.connection.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "2 refused" in text
    assert "applied (acknowledged)" in text
    assert "new_candidate_application" in text
    # The stage name the ATS sent, and what candidates see for it.
    assert re.search(r"Application Review</td><td[^>]*>Received</td><td[^>]*>keyword", text)


def test_replay_applies_an_event_that_failed_once_its_cause_is_fixed(
    greenhouse: Bridge,
) -> None:
    greenhouse.post(application_event("new_candidate_application", app_id=1))
    scheduler.run_until_idle()
    job = Job.objects.get(org=greenhouse.org)
    close_job(job=job, actor=greenhouse.admin)
    scheduler.run_until_idle()
    # A candidate whose first event arrives after the job was closed here: not guessed at.
    greenhouse.post(application_event("new_candidate_application", app_id=2, email="late@x.net"))
    scheduler.run_until_idle()
    failed = InboundEvent.objects.get(status=InboundStatus.FAILED)
    assert "after the job was closed here" in failed.last_error
    client = admin_client(greenhouse)
    page = client.get(f"/app/connections/{greenhouse.connection.pk}/").content.decode()
    assert "Processing failures" in page and "Replay" in page

    reopen_job(job=job, actor=greenhouse.admin)
    response = client.post(
        f"/app/connections/{greenhouse.connection.pk}/events/{failed.pk}/replay/"
    )
    assert response.status_code == 302
    scheduler.run_until_idle()
    failed.refresh_from_db()
    assert failed.status == InboundStatus.PROCESSED
    assert Application.objects.filter(candidate__email="late@x.net").exists()
    # Replaying what did not fail does nothing.
    client.post(f"/app/connections/{greenhouse.connection.pk}/events/{failed.pk}/replay/")
    failed.refresh_from_db()
    assert failed.status == InboundStatus.PROCESSED


def test_the_stage_mapping_overrides_the_keywords_for_the_next_events(
    greenhouse: Bridge,
) -> None:
    client = admin_client(greenhouse)
    response = client.post(
        f"/app/connections/{greenhouse.connection.pk}/stages/",
        {
            "stages-TOTAL_FORMS": "2",
            "stages-INITIAL_FORMS": "0",
            "stages-0-ats_stage": "Take-home Task",
            "stages-0-coarse": "interview",
            "stages-1-ats_stage": "",
            "stages-1-coarse": "",
        },
    )
    assert response.status_code == 302
    greenhouse.connection.refresh_from_db()
    assert greenhouse.connection.stage_map == {"take-home task": "interview"}
    greenhouse.post(application_event("new_candidate_application", at="2026-11-30T10:00:00Z"))
    greenhouse.post(
        application_event("candidate_stage_change", stage="Take-home task", at="2026-11-30T11:00Z")
    )
    scheduler.run_until_idle()
    assert Application.objects.get(org=greenhouse.org).stage.coarse_stage == "interview"
    page = client.get(f"/app/connections/{greenhouse.connection.pk}/").content.decode()
    assert "your mapping" in page


def test_settings_turn_the_endpoint_off_and_a_new_generic_secret_is_shown_once(
    greenhouse: Bridge,
) -> None:
    client = admin_client(greenhouse)
    url = f"/app/connections/{greenhouse.connection.pk}/settings/"
    response = client.post(url, {"name": "Greenhouse", "final_message_by": "ats"})
    assert response.status_code == 302
    greenhouse.connection.refresh_from_db()
    assert not greenhouse.connection.enabled
    assert greenhouse.connection.final_message_by == "ats"
    assert decrypt(greenhouse.connection.webhook_secret) == "s3cret-from-the-ats"  # kept
    assert greenhouse.post(application_event("new_candidate_application")).status_code == 404

    generic = admin_client(greenhouse).post(
        "/app/connections/",
        {"provider": "generic", "name": "Own", "final_message_by": "heardback"},
    )
    assert generic.status_code == 200
    own = Connection.objects.get(name="Own")
    old = decrypt(own.webhook_secret)
    shown = client.post(
        f"/app/connections/{own.pk}/settings/",
        {"name": "Own", "final_message_by": "heardback", "enabled": "on", "new_secret": "on"},
    )
    own.refresh_from_db()
    new = decrypt(own.webhook_secret)
    assert new != old and new in shown.content.decode()
    assert shown["Cache-Control"] == "no-store"
    body = json.dumps({"event_id": "e1", "job": {"id": "J1", "title": "T"}}).encode()
    post = Client().post(
        f"/hooks/generic/{own.pk}/",
        body,
        content_type="application/json",
        headers=sign("generic", body, old),
    )
    assert post.status_code == 401  # the old secret no longer works


def test_another_orgs_admin_finds_none_of_it(greenhouse: Bridge) -> None:
    other = factories.make_org(name="Other")
    their_admin = factories.make_member(org=other, role=Role.ADMIN)
    client = Client()
    client.force_login(their_admin.user)
    greenhouse.post(application_event("new_candidate_application"))
    event = InboundEvent.objects.get()
    pk = greenhouse.connection.pk
    assert client.get(f"/app/connections/{pk}/").status_code == 404
    assert client.post(f"/app/connections/{pk}/events/{event.pk}/replay/").status_code == 404
    assert (
        "Greenhouse"
        not in client.get("/app/connections/")
        .content.decode()
        .split("Connect an ATS")[0]
        .split('<h2 id="connections-h">')[1]
    )
