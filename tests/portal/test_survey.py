"""The post-decision survey: after the final message, never before, once per 6 months."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Job, Member, Org
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.portal import selectors, survey, tokens
from heardback.portal.models import SurveyInvitation, SurveyResponse
from heardback.portal.views import form_key
from tests import factories
from tests.portal.conftest import token_from


def _declined(
    job: Job, recruiter: Member, email: str = "sam@example.net", **extra: Any
) -> Application:
    application = factories.make_application(job=job, email=email, **extra)
    return hiring.decline(application=application, reason="other_candidate", actor=recruiter)


def _step(now: Any) -> int:
    return survey.send_survey_invitations(now=now, limit=50)


def test_invites_three_days_after_the_final_message_once(
    job: Job, recruiter: Member, monday: Any, time_machine: Any, smtp_server: Any
) -> None:
    application = _declined(job, recruiter)
    delivery.drain()
    assert _step(monday + timedelta(days=2, hours=23)) == 0
    time_machine.move_to(monday + timedelta(days=3, minutes=1), tick=False)
    assert _step(monday + timedelta(days=3, minutes=1)) == 1
    assert _step(monday + timedelta(days=3, minutes=2)) == 0
    delivery.drain()
    mail = smtp_server.to("sam@example.net")[-1]
    assert mail.subject == "Three quick questions about applying to Acme Robotics"
    assert "#survey" in mail.text
    invitation = SurveyInvitation.objects.get(application=application)
    assert Message.objects.get(pk=invitation.message_id).kind == "survey"


def test_never_before_the_final_message_was_sent(job: Job, recruiter: Member, monday: Any) -> None:
    _declined(job, recruiter)  # the decline is queued, not yet delivered
    assert _step(monday + timedelta(days=10)) == 0
    assert not SurveyInvitation.objects.exists()


def test_at_most_once_per_six_months_per_address(
    job: Job, recruiter: Member, monday: Any, time_machine: Any, smtp_server: Any
) -> None:
    _declined(job, recruiter)
    delivery.drain()
    assert _step(monday + timedelta(days=4)) == 1
    # The same person applies elsewhere (another employer, even) two months later.
    other_org = factories.make_org(name="Beta GmbH")
    other_job = factories.make_job(org=other_org, title="Tester")
    other_recruiter = factories.make_member(org=other_org)
    time_machine.move_to(monday + timedelta(days=60), tick=False)
    _declined(other_job, other_recruiter, email="SAM@example.net")
    delivery.drain()
    assert _step(monday + timedelta(days=64)) == 0
    # Seven months after the first invitation, a new decision may be asked about again.
    time_machine.move_to(monday + timedelta(days=200), tick=False)
    third = factories.make_job(org=other_org, title="Lead Tester", owner=other_recruiter)
    _declined(third, other_recruiter, email="sam@example.net")
    delivery.drain()
    assert _step(monday + timedelta(days=204)) == 1
    assert SurveyInvitation.objects.count() == 2


def test_no_survey_for_people_who_opted_out(
    job: Job, recruiter: Member, monday: Any, smtp_server: Any
) -> None:
    application = factories.make_application(job=job, email="quiet@example.net")
    hiring_candidate = application.candidate
    hiring_candidate.progress_updates_opt_out = True
    hiring_candidate.save()
    hiring.decline(application=application, reason="experience", actor=recruiter)
    delivery.drain()
    assert _step(monday + timedelta(days=5)) == 0


def test_two_schedulers_cannot_invite_twice(
    job: Job, recruiter: Member, monday: Any, smtp_server: Any
) -> None:
    application = _declined(job, recruiter)
    delivery.drain()
    now = monday + timedelta(days=4)
    assert survey.invite(application, now=now) is True
    assert survey.invite(application, now=now) is False
    assert SurveyInvitation.objects.count() == 1
    assert Message.objects.filter(kind="survey").count() == 1


def test_answering_the_survey_from_the_status_page(
    client: Client,
    job: Job,
    recruiter: Member,
    monday: Any,
    smtp_server: Any,
    time_machine: Any,
) -> None:
    application = _declined(job, recruiter, language="de")
    delivery.drain()
    time_machine.move_to(monday + timedelta(days=4), tick=False)
    _step(monday + timedelta(days=4))
    delivery.drain()
    mail = smtp_server.to("sam@example.net")[-1]
    assert mail.subject == "Drei kurze Fragen zu Ihrer Bewerbung bei Acme Robotics"
    token = token_from(mail.text)
    page = client.get(f"/s/{token}/").content.decode()
    assert 'id="survey"' in page and "Haben wir unsere Zusagen eingehalten" in page
    bad = client.post(
        f"/s/{token}/",
        {
            "form_key": form_key(token),
            "action": "survey",
            "kept_promises": "maybe",
            "clarity": "9",
            "nps": "11",
        },
    )
    assert bad.status_code == 400
    assert not SurveyResponse.objects.exists()
    answers = {
        "form_key": form_key(token),
        "action": "survey",
        "kept_promises": "mostly",
        "clarity": "4",
        "treated_with_respect": "5",
        "nps": "9",
        "comment": "Quick and kind.",
    }
    assert client.post(f"/s/{token}/", answers).status_code == 302
    response = SurveyResponse.objects.get()
    assert (response.kept_promises, response.clarity, response.nps) == ("mostly", 4, 9)
    assert response.invitation.application == application
    again = client.get(f"/s/{token}/").content.decode()
    assert 'id="survey"' not in again
    client.post(f"/s/{token}/", answers)
    assert SurveyResponse.objects.count() == 1


def test_survey_summary_withholds_small_numbers(
    org: Org, job: Job, recruiter: Member, monday: Any, smtp_server: Any
) -> None:
    for n in range(10):
        application = _declined(job, recruiter, email=f"p{n}@example.net")
        delivery.drain()
        survey.invite(application, now=monday)
        token = tokens.issue_token(application)
        Client().post(
            f"/s/{token}/",
            {
                "form_key": form_key(token),
                "action": "survey",
                "kept_promises": "yes" if n < 7 else "no",
                "clarity": "5",
                "treated_with_respect": "4",
                "nps": str(n + 1),
            },
        )
        summary = selectors.survey_summary(org=org, since=monday - timedelta(days=1))
        assert summary.answered == n + 1
        if n < 9:
            assert summary.nps is None
    # nps answers 1..10: promoters 9, 10 (2); detractors 1..6 (6): (2 - 6) / 10 = -40.
    assert summary.nps == -40
    assert summary.kept_promises == {"yes": 7, "mostly": 0, "no": 3}
    assert summary.average_clarity == 5


def test_the_step_reads_only_what_is_due(
    job: Job,
    recruiter: Member,
    monday: Any,
    time_machine: Any,
    smtp_server: Any,
    on_postgres: bool,
) -> None:
    """After a big batch of decisions has been dealt with, a round reads only the newly
    due applications, through the partial index, not every decided application."""
    for n in range(12):
        _declined(job, recruiter, email=f"done{n}@example.net")
    delivery.drain()
    time_machine.move_to(monday + timedelta(days=4), tick=False)
    assert _step(monday + timedelta(days=4)) == 12
    assert not Application.objects.filter(survey_due_at__isnull=False).exists()
    fresh = [_declined(job, recruiter, email=f"fresh{n}@example.net") for n in range(2)]
    delivery.drain()
    later = monday + timedelta(days=8)
    time_machine.move_to(later, tick=False)

    looked_at: list[int] = []
    verdict = survey._verdict

    def counting(application: Application, *, now: Any) -> Any:
        looked_at.append(application.pk)
        return verdict(application, now=now)

    with (
        mock.patch.object(survey, "_verdict", counting),
        CaptureQueriesContext(connection) as queries,
    ):
        assert _step(later) == 2
    assert sorted(looked_at) == sorted(a.pk for a in fresh)
    [selection] = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "hiring_application"' in q["sql"]
    ]
    assert '"hiring_application"."survey_due_at" <=' in selection
    # And the database reads it from the partial index (on PostgreSQL with sequential scans
    # priced out, as they are on a table of real size rather than this tiny one).
    sql, params = survey.due(now=later).query.sql_with_params()
    with connection.cursor() as cursor:
        if on_postgres:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert "application_survey_due" in plan, plan


def test_a_due_application_is_looked_at_again_only_when_there_is_reason_to(
    job: Job, recruiter: Member, monday: Any, time_machine: Any, smtp_server: Any
) -> None:
    application = _declined(job, recruiter)
    assert application.survey_due_at == monday + timedelta(days=3)
    # Due, but the final message has not gone out: looked at again in an hour, not sooner.
    assert _step(monday + timedelta(days=3)) == 0
    application.refresh_from_db()
    assert application.survey_due_at == monday + timedelta(days=3) + survey.LOOK_AGAIN
    # Sent a day later than decided: due three days after it went out.
    time_machine.move_to(monday + timedelta(days=4), tick=False)
    delivery.drain()
    assert _step(monday + timedelta(days=4)) == 0
    application.refresh_from_db()
    assert application.survey_due_at == monday + timedelta(days=7)
    assert _step(monday + timedelta(days=7)) == 1
    application.refresh_from_db()
    assert application.survey_due_at is None
