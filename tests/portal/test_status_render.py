"""The status page's skeletons (portal/status_render.py) give exactly the page a full render
gives: same bytes and headers, in every language and state, with hostile text escaped, and
nothing of one candidate ever shown to another.

The full render is what DEBUG uses, so each page is fetched twice: DEBUG off (skeleton) and
DEBUG on (full render of the same template).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Job, Member
from heardback.portal import status_render, tokens
from heardback.portal.models import SurveyInvitation
from heardback.portal.views import form_key
from tests import factories

HEADERS = (
    "Content-Type",
    "Content-Language",
    "Content-Security-Policy",
    "Referrer-Policy",
    "Cache-Control",
    "X-Robots-Tag",
    "X-Frame-Options",
    "Vary",
)


@pytest.fixture(autouse=True)
def no_page_cache(settings: Any) -> None:
    settings.PORTAL_STATUS_CACHE_SECONDS = 0


def _both(client: Client, settings: Any, path: str) -> tuple[Any, Any]:
    settings.DEBUG = False
    fast = client.get(path)
    settings.DEBUG = True
    full = client.get(path)
    settings.DEBUG = False
    return fast, full


def _same(fast: Any, full: Any) -> str:
    assert fast.status_code == full.status_code == 200
    html = fast.content.decode()
    assert html == full.content.decode()
    for name in HEADERS:
        assert fast.get(name) == full.get(name), name
    assert "\ue000" not in html and "\ue001" not in html
    return html


@pytest.mark.parametrize("language", ["en", "de", "es", "fr"])
@pytest.mark.parametrize("done", ["", "withdrawn", "contact", "opted_out", "survey", "bogus"])
def test_an_active_application_in_every_language_and_notice(
    client: Client,
    settings: Any,
    job: Job,
    recruiter: Member,
    monday: Any,
    language: str,
    done: str,
) -> None:
    application = factories.make_application(
        job=job, name="Ada Lovelace", email="ada@example.net", language=language
    )
    application = hiring.advance(application=application, actor=recruiter)
    token = tokens.issue_token(application)
    query = f"?done={done}" if done else ""
    html = _same(*_both(client, settings, f"/s/{token}/{query}"))
    assert f'lang="{language}"' in html and "ada@example.net" in html


def test_hostile_text_is_escaped_the_same_way(
    client: Client, settings: Any, org: Any, recruiter: Member, monday: Any
) -> None:
    job = factories.make_job(org=org, title="<script>alert(\"x\")</script> & 'Co'", owner=recruiter)
    application = factories.make_application(
        job=job, name="Eve", email="o'neil&co@example.net", phone='+49 "30" <1>'
    )
    token = tokens.issue_token(application)
    html = _same(*_both(client, settings, f"/s/{token}/"))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;Co&#x27;" in html
    assert 'value="o&#x27;neil&amp;co@example.net"' in html


def test_ended_opted_out_unreachable_and_survey_states(
    client: Client, settings: Any, job: Job, recruiter: Member, monday: Any
) -> None:
    application = factories.make_application(job=job, name="Sam", email="sam@example.net")
    candidate = application.candidate
    candidate.progress_updates_opt_out = True
    candidate.unreachable_since = monday
    candidate.save()
    token = tokens.issue_token(application)
    html = _same(*_both(client, settings, f"/s/{token}/"))
    assert "You asked us not to send progress updates" in html
    hiring.withdraw(application=application)
    _same(*_both(client, settings, f"/s/{token}/"))
    SurveyInvitation.objects.create(
        org_id=application.org_id,
        application=application,
        email="sam@example.net",
        created_at=monday,
    )
    html = _same(*_both(client, settings, f"/s/{token}/"))
    assert 'id="survey"' in html


def test_two_candidates_with_the_same_shape_never_see_each_others_details(
    client: Client, settings: Any, job: Job, monday: Any
) -> None:
    status_render.skeleton.cache_clear()
    first = factories.make_application(job=job, name="Ada", email="ada@example.net")
    second = factories.make_application(job=job, name="Bob", email="bob@example.net")
    first_token, second_token = tokens.issue_token(first), tokens.issue_token(second)
    client.get(f"/s/{first_token}/")
    html = _same(*_both(client, settings, f"/s/{second_token}/"))
    # One skeleton served both pages.
    assert status_render.skeleton.cache_info().currsize == 1
    assert "bob@example.net" in html and second_token in html and form_key(second_token) in html
    assert "ada@example.net" not in html and first_token not in html


def test_a_failed_contact_update_is_rendered_in_full_with_its_errors(
    client: Client, job: Job, monday: Any
) -> None:
    application: Application = factories.make_application(
        job=job, name="Ada", email="ada@example.net"
    )
    token = tokens.issue_token(application)
    response = client.post(
        f"/s/{token}/",
        {
            "form_key": form_key(token),
            "action": "contact",
            "email": "not an address",
            "phone": "",
            "language": "de",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="not an address"' in html
    assert '<option value="de" selected>' in html
    assert "Please enter a valid email address" in html
