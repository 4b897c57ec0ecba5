"""Every hiring-mail fixture reads as its expected label, application and date.

64 emails written for the test (tests/seeker/fixtures/mail, en/de/es): acknowledgements,
interview invitations, promised dates, rejections in several phrasings (the kind ones too),
offers, and mail that isn't hiring mail but looks a little like it (a job alert, a credit
card "application", a Black Friday "offer", a friend's "I'll let you know by Wednesday").
Precision and recall over the same set: `python -m tests.bench.mail_classification`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from heardback.seeker import mailimport, mailread, services
from heardback.seeker.models import JobApplication, MailKind

from . import mail_fixtures
from .conftest import make_seeker, profile_of

FIXTURES = mail_fixtures.load()


def tracked(owner: Any) -> dict[int, str]:
    """The fixture set's tracked applications, created through the service; id -> key."""
    keys = {}
    for key, fields in mail_fixtures.applications().items():
        app = services.create_application(
            owner=owner, company=fields["company"], role=fields["role"],
            applied_on=date.fromisoformat(fields["applied_on"]), link=fields["link"],
            contact_email=fields["contact_email"],
        )  # fmt: skip
        keys[app.pk] = key
    return keys


def test_the_fixture_set_is_big_and_varied_enough() -> None:
    assert len(FIXTURES) >= 60
    assert Counter(f.lang for f in FIXTURES).keys() == {"en", "de", "es"}
    labels = Counter(f.label for f in FIXTURES)
    assert set(labels) == set(MailKind.values)
    assert all(count >= 5 for count in labels.values()), labels
    for lang in mail_fixtures.LANGUAGES:
        assert {f.label for f in FIXTURES if f.lang == lang} == set(MailKind.values), lang


@pytest.mark.django_db
@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f"{f.lang}:{f.subject[:40]}")
def test_each_fixture_reads_as_expected(fixture: mail_fixtures.Fixture) -> None:
    owner = make_seeker()
    keys = tracked(owner)
    applications = list(JobApplication.objects.filter(owner=owner))
    was_read, proposed = mailimport.read_message(
        fixture.raw, applications=applications, profile=profile_of(owner), today=date(2026, 12, 1)
    )
    if fixture.label == MailKind.OTHER:
        assert proposed is None
        return
    assert was_read and proposed is not None
    assert proposed.reading.kind == fixture.label
    got = keys[proposed.application.pk] if proposed.application else "new"
    assert got == fixture.app
    if fixture.on is not None:
        assert proposed.reading.event_on == fixture.on, proposed.reading.event_explained
        assert proposed.reading.event_explained
    assert proposed.reading.excerpt and proposed.reading.excerpt in mailread._normalised(
        f"{proposed.mail.subject}\n{proposed.mail.text}"
    )
    assert bool(proposed.reading.status_link) == fixture.link


@pytest.mark.django_db
def test_unmatched_hiring_mail_is_offered_with_a_company_and_role() -> None:
    owner = make_seeker()
    tracked(owner)
    applications = list(JobApplication.objects.filter(owner=owner))
    guessed = set()
    for fixture in FIXTURES:
        if fixture.app != "new":
            continue
        _, proposed = mailimport.read_message(
            fixture.raw, applications=applications, profile=profile_of(owner),
            today=date(2026, 12, 1),
        )  # fmt: skip
        assert proposed is not None
        guessed.add((mailread.guess_company(proposed.mail), mailread.guess_role(proposed.mail)))
    assert ("Vandelay Industries", "Import/Export Analyst") in guessed
    assert ("Lumen", "Analytics Engineer") in guessed
    assert ("Grupo Meridiano", "Analista de Datos") in guessed
    assert ("Wolkenwerk", "DevOps Engineer") in guessed


def test_mail_that_is_not_hiring_mail_is_not_read_past_its_headers() -> None:
    """A friend's dinner plans say "I'll let you know by Wednesday" and wish luck with the
    interviews: the body would read as a promise, but the headers never let it be read."""
    dinner = next(f for f in FIXTURES if f.subject == "Dinner on Friday?")
    envelope = mailread.envelope(dinner.message(), fallback_day=date(2026, 12, 1))
    assert not mailread.looks_relevant(envelope, [])


@pytest.mark.parametrize(
    ("when", "sent_on", "expected"),
    [
        ("we'll get back to you by Friday", date(2026, 11, 17), date(2026, 11, 20)),
        ("Wir melden uns innerhalb von drei Wochen", date(2026, 11, 2), date(2026, 11, 23)),
        ("geben dir in den nächsten 10 Tagen Bescheid", date(2026, 11, 2), date(2026, 11, 12)),
        ("te daremos una respuesta en un plazo de 5 días hábiles", date(2026, 11, 17),
         date(2026, 11, 24)),
        ("nos pondremos en contacto antes del viernes", date(2026, 11, 9), date(2026, 11, 13)),
    ],
)  # fmt: skip
def test_promises_in_three_languages_use_the_phrase_parser(
    when: str, sent_on: date, expected: date
) -> None:
    found = mailread.find_promise(when, sent_on=sent_on, country="DE")
    assert found is not None and found[1] == expected
