"""The status page: what the candidate sees and can do, over real HTTP through Django."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client

from heardback.hiring import services as hiring
from heardback.hiring.models import Application, ApplicationStatus, Event, Job, Member
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.portal import tokens
from heardback.portal.views import form_key
from tests import factories
from tests.portal.conftest import token_from


def _apply(job: Job, **extra: Any) -> Application:
    return factories.make_application(
        job=job, name="Ada Lovelace", email="ada@example.net", **extra
    )


def test_acknowledgement_links_to_a_status_page_with_stage_and_date(
    client: Client, job: Job, monday: Any, smtp_server: Any
) -> None:
    _apply(job)
    delivery.drain()
    (mail,) = smtp_server.to("ada@example.net")
    token = token_from(mail.text)
    response = client.get(f"/s/{token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Robot Whisperer" in html and "Acme Robotics" in html
    # Applied Monday 30 Nov; 5 business days in Berlin: Monday 7 December 2026.
    assert "You'll hear from us by Monday, 7 December 2026." in html
    assert 'aria-current="step"' in html
    assert "We received your application for Robot Whisperer" in html
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in html


def test_stage_changes_show_on_the_progress_line(
    client: Client, job: Job, recruiter: Member, monday: Any
) -> None:
    application = _apply(job)
    application = hiring.advance(application=application, actor=recruiter)  # In review
    application = hiring.advance(application=application, actor=recruiter)  # In review
    application = hiring.advance(application=application, actor=recruiter)  # Interview
    token = tokens.issue_token(application)
    html = client.get(f"/s/{token}/").content.decode()
    assert (
        'step-current" aria-current="step"><span class="dot" aria-hidden="true"></span>'
        '<span class="label">Interview' in html
    )
    assert html.count("step-done") == 2
    data = client.get(f"/s/{token}.json").json()
    assert data["stage"] == "interview"
    assert [s["state"] for s in data["stages"]] == [
        "done",
        "done",
        "current",
        "upcoming",
        "upcoming",
    ]
    assert data["respond_by"].startswith("2026-12-09")  # 7 business days from Monday 30 Nov
    assert [m["kind"] for m in data["messages"]] == [
        "acknowledgement",
        "stage_update",
        "stage_update",
    ]


def test_withdraw_needs_confirmation_then_tells_the_candidate(
    client: Client, job: Job, monday: Any
) -> None:
    application = _apply(job)
    token = tokens.issue_token(application)
    confirm = client.post(f"/s/{token}/", {"form_key": form_key(token), "action": "withdraw"})
    assert confirm.status_code == 200
    assert "Withdraw your application?" in confirm.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACTIVE
    done = client.post(
        f"/s/{token}/", {"form_key": form_key(token), "action": "withdraw", "confirm": "yes"}
    )
    assert done.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert Message.objects.filter(application_id=application.pk, kind="withdrawn").count() == 1
    page = client.get(done["Location"]).content.decode()
    assert "You withdrew this application" in page
    assert "Withdraw my application" not in page
    # A second (double-clicked) confirmation changes nothing and sends nothing.
    client.post(
        f"/s/{token}/", {"form_key": form_key(token), "action": "withdraw", "confirm": "yes"}
    )
    assert Message.objects.filter(application_id=application.pk, kind="withdrawn").count() == 1


def test_contact_update_clears_unreachable_and_is_recorded(
    client: Client, job: Job, monday: Any
) -> None:
    application = _apply(job)
    candidate = application.candidate
    candidate.unreachable_since = monday
    candidate.save()
    token = tokens.issue_token(application)
    assert "could not be delivered" in client.get(f"/s/{token}/").content.decode()
    response = client.post(
        f"/s/{token}/",
        {
            "form_key": form_key(token),
            "action": "contact",
            "email": "ada@newmail.example",
            "phone": "+44 20 7946 0000",
            "language": "de",
        },
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.email == "ada@newmail.example"
    assert candidate.phone == "+44 20 7946 0000"
    assert candidate.language == "de"
    assert candidate.unreachable_since is None
    event = Event.objects.get(application=application, kind="contact_updated")
    assert event.data["fields"] == ["email", "reachable", "phone", "language"]


def test_bad_contact_update_changes_nothing(client: Client, job: Job, monday: Any) -> None:
    application = _apply(job)
    token = tokens.issue_token(application)
    response = client.post(
        f"/s/{token}/",
        {
            "form_key": form_key(token),
            "action": "contact",
            "email": "not an address\r\nBcc: x@y.z",
            "phone": "<script>",
            "language": "en",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "valid email address" in html and "digits, spaces" in html
    application.candidate.refresh_from_db()
    assert application.candidate.email == "ada@example.net"


def test_opting_out_stops_progress_updates_but_not_the_decision(
    client: Client, job: Job, recruiter: Member, monday: Any
) -> None:
    application = _apply(job)
    token = tokens.issue_token(application)
    client.post(
        f"/s/{token}/", {"form_key": form_key(token), "action": "updates", "opt_out": "yes"}
    )
    application.candidate.refresh_from_db()
    assert application.candidate.progress_updates_opt_out
    application = hiring.advance(application=application, actor=recruiter)
    hiring.decline(application=application, reason="other_candidate", actor=recruiter)
    kinds = list(
        Message.objects.filter(application_id=application.pk)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["acknowledgement", "decline"]
    page = client.get(f"/s/{token}/").content.decode()
    assert "This application is closed" in page


def test_calendar_feed_has_the_respond_by_date(client: Client, job: Job, monday: Any) -> None:
    application = _apply(job)
    token = tokens.issue_token(application)
    response = client.get(f"/s/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "BEGIN:VEVENT" in body
    assert "DTEND;TZID=UTC:20261207T160000" in body or "DTEND:20261207T160000Z" in body
    assert token not in body


def test_actions_without_the_form_key_are_refused(client: Client, job: Job, monday: Any) -> None:
    """Another site can't make the candidate's browser act: every POST needs the form key."""
    application = _apply(job)
    token = tokens.issue_token(application)
    other = tokens.issue_token(factories.make_application(job=job))
    for key in ("", "0" * 64, form_key(other)):
        response = client.post(
            f"/s/{token}/", {"form_key": key, "action": "withdraw", "confirm": "yes"}
        )
        assert response.status_code == 403
        assert "nothing has changed" in response.content.decode()
        assert response["Referrer-Policy"] == "no-referrer"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACTIVE
    page = client.get(f"/s/{token}/").content.decode()
    assert f'name="form_key" value="{form_key(token)}"' in page
    assert token not in form_key(token)


def test_the_page_cache_is_short_and_the_candidates_own_changes_show_at_once(
    client: Client, job: Job, recruiter: Member, monday: Any, time_machine: Any, settings: Any
) -> None:
    settings.PORTAL_STATUS_CACHE_SECONDS = 5
    application = _apply(job)
    token = tokens.issue_token(application)
    assert "Received (current stage)" in _text(client.get(f"/s/{token}/"))
    hiring.advance(application=application, actor=recruiter)
    # A recruiter's change shows within the cache's few seconds...
    assert "Received (current stage)" in _text(client.get(f"/s/{token}/"))
    time_machine.move_to(monday + timedelta(seconds=6), tick=False)
    page = _text(client.get(f"/s/{token}/"))
    assert "In review (current stage)" in page
    # ...and the candidate's own change at once.
    client.post(
        f"/s/{token}/", {"form_key": form_key(token), "action": "updates", "opt_out": "yes"}
    )
    assert "You asked us not to send progress updates" in _text(client.get(f"/s/{token}/"))
    # A revoked link stops working at once, cache or not.
    tokens.revoke_all(application)
    assert client.get(f"/s/{token}/").status_code == 404


def _text(response: Any) -> str:
    import re

    return re.sub(r"<[^>]+>", "", response.content.decode())
