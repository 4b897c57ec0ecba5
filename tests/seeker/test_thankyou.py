"""The thank-you draft has the six parts; the checker notices each one missing in turn."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from heardback.seeker import services, thankyou
from heardback.seeker.models import Interview

from .conftest import make_seeker, profile_of

pytestmark = pytest.mark.django_db

REMARK = "Their billing system is rebuilt in small, reversible steps"


@pytest.fixture
def logged() -> tuple[Any, Interview]:
    user = make_seeker()
    app = services.create_application(
        owner=user, company="Acme", role="Platform Engineer", applied_on=date(2026, 11, 2),
        contact_name="Jo Bloggs", contact_email="jo@acme.test",
    )  # fmt: skip
    interview = services.log_interview(
        owner=user, application_id=app.pk, held_on=date(2026, 11, 25), interviewers="Sam Lee",
        interesting_remark=REMARK, promise_phrase="within two weeks",
    )  # fmt: skip
    return user, interview


def present(user: Any, interview: Interview, text: str) -> dict[str, bool]:
    checks = thankyou.check(text=text, profile=profile_of(user), interview=interview)
    return {c.key: c.present for c in checks}


def test_the_draft_is_ready_at_once_with_all_six_parts(logged: tuple[Any, Interview]) -> None:
    user, interview = logged
    draft = interview.thank_you_text
    assert draft.startswith("Dear Sam,")
    assert "I would bring ten years of Python, leading small teams and payments systems." in draft
    assert "billing system" in draft
    assert present(user, interview, draft) == {key: True for key, _ in thankyou.PARTS}


# The draft's paragraph that carries each part; removing it must make the checker say so.
PART_LINES = {
    "thanks": "Thank you for taking the time",
    "interest": "even more interested",
    "qualifications": "In brief, I would bring",
    "remark": "something you said",
    "looking_forward": "I look forward",
    "contact": "@example.org",
}


@pytest.mark.parametrize("missing", list(PART_LINES))
def test_each_part_missing_in_turn_is_reported(logged: tuple[Any, Interview], missing: str) -> None:
    user, interview = logged
    lines = interview.thank_you_text.splitlines()
    edited = "\n".join(
        line for line in lines
        if PART_LINES[missing] not in line and not (missing == "contact" and line.startswith("+"))
    )  # fmt: skip
    assert edited != interview.thank_you_text
    result = present(user, interview, edited)
    assert result[missing] is False
    assert all(result[key] for key in result if key != missing), result


def test_placeholders_do_not_count_as_content() -> None:
    user = make_seeker(qualifications="")
    app = services.create_application(
        owner=user, company="Acme", role="Engineer", applied_on=date(2026, 11, 2)
    )
    interview = services.log_interview(owner=user, application_id=app.pk,
                                       held_on=date(2026, 11, 25))  # fmt: skip
    result = present(user, interview, interview.thank_you_text)
    assert "[" in interview.thank_you_text
    assert result["qualifications"] is False and result["remark"] is False


def test_the_checker_reads_the_seekers_own_words(logged: tuple[Any, Interview]) -> None:
    user, interview = logged
    own = (
        "Hi Sam, thanks so much for today! I'm really excited about the role. With my "
        "payments systems background I think I'd fit. Your point about the billing system "
        "being rebuilt in reversible steps stuck with me. Hope to hear from you soon. "
        "Robin, +49 30 1234567"
    )
    assert present(user, interview, own) == {key: True for key, _ in thankyou.PARTS}


def test_mailto_link_carries_subject_and_body() -> None:
    link = thankyou.mailto(to="jo@acme.test", subject="Thank you: Engineer", body="Hi & bye\n")
    assert link == "mailto:jo@acme.test?subject=Thank%20you%3A%20Engineer&body=Hi%20%26%20bye%0A"


def test_saving_an_edit_and_marking_sent(logged: tuple[Any, Interview], client: Any) -> None:
    user, interview = logged
    client.force_login(user)
    url = f"/seeker/interviews/{interview.pk}/thank-you/"
    response = client.post(url, {"text": "Thank you, Sam.\r\nRobin"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Thank you, Sam." in page
    assert page.count("missing</strong>") == 5  # only the thanks is left
    interview.refresh_from_db()
    assert interview.thank_you_sent_at is None  # never sent by us
    client.post(f"/seeker/interviews/{interview.pk}/thank-you/sent/")
    interview.refresh_from_db()
    assert interview.thank_you_sent_at is not None


def test_a_misread_promise_can_be_corrected(logged: tuple[Any, Interview], client: Any) -> None:
    user, interview = logged
    client.force_login(user)
    url = f"/seeker/interviews/{interview.pk}/edit/"
    form = client.get(url).content.decode()
    assert 'value="within two weeks"' in form
    fields = {"held_on": "2026-11-25", "kind": "video", "interviewers": "Sam Lee",
              "interesting_remark": REMARK}  # fmt: skip
    page = client.post(url, {**fields, "promise_phrase": "whenever"}).content.decode()
    assert "couldn&#x27;t read" in page
    interview.refresh_from_db()
    assert interview.promised_on == date(2026, 12, 9)  # unchanged by the bad attempt
    response = client.post(url, {**fields, "promise_phrase": "by Friday"})
    assert response.status_code == 302
    interview.refresh_from_db()
    assert interview.promised_on == date(2026, 11, 27)
    assert interview.thank_you_text.startswith("Dear Sam,")  # the note is kept
