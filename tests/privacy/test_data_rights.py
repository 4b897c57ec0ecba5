"""A candidate's data rights from the status page: the JSON export, the CV, an erasure
request, and the recruiters' side (the request, its legal-hold status, its deadline)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from heardback.hiring import services as hiring
from heardback.hiring.models import Candidate, Job, Member, Role
from heardback.messaging import delivery
from heardback.portal import tokens
from heardback.portal.forms import consent_label
from heardback.portal.views import form_key
from heardback.privacy import services
from heardback.privacy.models import ErasureRequest
from tests import factories
from tests.console.conftest import client_for
from tests.privacy.conftest import PDF

pytestmark = pytest.mark.django_db


def _download(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_download_my_data_and_my_cv(
    client: Client, job: Job, apply: Any, monday: Any, smtp_server: Any
) -> None:
    application = apply(job, name="Ada Lovelace", email="ada@example.net", content=PDF + b"ada")
    delivery.drain()
    token = tokens.issue_token(application)

    response = client.get(f"/s/{token}/my-data.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["candidate"]["name"] == "Ada Lovelace"
    assert data["candidate"]["email"] == "ada@example.net"
    (app,) = data["applications"]
    assert app["job"] == "Robot Whisperer" and app["status"] == "active"
    assert app["events"][0]["kind"] == "applied"
    assert app["messages"][0]["subject"].startswith("We received your application")
    (file,) = data["files"]

    for url in (file["download"], f"/s/{token}/my-data/cv/"):
        cv = client.get(url)
        assert cv.status_code == 200
        assert _download(cv) == PDF + b"ada"
        assert "attachment" in cv["Content-Disposition"]


def test_someone_elses_file_is_not_found(client: Client, job: Job, apply: Any) -> None:
    mine = apply(job, name="Ada Lovelace", email="ada@example.net")
    other = apply(job, name="Grace Hopper", email="grace@example.net")
    their_file = other.attachments.get()
    token = tokens.issue_token(mine)
    assert client.get(f"/s/{token}/my-data/files/{their_file.pk}/").status_code == 404


def test_staff_cannot_download_a_candidates_data_without_their_link(
    job: Job, recruiter: Member, apply: Any
) -> None:
    application = apply(job, name="Ada Lovelace", email="ada@example.net")
    admin = factories.make_member(org=job.org, role=Role.ADMIN)
    token = tokens.issue_token(application)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for member in (admin, recruiter):
        staff = client_for(member)
        for path in (
            f"/s/{tampered}/my-data.json",
            f"/s/{tampered}/my-data/cv/",
            f"/s/{tampered}/my-data/files/{application.attachments.get().pk}/",
            f"/s/{application.pk}/my-data.json",
        ):
            response = staff.get(path)
            assert response.status_code == 404, path
            assert b"Ada" not in response.content
        # The console has no export of its own: its pages don't offer one either.
        page = staff.get(f"/app/applications/{application.pk}/").content.decode()
        assert "my-data" not in page


def test_erasure_request_from_the_status_page_and_the_recruiters_answer(
    client: Client, job: Job, recruiter: Member, apply: Any, monday: Any, smtp_server: Any
) -> None:
    application = apply(job, name="Ada Lovelace", email="ada@example.net")
    token = tokens.issue_token(application)
    confirm = client.get(f"/s/{token}/erase/")
    assert confirm.status_code == 200
    assert b"Erase your personal data?" in confirm.content
    # Without the form key: refused, nothing recorded.
    assert client.post(f"/s/{token}/erase/", {"confirm": "yes"}).status_code == 403
    assert not ErasureRequest.objects.exists()
    done = client.post(f"/s/{token}/erase/", {"confirm": "yes", "form_key": form_key(token)})
    assert done.status_code == 302 and done["Location"].endswith("?done=erasure#top")
    page = client.get(f"/s/{token}/?done=erasure").content.decode()
    assert "We have received your request to erase your data." in page
    # Twice is the same request.
    client.post(f"/s/{token}/erase/", {"confirm": "yes", "form_key": form_key(token)})
    request = ErasureRequest.objects.get()
    assert request.answer_by == datetime(2026, 12, 30, 10, 0, tzinfo=UTC)  # one month

    staff = client_for(recruiter)
    listing = staff.get("/app/privacy/").content.decode()
    assert "Ada Lovelace" in listing and "30 Dec 2026" in listing and "30 days left" in listing
    assert "Still has an active application" in listing
    # Erasing is refused while the application is active: clear message, nothing changed.
    staff.post(f"/app/privacy/requests/{request.pk}/erase/")
    assert Candidate.objects.get(pk=application.candidate_id).name == "Ada Lovelace"
    assert "still has an active application" in staff.get("/app/privacy/").content.decode()

    hiring.withdraw(application=application)
    staff.post("/app/privacy/holds/", {"email": "ada@example.net", "reason": "Pending claim"})
    listing = staff.get("/app/privacy/").content.decode()
    assert "Yes: Pending claim" in listing
    staff.post(f"/app/privacy/requests/{request.pk}/erase/")
    assert Candidate.objects.get(pk=application.candidate_id).name == "Ada Lovelace"
    assert "A legal hold applies" in staff.get("/app/privacy/").content.decode()

    services.release_hold(hold=services.open_hold(application.candidate), actor=recruiter)  # type: ignore[arg-type]
    staff.post(f"/app/privacy/requests/{request.pk}/erase/")
    request.refresh_from_db()
    assert request.status == "erased" and request.answered_by
    assert Candidate.objects.get(pk=application.candidate_id).name == services.ERASED_NAME
    # Their link no longer opens anything.
    assert client.get(f"/s/{token}/my-data.json").status_code == 404


def test_overdue_requests_say_so(
    job: Job, recruiter: Member, apply: Any, monday: Any, time_machine: Any
) -> None:
    application = apply(job, name="Ada Lovelace", email="ada@example.net")
    services.request_erasure(application=application)
    time_machine.move_to(monday + timedelta(days=40), tick=False)
    assert "overdue" in client_for(recruiter).get("/app/privacy/").content.decode()


def test_other_orgs_requests_are_not_listed(job: Job, apply: Any) -> None:
    application = apply(job, name="Ada Lovelace", email="ada@example.net")
    request = services.request_erasure(application=application)
    other = factories.make_org(name="Elsewhere")
    outsider = client_for(factories.make_member(org=other, role=Role.ADMIN))
    assert "Ada Lovelace" not in outsider.get("/app/privacy/").content.decode()
    assert outsider.post(f"/app/privacy/requests/{request.pk}/erase/").status_code == 404
    request.refresh_from_db()
    assert request.status == "open"


def test_hiring_managers_do_not_see_data_requests(job: Job) -> None:
    manager = factories.make_member(org=job.org, role=Role.HIRING_MANAGER)
    assert client_for(manager).get("/app/privacy/").status_code == 403


def test_consent_text_states_the_policy(job: Job, recruiter: Member, client: Client) -> None:
    page = client.get(f"/jobs/{job.org.slug}/{job.slug}/").content.decode()
    assert "If I am not hired, my name, contact details and CV are erased 6 months" in page
    assert "deleted when the process is over" not in page
    services.set_policy(org=job.org, actor=recruiter, months_after_decision=1, include_hired=True)
    text = consent_label(job.org_id)
    assert "CV are erased 1 month after the final decision, unless a legal hold" in text
    assert "If I am not hired" not in text


def test_the_candidate_is_told_at_each_step_and_the_last_address_goes_once_sent(
    job: Job, recruiter: Member, apply: Any, monday: Any, smtp_server: Any
) -> None:
    from heardback.messaging.models import Message
    from heardback.privacy import retention
    from heardback.privacy.models import Anonymisation

    application = apply(job, name="Ada Lovelace", email="ada@example.net")
    hiring.withdraw(application=application)
    delivery.drain()
    request = services.request_erasure(application=application)
    services.request_erasure(application=application)  # asking twice: one email
    delivery.drain()
    (received,) = [m for m in smtp_server.to("ada@example.net") if "erase" in m.subject]
    assert received.subject == "We received your request to erase your data"
    assert "Hello Ada," in received.text
    assert "We will answer by Wednesday, 30 December 2026." in received.text

    # Refused while a hold lasts: told why, in the words the recruiter wrote.
    hold = services.place_hold(candidate=application.candidate, actor=recruiter, reason="Claim")
    with pytest.raises(ValidationError, match="Write the answer"):
        services.refuse_erasure(request=request, actor=recruiter, note=" ")
    services.refuse_erasure(
        request=request, actor=recruiter, note="A claim about this hiring is open."
    )
    delivery.drain()
    refusal = smtp_server.to("ada@example.net")[-1]
    assert refusal.subject == "Your request to erase your data"
    assert "for this reason: A claim about this hiring is open." in refusal.text

    # Asked again after the hold: erased, and told so at the address being erased.
    services.release_hold(hold=hold, actor=recruiter)
    again = services.request_erasure(application=application)
    services.carry_out_erasure(request=again, actor=recruiter)
    confirmation = Message.objects.get(kind="data_request", subject="Your data has been erased")
    assert confirmation.to_email == "ada@example.net"  # until it is sent
    assert retention.scrub_sent_confirmations(now=monday, limit=10) == 0  # not sent yet
    delivery.drain()
    sent = smtp_server.to("ada@example.net")[-1]
    assert sent.subject == "Your data has been erased" and "Hello Ada," in sent.text
    assert retention.scrub_sent_confirmations(now=monday, limit=10) == 1
    confirmation.refresh_from_db()
    assert confirmation.to_email.endswith("@erased.invalid") and confirmation.to_name == ""
    assert "Ada" not in confirmation.body_text and "[erased]" in confirmation.body_text
    assert "has erased your name" in confirmation.body_text  # the wording itself stays
    assert Anonymisation.objects.get().pending_message_id is None
    for message in Message.objects.filter(application_id=application.pk):
        assert "ada@example.net" not in message.to_email + message.body_text
