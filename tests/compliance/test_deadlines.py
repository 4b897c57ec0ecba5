"""The legal deadline, case by case: who is owed an answer, by when, and what counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from heardback.compliance import services
from heardback.compliance.models import AnswerDuty, InterviewKind
from heardback.compliance.profiles import PROFILES, profile_for
from heardback.compliance.watchdog import keep_answer_duties
from heardback.hiring import services as hiring
from heardback.hiring.models import DeclineReason, Role
from heardback.messaging.models import Message
from tests.compliance.helpers import ontario_org, run_clock
from tests.factories import make_application, make_job, make_member, make_org

pytestmark = pytest.mark.django_db

# 10:00 in Toronto on Monday 2 March 2026 (EST, UTC-5).
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def interview(application, at, *, counts=True, kind=InterviewKind.VIDEO):
    created, _new = services.log_interview(
        application=application,
        starts_at=at,
        kind=kind,
        interviewers="Ada, Grace",
        counts=counts,
        source="console",
        recorded_by="test",
    )
    return created


def duty_of(application):
    return AnswerDuty.objects.filter(application=application).first()


def check_compliance() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("check_compliance", stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_one_interview_deadline_is_the_end_of_day_45_in_toronto() -> None:
    with time_machine.travel(START, tick=False):
        org = ontario_org()
        application = make_application(job=make_job(org=org))
        interview(application, START)
        duty = duty_of(application)
        # 2 March + 45 days = 16 April (EDT by then, UTC-4): ends at 04:00 UTC on the 17th.
        assert duty.due_at == datetime(2026, 4, 17, 4, 0, tzinfo=UTC)
        assert duty.profile_key == "ontario-esa-2026"
        assert duty.answered_at is None


def test_several_interviews_the_clock_restarts_and_a_cancellation_moves_it_back() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = ontario_org()
        application = make_application(job=make_job(org=org))
        interview(application, START)
        first_due = duty_of(application).due_at
        traveller.move_to(START + timedelta(days=10))
        second = interview(application, START + timedelta(days=10))
        assert duty_of(application).due_at == first_due + timedelta(days=10)
        services.cancel_interview(interview=second, actor=None, recorded_by="test")
        assert duty_of(application).due_at == first_due


def test_a_screen_marked_not_counting_starts_no_clock() -> None:
    with time_machine.travel(START, tick=False):
        org = ontario_org()
        application = make_application(job=make_job(org=org))
        interview(application, START, counts=False, kind=InterviewKind.SCREEN)
        assert duty_of(application) is None
        interview(application, START + timedelta(hours=2))
        assert duty_of(application).last_interview_at == START + timedelta(hours=2)


def test_an_employer_under_25_owes_nothing_and_the_count_at_posting_is_what_matters() -> None:
    with time_machine.travel(START, tick=False):
        small = ontario_org(employees=24)
        job = make_job(org=small)
        application = make_application(job=job)
        interview(application, START)
        assert profile_for(job) is None and duty_of(application) is None
        # Exactly 25 is covered (fewer than 25 is the exemption).
        services.record_posting(job=job)
        admin = small.members.filter(role=Role.ADMIN).first()
        services.set_org_settings(
            org=small,
            jurisdiction="ontario",
            employee_count=25,
            notice_counts_as_answer=None,
            actor=admin,
        )
        # The job was posted when the org had 24: still exempt.
        assert profile_for(job) is None
        later = make_job(org=small, title="Later")
        services.record_posting(job=later)
        assert profile_for(later) is not None


def test_a_posting_outside_ontario_owes_nothing() -> None:
    with time_machine.travel(START, tick=False):
        org = make_org(country="DE", time_zone="Europe/Berlin")
        application = make_application(job=make_job(org=org))
        interview(application, START)
        assert duty_of(application) is None


def test_a_job_moved_into_ontario_gets_its_deadline_and_out_again_loses_it() -> None:
    with time_machine.travel(START, tick=False):
        org = make_org(country="CA", subdivision="ON", time_zone="America/Toronto")
        job = make_job(org=org)
        application = make_application(job=job)
        interview(application, START)
        assert duty_of(application) is None
        services.set_job_jurisdiction(job=job, jurisdiction="ontario", actor=None)
        assert duty_of(application).due_at == datetime(2026, 4, 17, 4, 0, tzinfo=UTC)
        services.set_job_jurisdiction(job=job, jurisdiction="", actor=None)
        assert duty_of(application) is None


def test_a_job_posted_before_the_law_took_effect_owes_nothing() -> None:
    with time_machine.travel(datetime(2025, 12, 31, 12, 0, tzinfo=UTC), tick=False) as traveller:
        org = ontario_org()
        job = make_job(org=org)
        traveller.move_to(START)
        application = make_application(job=job)
        interview(application, START)
        assert duty_of(application) is None


def test_the_deadline_across_a_dst_change_and_a_holiday_weekend() -> None:
    # Friday 20 February 2026, 10:00 EST. Day 45 is Monday 6 April: after the switch to
    # EDT (8 March) and on the Easter weekend (Good Friday 3 April, Easter Monday 6 April).
    # Calendar days: neither moves the local day; only the UTC offset changes.
    at = datetime(2026, 2, 20, 15, 0, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        org = ontario_org()
        application = make_application(job=make_job(org=org))
        interview(application, at)
        assert duty_of(application).due_at == datetime(2026, 4, 7, 4, 0, tzinfo=UTC)
    # An interview late in the evening local time is already the next day in UTC: the
    # local day counts.
    late = datetime(2026, 2, 21, 3, 30, tzinfo=UTC)  # 22:30 on 20 February in Toronto
    with time_machine.travel(late, tick=False):
        application = make_application(job=make_job(org=org, title="Evening"))
        interview(application, late)
        assert duty_of(application).due_at == datetime(2026, 4, 7, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(("day", "late"), [(44, False), (45, False), (46, True)])
def test_a_decision_on_day_44_45_or_46(day: int, late: bool) -> None:
    """With the notice not counting (the org's counsel's reading), only the decision
    answers: on day 44 or 45 it is on time, on day 46 it is recorded as late, and until it
    is made check-compliance lists the applicant."""
    with time_machine.travel(START, tick=False) as traveller:
        org = ontario_org()
        admin = org.members.filter(role=Role.ADMIN).first()
        services.set_org_settings(
            org=org,
            jurisdiction="ontario",
            employee_count=120,
            notice_counts_as_answer=False,
            actor=admin,
        )
        job = make_job(org=org)
        application = make_application(job=job)
        interview(application, START)
        # Noon in Toronto on the given day.
        decide_at = START + timedelta(days=day, hours=2)
        run_clock(traveller, decide_at, step=timedelta(days=1))
        code, output = check_compliance()
        assert (code, str(application.pk) in output) == ((1, True) if late else (0, False))
        application.refresh_from_db()
        hiring.decline(application=application, reason=DeclineReason.OTHER_CANDIDATE, actor=admin)
        keep_answer_duties(now=decide_at, limit=100)
        duty = duty_of(application)
        assert duty.decided_at == decide_at and duty.answered_at == decide_at
        assert duty.answered_late is late
        assert duty.notice_at is None  # the notice doesn't count here, so none was sent
        # Admins were told before the deadline that only a decision would answer.
        assert Message.objects.filter(kind="team_escalation", org_id=org.pk).exists()
        assert check_compliance()[0] == 0


def test_nobody_decides_the_engine_reminds_nudges_and_tells_the_candidate_in_time() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = ontario_org()
        owner = make_member(org=org, role=Role.HIRING_MANAGER)
        application = make_application(job=make_job(org=org, owner=owner))
        application.candidate.progress_updates_opt_out = True  # the law's notice still goes
        application.candidate.save()
        interview(application, START)
        due = duty_of(application).due_at
        run_clock(traveller, due + timedelta(days=3))
        duty = duty_of(application)
        assert duty.notice_at is not None and duty.answered_at == duty.notice_at
        # The first round (every six hours here) once two days are left.
        assert due - timedelta(days=2) <= duty.notice_at < due - timedelta(days=2, hours=-6)
        assert not duty.answered_late
        notice = Message.objects.get(pk=duty.notice_message_id)
        assert notice.kind == "no_decision_yet"
        assert "no hiring decision has been made yet" in notice.body_text
        owner_mail = list(
            Message.objects.filter(to_email=owner.email)
            .order_by("id")
            .values_list("subject", flat=True)
        )
        assert any(s.startswith("Legal deadline:") for s in owner_mail)
        assert any(s.startswith("Legal deadline soon:") for s in owner_mail)
        assert check_compliance()[0] == 0
        # A decision after the notice is recorded too (and the duty stays answered on time).
        hiring.decline(application=application, reason=DeclineReason.OTHER_CANDIDATE, actor=owner)
        keep_answer_duties(now=due + timedelta(days=3), limit=100)
        duty = duty_of(application)
        assert duty.decided_at is not None and duty.decided_at > due and not duty.answered_late


def test_check_compliance_lists_a_missed_deadline_and_exits_1() -> None:
    with time_machine.travel(START, tick=False) as traveller:
        org = ontario_org()
        application = make_application(job=make_job(org=org), email="missed@example.net")
        interview(application, START)
        assert check_compliance() == (
            0,
            "OK: every interviewed applicant was answered within the deadline.\n",
        )
        # Nobody ran the engine for 46 days.
        traveller.move_to(START + timedelta(days=46))
        code, output = check_compliance()
        assert code == 1
        assert f"application {application.pk} (missed@example.net" in output
        assert "1 interviewed applicant(s) past the legal deadline." in output


def test_a_second_profile_is_data_only() -> None:
    voluntary = PROFILES["voluntary"]
    assert voluntary.answer_days_after_last_interview == 30
    with time_machine.travel(START, tick=False):
        org = ontario_org(jurisdiction="voluntary", employees=3)
        application = make_application(job=make_job(org=org))
        interview(application, START)
        # 2 March + 30 days = 1 April, end of day in Toronto (EDT).
        assert duty_of(application).due_at == datetime(2026, 4, 2, 4, 0, tzinfo=UTC)
        assert duty_of(application).profile_key == "voluntary"


def test_bad_interview_input_is_refused_with_a_clear_message() -> None:
    with time_machine.travel(START, tick=False):
        org = ontario_org()
        application = make_application(job=make_job(org=org))
        with pytest.raises(services.ComplianceError, match="time zone"):
            interview(application, datetime(2026, 3, 2, 10, 0))
        with pytest.raises(services.ComplianceError, match="Unknown interview kind"):
            interview(application, START, kind="karaoke")
        with pytest.raises(services.ComplianceError, match="within a year"):
            interview(application, START.replace(year=2016))
        assert duty_of(application) is None
