"""How many queries the status page costs: pinned, so a regression fails here.

A first view (or one after the micro-cache expired) of an active application is two
queries — the token joined with its application, org, job, candidate and stage; the
messages — and stays two however many messages there are. A repeat view within the cache
needs none.

Each uncached request also counts against the rate limit: one atomic statement in the
store every web process shares (heardback.web.limits), the `+ COUNT` below.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from heardback import clock
from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Job, Member
from heardback.messaging.models import Message
from heardback.portal import selectors, tokens
from heardback.portal.prepared import Prepared
from tests import factories


def _apply(job: Job) -> Application:
    return factories.make_application(job=job, name="Ada Lovelace", email="ada@example.net")


COUNT = 1  # the rate limit's one statement


def _messages(html: str) -> int:
    return html.count("<details")


def test_a_first_view_is_two_queries_and_the_count_however_many_messages(
    client: Client,
    job: Job,
    recruiter: Member,
    monday: Any,
    settings: Any,
    django_assert_num_queries: Any,
) -> None:
    settings.PORTAL_STATUS_CACHE_SECONDS = 0
    application = _apply(job)
    token = tokens.issue_token(application)
    with django_assert_num_queries(2 + COUNT):
        response = client.get(f"/s/{token}/")
    assert response.status_code == 200
    assert _messages(response.content.decode()) == 1
    for _ in range(3):
        application = hiring.advance(application=application, actor=recruiter)
    with django_assert_num_queries(2 + COUNT):
        response = client.get(f"/s/{token}/")
    html = response.content.decode()
    # Two more messages (a stage update per coarse stage), still the same two queries.
    assert _messages(html) == 3
    assert "Interview" in html and "Acme Robotics" in html and "Robot Whisperer" in html


def test_the_json_feed_is_two_queries_and_the_count(
    client: Client, job: Job, recruiter: Member, monday: Any, django_assert_num_queries: Any
) -> None:
    application = hiring.advance(application=_apply(job), actor=recruiter)
    token = tokens.issue_token(application)
    with django_assert_num_queries(2 + COUNT):
        data = client.get(f"/s/{token}.json").json()
    assert [m["kind"] for m in data["messages"]] == ["acknowledgement", "stage_update"]


def test_an_ended_application_adds_only_the_survey_lookup(
    client: Client,
    job: Job,
    recruiter: Member,
    monday: Any,
    settings: Any,
    django_assert_num_queries: Any,
) -> None:
    settings.PORTAL_STATUS_CACHE_SECONDS = 0
    application = _apply(job)
    token = tokens.issue_token(application)
    hiring.withdraw(application=application)
    # token with application, messages, survey invitation (none yet: no answer lookup)
    with django_assert_num_queries(3 + COUNT):
        response = client.get(f"/s/{token}/")
    assert response.status_code == 200
    assert "You withdrew this application" in response.content.decode()


def test_a_repeat_view_within_the_cache_needs_no_database(
    client: Client, job: Job, monday: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.PORTAL_STATUS_CACHE_SECONDS = 5
    token = tokens.issue_token(_apply(job))
    first = client.get(f"/s/{token}/")
    with django_assert_num_queries(0):
        again = client.get(f"/s/{token}/")
    assert again.content == first.content


def test_every_failure_is_the_same_single_query_and_the_count(
    client: Client, job: Job, monday: Any, django_assert_num_queries: Any
) -> None:
    application = _apply(job)
    revoked = tokens.issue_token(application)
    tokens.revoke_all(application)
    other = _apply(factories.make_job(org=job.org, title="Another role"))
    expired = tokens.issue_token(other)
    tokens.tokens_of(other).update(expires_at=clock.now() - timedelta(seconds=1))
    for token in (revoked, expired, "x" * 32, "not a token!"):
        with django_assert_num_queries(1 + COUNT):
            assert client.get(f"/s/{token}/").status_code == 404
    # A live link of the same application still opens (the failures were the tokens').
    assert client.get(f"/s/{tokens.issue_token(other)}/").status_code == 200


def test_the_page_shows_what_the_orm_would_load(
    client: Client, job: Job, recruiter: Member, monday: Any, settings: Any
) -> None:
    """The hand-linked instances from the joined row equal what select_related gives."""
    settings.PORTAL_STATUS_CACHE_SECONDS = 0  # no remembered check: resolve's own query
    application = _apply(job)
    token = tokens.issue_token(application)
    usable = tokens.check(token)
    assert usable is not None
    expected = Application.objects.select_related("org", "job", "candidate", "stage").get(
        pk=application.pk
    )
    resolved = tokens.resolve(token)
    assert resolved is not None
    # One query or two, the same token and the same instances.
    assert resolved[0] == usable
    _same_instances(resolved[1], expected)
    loaded = tokens.load(usable)
    assert loaded is not None
    _same_instances(loaded, expected)
    # The messages: every field the page reads, as the ORM reads it.
    hiring.advance(application=expected, actor=recruiter)
    shown = selectors.status_view(application=loaded).messages
    orm = list(Message.objects.filter(application_id=expected.pk).order_by("created_at", "id"))
    assert len(shown) == len(orm) == 2
    for ours, theirs in zip(shown, orm, strict=True):
        for name in ("id", "subject", "body_text", "kind", "status", "created_at", "sent_at"):
            assert getattr(ours, name) == getattr(theirs, name), name
        assert ours.created_at.tzinfo is not None


def _same_instances(loaded: Application, expected: Application) -> None:
    for name in ("org", "job", "candidate", "stage"):
        ours, theirs = getattr(loaded, name), getattr(expected, name)
        fields = type(theirs)._meta.concrete_fields
        assert [f.value_from_object(ours) for f in fields] == [
            f.value_from_object(theirs) for f in fields
        ]
    fields = Application._meta.concrete_fields
    assert [f.value_from_object(loaded) for f in fields] == [
        f.value_from_object(expected) for f in fields
    ]
    assert loaded.respond_by is not None and loaded.respond_by.tzinfo is not None


@pytest.mark.django_db
def test_a_prepared_query_refuses_parameters_bound_in_the_wrong_order() -> None:
    swapped = Prepared(
        Message,
        lambda org_id, application_id: Message.objects.filter(
            org_id=org_id, application_id=application_id
        ).values_list("id"),
        # Wrong on purpose: the SQL binds application_id first.
        lambda org_id, application_id: [org_id, application_id],
        probe=[1, 2],
    )
    with pytest.raises(AssertionError, match="binds"):
        swapped.rows(1, 1)  # refused even when the real values would hide the swap


def test_a_prepared_query_needs_a_probe_that_tells_parameters_apart() -> None:
    with pytest.raises(ValueError, match="differ"):
        Prepared(
            Message,
            lambda org_id, application_id: Message.objects.filter(
                org_id=org_id, application_id=application_id
            ).values_list("id"),
            lambda org_id, application_id: [application_id, org_id],
            probe=[1, 1],
        )


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_page_queries_are_planned_once_per_session_and_survive_a_reconnect(
    client: Client, job: Job, monday: Any, settings: Any
) -> None:
    from django.db import connection

    settings.PORTAL_STATUS_CACHE_SECONDS = 0
    token = tokens.issue_token(_apply(job))
    assert client.get(f"/s/{token}/").status_code == 200

    def prepared() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements")
            return {name for (name,) in cursor.fetchall() if name.startswith("heardback_")}

    if connection.vendor != "postgresql":
        assert tokens._TOKEN_AND_APPLICATION.rows(tokens.hash_token("x"), clock.now()) == []
        return
    assert tokens._TOKEN_AND_APPLICATION._name in prepared()
    # A new session (a reconnect after the server restarted, say) has none: prepared again.
    connection.close()
    assert client.get(f"/s/{token}/").status_code == 200
    assert tokens._TOKEN_AND_APPLICATION._name in prepared()
    # Switched off (behind a pooler in transaction mode): plain statements, same page.
    settings.DATABASE_PREPARED_STATEMENTS = False
    connection.close()
    page = client.get(f"/s/{token}/")
    assert page.status_code == 200 and "Ada" in page.content.decode()
    assert prepared() == set()
