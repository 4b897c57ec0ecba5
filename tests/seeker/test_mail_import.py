"""Mail upload: .eml and .mbox files through the real view, proposals the seeker confirms.

The fixture mailboxes are real mbox files (tests/seeker/fixtures/mail); a 5,000-message
mbox is written for the streaming test. What a proposal keeps is checked against what the
page shows.
"""

from __future__ import annotations

import html
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from heardback.seeker import mailimport
from heardback.seeker.models import (
    Interview,
    JobApplication,
    MailKind,
    MailProposal,
    Note,
    ProposalState,
    Status,
)
from tests.bench.bench_mail import write_mbox

from . import mail_fixtures
from .conftest import make_seeker
from .test_mail_classification import tracked

pytestmark = pytest.mark.django_db


def upload(client: Any, name: str, data: bytes) -> Any:
    return client.post(
        reverse("seeker:mail_import"), {"file": SimpleUploadedFile(name, data)}, follow=True
    )


def by_key(owner: Any) -> dict[str, JobApplication]:
    keys = tracked(owner)
    return {key: JobApplication.objects.get(pk=pk) for pk, key in keys.items()}


def test_an_mbox_upload_proposes_updates_and_changes_nothing_until_confirmed(
    client: Any,
) -> None:
    owner = make_seeker()
    apps = by_key(owner)
    client.force_login(owner)
    before = {a.pk: (a.status, a.news_round) for a in JobApplication.objects.filter(owner=owner)}
    response = upload(client, "mail.mbox", mail_fixtures.mbox_path("en").read_bytes())
    assert response.status_code == 200
    proposals = MailProposal.objects.filter(owner=owner)
    expected = [f for f in mail_fixtures.load() if f.lang == "en" and f.label != "other"]
    assert proposals.count() == len(expected)
    n = len(expected)
    assert f"Read 25 messages: {n} new updates for you to check." in response.content.decode()
    # Nothing changed in the tracker yet.
    after = {a.pk: (a.status, a.news_round) for a in JobApplication.objects.filter(owner=owner)}
    assert after == before
    # The same file again proposes nothing new.
    response = upload(client, "mail.mbox", mail_fixtures.mbox_path("en").read_bytes())
    assert f"0 new updates for you to check, {n} already seen" in response.content.decode()
    assert MailProposal.objects.filter(owner=owner).count() == len(expected)
    assert apps["initech"].pk in set(proposals.values_list("application_id", flat=True))


def test_a_proposal_keeps_only_what_the_page_shows(client: Any) -> None:
    owner = make_seeker()
    by_key(owner)
    client.force_login(owner)
    upload(client, "mail.mbox", mail_fixtures.mbox_path("de").read_bytes())
    page = html.unescape(client.get(reverse("seeker:mail")).content.decode())
    for proposal in MailProposal.objects.filter(owner=owner):
        for shown in (proposal.subject, proposal.sender, proposal.excerpt):
            assert shown in page
        # The body is never stored: only the one sentence, which is part of it.
        assert len(proposal.excerpt) <= 300
    stored = " ".join(
        " ".join([p.subject, p.sender, p.excerpt, p.company, p.role, p.event_explained])
        for p in MailProposal.objects.filter(owner=owner)
    )
    assert "Mit freundlichen Grüßen" not in stored  # a body's closing line
    assert "Paketdienst" not in stored  # a message that isn't hiring mail


def test_accepting_each_kind_updates_the_tracker(client: Any) -> None:
    owner = make_seeker()
    apps = by_key(owner)
    client.force_login(owner)
    upload(client, "mail.mbox", mail_fixtures.mbox_path("en").read_bytes())

    def accept(subject: str, **data: Any) -> MailProposal:
        proposal = MailProposal.objects.get(owner=owner, subject=subject)
        response = client.post(
            reverse("seeker:proposal_accept", args=[proposal.pk]),
            {"application": proposal.application_id or 0, **data},
        )
        assert response.status_code == 302
        proposal.refresh_from_db()
        assert proposal.state == ProposalState.ACCEPTED
        return proposal

    # An interview invitation with a date: the interview is logged on that date.
    accept("Interview invitation - Backend Developer")
    interview = Interview.objects.get(application=apps["globex"])
    assert interview.held_on == date(2026, 11, 17)
    apps["globex"].refresh_from_db()
    assert apps["globex"].status == Status.INTERVIEWING
    # A promise after it: the promised date goes on that interview.
    accept("Re: Backend Developer - status")
    interview.refresh_from_db()
    assert interview.promised_on == date(2026, 12, 2)
    assert not interview.promise_assumed
    # A kind rejection.
    accept("Update on your application to Initech")
    apps["initech"].refresh_from_db()
    assert apps["initech"].status == Status.REJECTED
    assert apps["initech"].first_response_on == date(2026, 11, 23)
    # An offer.
    accept("Senior Data Analyst - offer")
    apps["northwind"].refresh_from_db()
    assert apps["northwind"].status == Status.OFFER
    # Unmatched hiring mail becomes a new application, linked to its live status page.
    accept("We received your application for Import/Export Analyst")
    new = JobApplication.objects.get(owner=owner, company="Vandelay Industries")
    assert new.role == "Import/Export Analyst"
    assert new.applied_on == date(2026, 11, 4)
    assert new.link == "https://jobs.vandelay.example/s/q2VwTz8LkX1m9aBcDeFgHiJk/"
    assert new.source == "email"
    # Every accepted email leaves its sentence as a note (where likely-no signs are read).
    assert Note.objects.filter(application=apps["initech"], text__contains="move forward").exists()


def test_the_seeker_can_correct_the_match_or_dismiss(client: Any) -> None:
    owner = make_seeker()
    apps = by_key(owner)
    client.force_login(owner)
    upload(client, "mail.mbox", mail_fixtures.mbox_path("es").read_bytes())
    proposal = MailProposal.objects.get(owner=owner, subject="Propuesta para ti")
    assert proposal.kind == MailKind.OFFER and proposal.application == apps["brisa"]
    client.post(
        reverse("seeker:proposal_accept", args=[proposal.pk]), {"application": apps["umbrella"].pk}
    )
    apps["umbrella"].refresh_from_db()
    apps["brisa"].refresh_from_db()
    assert apps["umbrella"].status == Status.OFFER and apps["brisa"].status == Status.APPLIED

    other = MailProposal.objects.filter(owner=owner, state=ProposalState.PENDING).first()
    assert other is not None
    client.post(reverse("seeker:proposal_dismiss", args=[other.pk]))
    other.refresh_from_db()
    assert other.state == ProposalState.DISMISSED and other.excerpt == ""
    # Dismissed stays dismissed: the same file again doesn't bring it back.
    upload(client, "mail.mbox", mail_fixtures.mbox_path("es").read_bytes())
    other.refresh_from_db()
    assert other.state == ProposalState.DISMISSED
    # And a decided proposal can't be accepted afterwards.
    response = client.post(reverse("seeker:proposal_accept", args=[other.pk]), follow=True)
    assert "already dealt with" in response.content.decode()


def test_another_seekers_proposal_is_not_found(client: Any) -> None:
    owner = make_seeker()
    by_key(owner)
    client.force_login(owner)
    upload(client, "mail.mbox", mail_fixtures.mbox_path("en").read_bytes())
    proposal = MailProposal.objects.filter(owner=owner).first()
    assert proposal is not None
    client.force_login(make_seeker())
    for name in ("seeker:proposal_accept", "seeker:proposal_dismiss"):
        assert client.post(reverse(name, args=[proposal.pk])).status_code == 404
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.PENDING


def test_a_single_eml_file(client: Any) -> None:
    owner = make_seeker()
    by_key(owner)
    client.force_login(owner)
    fixture = next(f for f in mail_fixtures.load() if f.subject == "Absage - Teamleiter Lager")
    response = upload(client, "absage.eml", fixture.raw)
    assert "Read 1 message: 1 new update" in response.content.decode()
    proposal = MailProposal.objects.get(owner=owner)
    assert proposal.kind == MailKind.REJECTION and proposal.application.company.startswith("Stark")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.mbox", b"hello, this is not a mailbox\n", "That file isn't an mbox"),
        ("photo.eml", b"\x89PNG\r\n\x1a\n" + bytes(200), "doesn't look like an email"),
        ("empty.eml", b"", "The submitted file is empty."),
    ],
)
def test_a_file_that_isnt_mail_is_refused_clearly(
    client: Any, name: str, data: bytes, message: str
) -> None:
    owner = make_seeker()
    client.force_login(owner)
    response = client.post(reverse("seeker:mail_import"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not MailProposal.objects.filter(owner=owner).exists()


def test_a_5000_message_mbox_is_streamed(client: Any, tmp_path: Path) -> None:
    """Read one message at a time: the import never holds the file, and every message is
    counted (the timing and peak memory are the benchmark's: tests/bench/bench_mail.py)."""
    owner = make_seeker()
    by_key(owner)
    path = tmp_path / "big.mbox"
    write_mbox(path, 5000, mail_fixtures.load())
    seen = 0
    with path.open("rb") as stream:
        for raw in mailimport.iter_mbox(stream):
            seen += 1
            assert len(raw) <= mailimport.MAX_MESSAGE_BYTES + 1000
            assert raw.startswith(b"From: ")  # the separator line is not part of a message
    assert seen == 5000
    client.force_login(owner)
    with path.open("rb") as stream:
        response = client.post(reverse("seeker:mail_import"), {"file": stream}, follow=True)
    assert "Read 5000 messages:" in response.content.decode()
    proposals = MailProposal.objects.filter(owner=owner)
    # The hiring copies (8%, each with its own Message-ID) and nothing else.
    assert 300 < proposals.count() < 500
    assert not proposals.filter(subject__startswith="Your week in tech").exists()


def test_mboxrd_quoting_is_undone() -> None:
    raw = (
        b"From a@b Mon Nov 16 08:00:00 2026\nFrom: x@acme.de\nSubject: hi\n\n"
        b">From the team: thanks\n\nFrom b@c Mon Nov 16 08:00:00 2026\nFrom: y@acme.de\n\nz\n"
    )
    messages = list(mailimport.iter_mbox(io.BytesIO(raw)))
    assert len(messages) == 2
    assert b"\nFrom the team: thanks\n" in messages[0]


def test_a_status_page_link_in_an_email_links_the_application_to_its_live_status(
    client: Any,
) -> None:
    """The link is followed by the companion's own status reader: a real HTTP server."""
    from heardback.seeker.refresh import refresh_employer_statuses

    from .test_status_feed import STATUS, StatusServer

    owner = make_seeker()
    apps = by_key(owner)
    status_server = StatusServer()
    status_server.thread.start()
    try:
        token = "Zx81QpLm0aBcDeFgHiJkLmNo"
        status_server.serve(f"/s/{token}.json", STATUS)
        email = (
            "From: Jana Keller <talent@acme.de>\nTo: robin@example.org\n"
            "Subject: Your application: follow it live\nDate: Tue, 03 Nov 2026 10:00:00 +0100\n"
            "Message-ID: <live-1@acme.de>\nContent-Type: text/plain; charset=utf-8\n\n"
            "Hi Robin,\n\nthank you for applying for the Platform Engineer role. We have "
            "received your application.\nYou can see where it stands at any time here:\n"
            f"{status_server.base}/s/{token}/\n\nJana\n"
        ).encode()
        client.force_login(owner)
        upload(client, "live.eml", email)
        acme = apps["acme"]
        acme.refresh_from_db()
        # Linked at once (the seeker sees it on the proposal), read by the next round.
        assert acme.link == f"{status_server.base}/s/{token}/"
        assert acme.employer_checked_at is None
        assert refresh_employer_statuses(now=datetime.now(UTC), limit=10) == 1
        acme.refresh_from_db()
        assert acme.employer_stage == "in_review" and acme.employer_error == ""
        assert status_server.hits == [f"/s/{token}.json"]
        page = client.get(reverse("seeker:mail")).content.decode()
        assert "your application now follows it" in page
    finally:
        status_server.server.shutdown()
        status_server.server.server_close()
