"""One seeker can never see or touch another's data: every URL pattern, generated.

The parameters come from the app's own urlpatterns, so a new URL is tested automatically;
a pattern whose arguments we don't know how to fill fails the test instead of being skipped.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import URLPattern, reverse

from heardback import clock
from heardback.seeker import mailimport, services
from heardback.seeker.models import (
    FollowUp,
    Interview,
    JobApplication,
    MailProposal,
    ProposalState,
    SavedJob,
)
from heardback.seeker.urls import urlpatterns

from .conftest import make_seeker

pytestmark = pytest.mark.django_db

PATTERNS = [p for p in urlpatterns if isinstance(p, URLPattern)]
# Links whose token is the key (the calendar feed, the address confirmation, the digest's
# signed unsubscribe link).
TOKEN_PATTERNS = {"calendar_feed", "email_confirm", "unsubscribe"}
OBJECT_PATTERNS = [p for p in PATTERNS if p.pattern.converters and p.name not in TOKEN_PATTERNS]
PLAIN_PATTERNS = [p for p in PATTERNS if not p.pattern.converters]
PUBLIC = {"signup", "login", "logout", *TOKEN_PATTERNS}
SECRET = "Zanzibar Widgets"  # the other seeker's company: must never show up


@pytest.fixture
def victim() -> dict[str, Any]:
    user = make_seeker()
    app = services.create_application(
        owner=user, company=SECRET, role="Secret Role", applied_on=date(2026, 11, 2)
    )
    interview = services.log_interview(
        owner=user, application_id=app.pk, held_on=date(2026, 11, 3),
        interesting_remark="a private remark",
    )  # fmt: skip
    follow_up = services.draft_follow_up(owner=user, application_id=app.pk)
    mailimport.import_messages(owner=user, messages=[(
        b"From: Zanzibar Widgets <jobs@zanzibar.example>\nSubject: Your application\n"
        b"Date: Wed, 04 Nov 2026 10:00:00 +0000\nMessage-ID: <z-1@zanzibar.example>\n\n"
        b"We regret to inform you that the Secret Role has been filled.\n"
    )])  # fmt: skip
    proposal = MailProposal.objects.get(owner=user)
    saved = SavedJob.objects.create(
        owner=user, url="https://zanzibar.example/jobs/1", title="Secret Role", company=SECRET,
        read_from="json-ld", created_at=clock.now(),
    )  # fmt: skip
    return {"user": user, "application_id": app.pk, "interview_id": interview.pk,
            "follow_up_id": follow_up.pk, "proposal_id": proposal.pk,
            "saved_id": saved.pk}  # fmt: skip


@pytest.mark.parametrize("pattern", OBJECT_PATTERNS, ids=lambda p: p.name)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_seekers_objects_are_404(
    client: Any, victim: dict[str, Any], pattern: URLPattern, method: str
) -> None:
    intruder = make_seeker()
    client.force_login(intruder)
    kwargs = {name: victim[name] for name in pattern.pattern.converters}
    url = reverse(f"seeker:{pattern.name}", kwargs=kwargs)
    data = {"status": "ghosted", "text": "hijacked", "company": "x", "role": "y",
            "applied_on": "2026-01-01", "held_on": "2026-01-01", "kind": "video"}  # fmt: skip
    response = getattr(client, method)(url, data)
    assert response.status_code in (404, 405), (url, response.status_code)
    if method == "get":
        assert response.status_code == 404 or pattern.name.endswith(
            (
                "_sent",
                "_new",
                "status",
                "news",
                "refresh",
                "paste",
                "_applied",
                "_delete",
                "_accept",
                "_dismiss",
            )
        )
    # Nothing of the victim's changed.
    app = JobApplication.objects.get(pk=victim["application_id"])
    assert app.status == "interviewing" and app.company == SECRET
    assert Interview.objects.get(pk=victim["interview_id"]).thank_you_sent_at is None
    follow_up = FollowUp.objects.get(pk=victim["follow_up_id"])
    assert follow_up.sent_at is None and follow_up.text != "hijacked"
    assert FollowUp.objects.filter(application_id=app.pk).count() == 1
    assert Interview.objects.filter(application_id=app.pk).count() == 1
    assert MailProposal.objects.get(pk=victim["proposal_id"]).state == ProposalState.PENDING
    assert SavedJob.objects.filter(pk=victim["saved_id"], application__isnull=True).exists()


@pytest.mark.parametrize("pattern", PLAIN_PATTERNS, ids=lambda p: p.name)
def test_lists_show_only_ones_own(client: Any, victim: dict[str, Any], pattern: URLPattern) -> None:
    intruder = make_seeker()
    client.force_login(intruder)
    response = client.get(reverse(f"seeker:{pattern.name}"))
    assert response.status_code in (200, 302, 405)
    assert SECRET.encode() not in response.content


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.name)
def test_signed_out_visitors_are_sent_to_sign_in(
    client: Any, victim: dict[str, Any], pattern: URLPattern
) -> None:
    if pattern.name in PUBLIC:
        return
    kwargs = {name: victim[name] for name in pattern.pattern.converters}
    response = client.get(reverse(f"seeker:{pattern.name}", kwargs=kwargs))
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response["Location"].startswith("/seeker/login/")


def test_every_object_pattern_uses_known_ids() -> None:
    known = {"application_id", "interview_id", "follow_up_id", "proposal_id", "saved_id"}
    for pattern in OBJECT_PATTERNS:
        assert set(pattern.pattern.converters) <= known, pattern.name
    assert len(OBJECT_PATTERNS) >= 12


def test_an_employer_login_is_not_a_seeker_account(client: Any) -> None:
    from django.contrib.auth import get_user_model

    employer = get_user_model().objects.create_user(
        username="boss@acme.test", email="boss@acme.test", password="x" * 20
    )
    client.force_login(employer)
    response = client.get("/seeker/")
    assert response.status_code == 302 and response["Location"].startswith("/seeker/login/")


def test_the_calendar_feed_needs_the_exact_token(client: Any, victim: dict[str, Any]) -> None:
    token = services.issue_calendar_token(owner=victim["user"])
    assert client.get(f"/seeker/calendar/{token}.ics").status_code == 200
    assert client.get(f"/seeker/calendar/{token[:-1]}x.ics").status_code == 404
    services.revoke_calendar_token(owner=victim["user"])
    assert client.get(f"/seeker/calendar/{token}.ics").status_code == 404
