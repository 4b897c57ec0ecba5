"""The retention step: personal data goes N months after the final decision, unless a legal
hold applies; the record stays, anonymised; the dry run changes nothing."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from heardback.compliance.profiles import ONTARIO_ESA_2026
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Candidate, Event, Job, Member
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.portal import tokens, uploads
from heardback.portal.models import Attachment
from heardback.privacy import retention, services
from heardback.privacy.models import Anonymisation, RetentionPolicy
from heardback.runtime.steps import steps
from tests import factories

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple[Any, ...]]:
    """Every row the step could touch, to prove the dry run touched none."""
    return [
        *Candidate.objects.order_by("pk").values_list("pk", "name", "email", "phone"),
        *Message.objects.order_by("pk").values_list("pk", "to_email", "subject", "body_text"),
        *Attachment.objects.order_by("pk").values_list("pk", "stored_name"),
        *Anonymisation.objects.values_list("pk"),
    ]


def _declined(job: Job, recruiter: Member, apply: Any, name: str, email: str) -> Application:
    application = apply(job, name=name, email=email)
    hiring.decline(application=application, reason="other_candidate", actor=recruiter)
    delivery.drain()
    application.refresh_from_db()
    return application


def test_the_step_is_registered() -> None:
    assert "anonymise_expired" in [s.name for s in steps("engine")]


def test_purge_after_the_policy_months_keeps_the_record(
    job: Job, recruiter: Member, apply: Any, monday: Any, time_machine: Any, smtp_server: Any
) -> None:
    RetentionPolicy.objects.create(org=job.org, months_after_decision=3, updated_at=monday)
    ada = _declined(job, recruiter, apply, "Ada Lovelace", "ada@example.net")
    cv_path = uploads.path_of(Attachment.objects.get(application=ada))
    assert cv_path.exists()
    sent_before = list(Message.objects.filter(application_id=ada.pk).values_list("kind", flat=True))
    assert any("Ada" in m.body_text for m in Message.objects.filter(application_id=ada.pk))

    # A day before three months: nothing.
    time_machine.move_to(monday + timedelta(days=89), tick=False)
    now = monday + timedelta(days=89)
    assert retention.report(now=now) == []
    assert retention.anonymise_expired(now=now, limit=100) == 0

    later = monday + timedelta(days=92)
    time_machine.move_to(later, tick=False)
    assert retention.anonymise_expired(now=later, limit=100) == 1
    candidate = Candidate.objects.get(pk=ada.candidate_id)
    assert candidate.name == services.ERASED_NAME
    assert candidate.email.endswith("@erased.invalid")
    assert candidate.phone == ""
    assert not cv_path.exists()
    assert not Attachment.objects.filter(application=ada).exists()
    # The record: the application, its events, the wording of every message, without her.
    ada.refresh_from_db()
    assert ada.status == "declined" and ada.decided_at is not None
    kept = Message.objects.filter(application_id=ada.pk)
    assert list(kept.values_list("kind", flat=True)) == sent_before
    for message in kept:
        text = message.subject + message.body_text + message.body_html + message.to_email
        assert "Ada" not in text and "Lovelace" not in text and "ada@example.net" not in text
    assert "[erased]" in kept.first().body_text  # type: ignore[union-attr]
    assert Event.objects.filter(application=ada).count() >= 2
    assert not tokens.tokens_of(ada).filter(revoked_at__isnull=True).exists()
    # Idempotent: a second round finds no one.
    assert retention.anonymise_expired(now=later, limit=100) == 0
    assert Anonymisation.objects.get().reason == "retention"


def test_a_legal_hold_keeps_the_data_until_released(
    job: Job, recruiter: Member, apply: Any, monday: Any, time_machine: Any, smtp_server: Any
) -> None:
    grace = _declined(job, recruiter, apply, "Grace Hopper", "grace@example.net")
    hold = services.place_hold(candidate=grace.candidate, actor=recruiter, reason="A claim")
    later = monday + timedelta(days=400)
    time_machine.move_to(later, tick=False)
    (due,) = retention.report(now=later)
    assert due.held and due.candidate_id == grace.candidate_id
    assert retention.anonymise_expired(now=later, limit=100) == 0
    assert Candidate.objects.get(pk=grace.candidate_id).email == "grace@example.net"
    assert Attachment.objects.filter(application=grace).exists()

    services.release_hold(hold=hold, actor=recruiter)
    assert retention.anonymise_expired(now=later, limit=100) == 1
    assert Candidate.objects.get(pk=grace.candidate_id).name == services.ERASED_NAME


def test_active_and_hired_candidates_are_not_due(
    job: Job, recruiter: Member, apply: Any, monday: Any, time_machine: Any, smtp_server: Any
) -> None:
    apply(job, name="Still Active", email="active@example.net")
    hired = apply(job, name="Hired Person", email="hired@example.net")
    hiring.hire(application=hired, actor=recruiter)
    later = monday + timedelta(days=400)
    time_machine.move_to(later, tick=False)
    assert retention.report(now=later) == []
    services.set_policy(org=job.org, actor=recruiter, months_after_decision=6, include_hired=True)
    assert [d.candidate_id for d in retention.report(now=later)] == [hired.candidate_id]


def test_dry_run_report_changes_nothing(
    job: Job, recruiter: Member, apply: Any, monday: Any, time_machine: Any, smtp_server: Any
) -> None:
    _declined(job, recruiter, apply, "Ada Lovelace", "ada@example.net")
    held = _declined(job, recruiter, apply, "Grace Hopper", "grace@example.net")
    services.place_hold(candidate=held.candidate, actor=recruiter, reason="An audit")
    time_machine.move_to(monday + timedelta(days=400), tick=False)
    before = _snapshot()
    out = StringIO()
    call_command("retention_report", stdout=out)
    text = out.getvalue()
    assert "Acme Robotics: 6 months after the final decision: 1 to anonymise, 1 kept" in text
    assert "would be anonymised" in text and "kept (legal hold)" in text
    assert "dry run: nothing was changed (2 listed)" in text
    assert _snapshot() == before


def test_policy_months_are_checked(job: Job, recruiter: Member) -> None:
    from django.core.exceptions import ValidationError

    for bad in (0, 121):
        with pytest.raises(ValidationError, match="between 1 and 120"):
            services.set_policy(
                org=job.org, actor=recruiter, months_after_decision=bad, include_hired=False
            )
    assert not RetentionPolicy.objects.exists()


def test_one_month_is_counted_by_the_calendar() -> None:
    from datetime import UTC, datetime

    assert services.add_months(datetime(2026, 1, 31, tzinfo=UTC), 1).day == 28
    assert services.add_months(datetime(2028, 1, 31, tzinfo=UTC), 1).day == 29
    assert services.add_months(datetime(2026, 12, 3, tzinfo=UTC), 1) == datetime(
        2027, 1, 3, tzinfo=UTC
    )
    assert services.subtract_months(datetime(2026, 3, 31, tzinfo=UTC), 1).day == 28


def test_the_report_says_how_long_a_profiles_record_is_kept(
    apply: Any, monday: Any, time_machine: Any, smtp_server: Any
) -> None:
    from tests.compliance.helpers import ontario_org

    org = ontario_org(name="Maple Robotics")
    owner = factories.make_member(org=org)
    ontario_job = factories.make_job(org=org, title="Robot Whisperer", owner=owner)
    declined = _declined(ontario_job, owner, apply, "Ada Lovelace", "ada@example.net")
    time_machine.move_to(monday + timedelta(days=400), tick=False)
    out = StringIO()
    call_command("retention_report", "--org", org.slug, stdout=out)
    days = ONTARIO_ESA_2026.record_retention_days  # three years, leap day included
    until = (declined.decided_at + timedelta(days=days)).date()  # type: ignore[operator]
    assert (
        f"would be anonymised; the anonymised record is kept at least until {until:%Y-%m-%d} "
        "(Ontario ESA (2026))" in out.getvalue()
    )


def test_the_report_names_an_unknown_org() -> None:
    err = StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("retention_report", "--org", "no-such-org", stderr=err)
    assert stopped.value.code == 2
    assert "No org with the slug 'no-such-org'." in err.getvalue()


def test_an_address_they_changed_goes_too(
    job: Job, recruiter: Member, apply: Any, monday: Any, smtp_server: Any
) -> None:
    from heardback.portal import services as portal

    application = apply(job, name="Ada Lovelace", email="ada@example.net")
    delivery.drain()
    hiring.add_note(
        application=application, text="Ada wrote from ada@example.net: call her", actor=recruiter
    )
    portal.update_contact(
        application=application, email="ada.new@example.net", phone="+49 30 1234", language="en"
    )
    hiring.withdraw(application=application)
    delivery.drain()
    services.anonymise_candidate(
        candidate=Candidate.objects.get(pk=application.candidate_id),
        reason="request",
        actor_label="test",
    )
    for event in Event.objects.filter(application=application):
        text = str(event.data)
        # The whole address, not just the name inside it ("[erased]@example.net").
        assert "@example.net" not in text and "Ada" not in text, text
    for message in Message.objects.filter(application_id=application.pk):
        text = message.to_email + message.subject + message.body_text + message.body_html
        assert "ada" not in text.lower().replace("[erased]", ""), text
    assert Message.objects.filter(application_id=application.pk).count() >= 2
