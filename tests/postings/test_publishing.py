"""Publishing: every version kept as it was, the job editor's check, the public page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from heardback.compliance.models import JobCompliance
from heardback.hiring.models import Job, Member, Role
from heardback.postings import selectors, services
from heardback.postings.models import ImmutableSnapshot, PostingVersion
from heardback.promises import services as engine
from tests import factories
from tests.compliance.helpers import ontario_org
from tests.console.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def recruiter() -> Member:
    org = ontario_org(name="Maple Robotics")
    return factories.make_member(org=org, role=Role.RECRUITER, email="rita@maple.example")


@pytest.fixture
def job(recruiter: Member) -> Job:
    job = factories.make_job(org=recruiter.org, title="Robot Whisperer", owner=recruiter)
    job.description = "Calm robots down."
    job.save(update_fields=["description"])
    return job


def _terms(job: Job, recruiter: Member, **changes: Any) -> None:
    values: dict[str, Any] = {
        "pay_min": Decimal("80000"),
        "pay_max": Decimal("100000"),
        "pay_period": "year",
        "currency": "CAD",
        "uses_ai": True,
        "ai_details": "A model ranks CVs; a person reads every one.",
        "existing_vacancy": True,
    } | changes
    services.save_terms(job=job, actor=recruiter, **values)


def _row(version: PostingVersion) -> tuple[Any, ...]:
    fresh = PostingVersion.objects.get(pk=version.pk)
    return tuple(getattr(fresh, f.attname) for f in PostingVersion._meta.concrete_fields)


def test_an_ontario_job_is_hidden_until_its_posting_is_published(
    client: Client, job: Job, recruiter: Member
) -> None:
    board = f"/jobs/{job.org.slug}/"
    page = f"/jobs/{job.org.slug}/{job.slug}/"
    assert "Robot Whisperer" not in client.get(board).content.decode()
    assert client.get(page).status_code == 404

    with pytest.raises(ValidationError) as refused:
        services.publish(job=job, actor=recruiter)
    assert set(refused.value.message_dict) == {"pay_min", "uses_ai", "existing_vacancy"}
    assert not PostingVersion.objects.exists()

    _terms(job, recruiter)
    published = services.publish(job=job, actor=recruiter)
    # The first publication is the posting the compliance app judges the job by.
    recorded = JobCompliance.objects.get(job=job)
    assert recorded.posted_at == published.published_at
    assert recorded.employee_count_at_posting == 120
    assert "Robot Whisperer" in client.get(board).content.decode()
    html = client.get(page).content.decode()
    assert "80,000 to 100,000 CAD a year" in html
    assert "We use artificial intelligence to screen, assess or select applicants." in html
    assert "A model ranks CVs; a person reads every one." in html
    assert "This posting is for an existing vacancy." in html


def test_the_public_page_states_no_ai_and_not_a_vacancy(
    client: Client, job: Job, recruiter: Member
) -> None:
    _terms(job, recruiter, uses_ai=False, existing_vacancy=False, pay_max=None)
    services.publish(job=job, actor=recruiter)
    html = client.get(f"/jobs/{job.org.slug}/{job.slug}/").content.decode()
    assert "80,000 CAD a year" in html
    assert "We do not use artificial intelligence" in html
    assert "This posting is not for an existing vacancy." in html
    assert "A model ranks CVs" not in html  # details only when AI is used


def test_an_edit_after_publishing_makes_a_new_version_and_keeps_the_old(
    job: Job, recruiter: Member, time_machine: Any
) -> None:
    from heardback import clock

    time_machine.move_to(clock.now(), tick=False)
    _terms(job, recruiter)
    first = services.publish(job=job, actor=recruiter)
    before = _row(first)
    # Publishing again with nothing changed makes no new version.
    assert services.publish(job=job, actor=recruiter).pk == first.pk

    time_machine.shift(timedelta(days=3))
    staff = client_for(recruiter)
    response = staff.post(
        f"/app/jobs/{job.pk}/edit/",
        {
            "title": "Senior Robot Whisperer",
            "location": "Toronto",
            "description": "Calm robots down, and teach others to.",
            "owner": recruiter.pk,
            **{
                f"stage-{s.pk}-{k}": v
                for s in job.pipeline.stages.all()
                for k, v in (("name", s.name), ("days", s.promise_business_days))
            },
        },
    )
    assert response.status_code == 302
    second = selectors.live_version(job)
    assert second is not None and second.version == 2
    assert second.title == "Senior Robot Whisperer"
    assert second.description == "Calm robots down, and teach others to."
    first_now = PostingVersion.objects.get(pk=first.pk)
    assert first_now.taken_down_at == second.published_at
    # Everything but the takedown date is exactly as it was.
    after = _row(first)
    names = [f.attname for f in PostingVersion._meta.concrete_fields]
    assert {n for n, a, b in zip(names, before, after, strict=True) if a != b} == {"taken_down_at"}
    assert first_now.title == "Robot Whisperer"
    assert first_now.form_questions and "Your name" in first_now.form_questions


def test_a_version_cannot_be_changed(job: Job, recruiter: Member) -> None:
    _terms(job, recruiter)
    version = services.publish(job=job, actor=recruiter)
    version.title = "Rewritten history"
    with pytest.raises(ImmutableSnapshot):
        version.save()
    with pytest.raises(ImmutableSnapshot):
        version.save(update_fields=["title"])
    assert PostingVersion.objects.get(pk=version.pk).title == "Robot Whisperer"


def test_the_job_editor_refuses_canadian_experience_on_a_published_posting(
    job: Job, recruiter: Member
) -> None:
    _terms(job, recruiter)
    services.publish(job=job, actor=recruiter)
    staff = client_for(recruiter)
    response = staff.post(
        f"/app/jobs/{job.pk}/edit/",
        {
            "title": "Robot Whisperer",
            "location": "",
            "description": "Canadian work experience required.",
            "owner": recruiter.pk,
        },
    )
    assert response.status_code == 200
    assert "a requirement of canadian experience is forbidden" in response.content.decode()
    job.refresh_from_db()
    assert job.description == "Calm robots down."
    assert PostingVersion.objects.count() == 1


def test_the_posting_page_checks_and_publishes(job: Job, recruiter: Member) -> None:
    staff = client_for(recruiter)
    page = staff.get(f"/app/postings/jobs/{job.pk}/").content.decode()
    assert "Ontario ESA (2026)" in page and "Not published" in page
    form = {
        "pay_min": "100000",
        "pay_max": "150001",
        "pay_period": "year",
        "currency": "CAD",
        "uses_ai": "no",
        "existing_vacancy": "",
        "publish": "1",
    }
    refused = staff.post(f"/app/postings/jobs/{job.pk}/", form).content.decode()
    assert "The pay range is 50,001 wide; it may be at most 50,000" in refused
    assert "Say whether this posting is for an existing vacancy." in refused
    assert not PostingVersion.objects.exists()
    done = staff.post(
        f"/app/postings/jobs/{job.pk}/", form | {"pay_max": "150000", "existing_vacancy": "yes"}
    )
    assert done.status_code == 302
    (version,) = PostingVersion.objects.all()
    assert version.pay_max == Decimal("150000") and version.profile_key == "ontario-esa-2026"
    shown = staff.get(f"/app/postings/jobs/{job.pk}/versions/1/").content.decode()
    assert "150,000" in shown and "Existing vacancy" in shown


def test_closing_the_job_takes_the_posting_down(job: Job, recruiter: Member) -> None:
    from heardback import clock

    _terms(job, recruiter)
    version = services.publish(job=job, actor=recruiter)
    engine.close_job(job=job, actor=recruiter)
    now = clock.now()
    assert services.take_down_closed(now=now, limit=10) == 1
    version.refresh_from_db()
    assert version.taken_down_at == now
    assert services.take_down_closed(now=now, limit=10) == 0


def test_another_orgs_posting_is_not_found(job: Job, recruiter: Member) -> None:
    _terms(job, recruiter)
    services.publish(job=job, actor=recruiter)
    other = factories.make_member(org=factories.make_org(name="Elsewhere"), role=Role.ADMIN)
    outsider = client_for(other)
    assert outsider.get(f"/app/postings/jobs/{job.pk}/").status_code == 404
    assert outsider.get(f"/app/postings/jobs/{job.pk}/versions/1/").status_code == 404


@pytest.mark.parametrize("jurisdiction", ["", "voluntary"])
def test_a_job_without_posting_rules_is_public_at_once(client: Client, jurisdiction: str) -> None:
    org = ontario_org(name="Plain Co", jurisdiction=jurisdiction)
    job = factories.make_job(org=org, title="Tinkerer")
    assert client.get(f"/jobs/{org.slug}/{job.slug}/").status_code == 200
    assert "About this posting" not in client.get(f"/jobs/{org.slug}/{job.slug}/").content.decode()


def test_a_new_ontario_job_goes_to_its_posting_page(recruiter: Member) -> None:
    from heardback.hiring.models import Pipeline

    template = Pipeline.objects.filter(org_id=recruiter.org_id, is_template=True).first()
    assert template is not None
    response = client_for(recruiter).post(
        "/app/jobs/new/",
        {"title": "Welder", "owner": recruiter.pk, "template": template.pk, "description": ""},
    )
    job = Job.objects.get(org_id=recruiter.org_id, title="Welder")
    assert response["Location"] == f"/app/postings/jobs/{job.pk}/"


def test_a_board_without_jurisdictions_costs_the_same_for_many_jobs(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    org = factories.make_org(name="Plain Co")
    owner = factories.make_member(org=org)
    for n in range(12):
        factories.make_job(org=org, title=f"Tinkerer {n}", owner=owner)
    client.get(f"/jobs/{org.slug}/")  # warm up (sessions, caches)
    with django_assert_max_num_queries(8):
        html = client.get(f"/jobs/{org.slug}/").content.decode()
    assert html.count("Tinkerer") >= 12


def test_the_posting_page_names_a_forbidden_requirement_in_the_description(
    job: Job, recruiter: Member
) -> None:
    job.description = "Must have Canadian work experience."
    job.save(update_fields=["description"])
    staff = client_for(recruiter)
    form = {
        "pay_min": "90000",
        "pay_period": "year",
        "currency": "CAD",
        "uses_ai": "no",
        "existing_vacancy": "yes",
        "publish": "1",
    }
    page = staff.get(f"/app/postings/jobs/{job.pk}/").content.decode()
    assert "“canadian work experience”: a requirement of canadian experience" in page
    refused = staff.post(f"/app/postings/jobs/{job.pk}/", form)
    assert refused.status_code == 200
    assert "“canadian work experience”" in refused.content.decode()
    assert not PostingVersion.objects.exists()
