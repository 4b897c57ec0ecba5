"""Status tokens: strong, hashed, revocable, expiring, indistinguishable when they fail."""

from __future__ import annotations

import hashlib
import logging
import re
import statistics
import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from heardback.hiring import services as hiring
from heardback.hiring.models import Application, Job
from heardback.messaging import delivery
from heardback.portal import tokens
from heardback.portal.models import StatusToken
from heardback.portal.views import form_key
from tests import factories

LINK = re.compile(r"/s/([A-Za-z0-9_-]{16,64})/")


def _tamper(token: str) -> str:
    flipped = "A" if token[5] != "A" else "B"
    return token[:5] + flipped + token[6:]


def test_tokens_are_long_random_and_stored_only_as_a_hash(job: Job) -> None:
    application = factories.make_application(job=job)
    issued = {tokens.issue_token(application) for _ in range(50)}
    assert len(issued) == 50
    for token in issued:
        assert len(token) >= 22  # 22 url-safe characters already carry 128 bits
        assert StatusToken.objects.filter(token_hash=hashlib.sha256(token.encode()).hexdigest())
        assert not StatusToken.objects.filter(token_hash__contains=token).exists()
    url = tokens.issue_status_url(application)
    assert url.startswith("http") and url.endswith("/")


def test_every_sent_message_carries_a_fresh_working_link(
    job: Job, recruiter: Any, smtp_server: Any, client: Client
) -> None:
    application = factories.make_application(job=job)
    hiring.advance(application=application, actor=recruiter)
    # Queued messages hold no live link: the worker mints one per message as it sends.
    assert StatusToken.objects.filter(application=application).count() == 0
    delivery.drain()
    assert StatusToken.objects.filter(application=application).count() == 2
    for row in StatusToken.objects.filter(application=application):
        assert row.revoked_at is None and row.expires_at > row.created_at
    links = [LINK.search(r.text).group(1) for r in smtp_server.to(application.candidate.email)]
    assert len(set(links)) == 2
    for token in links:
        assert client.get(f"/s/{token}/").status_code == 200


def _not_found_body(client: Client, token: str) -> tuple[int, bytes]:
    response = client.get(f"/s/{token}/")
    return response.status_code, response.content


def test_unknown_tampered_expired_revoked_all_get_the_same_404(
    client: Client, job: Job, monday: Any, time_machine: Any
) -> None:
    revoked_app = factories.make_application(job=job)
    revoked = tokens.issue_token(revoked_app)
    tokens.revoke_all(revoked_app)
    ended_app = factories.make_application(job=job)
    expired = tokens.issue_token(ended_app)
    hiring.withdraw(application=ended_app)
    live_app = factories.make_application(job=job)
    time_machine.move_to(monday + timedelta(days=91), tick=False)
    valid = tokens.issue_token(live_app)
    assert client.get(f"/s/{valid}/").status_code == 200
    cases = {
        "unknown": tokens.issue_token.__name__ + "x" * 20,
        "tampered": _tamper(valid),
        "expired": expired,
        "revoked": revoked,
        "malformed": "not a token at all!",
        "short": "abc",
    }
    answers = {name: _not_found_body(client, token) for name, token in cases.items()}
    bodies = {body for _status, body in answers.values()}
    assert {status for status, _body in answers.values()} == {404}
    assert len(bodies) == 1, "the 404 must not say why"
    for suffix in (".json", ".ics"):
        codes = {client.get(f"/s/{token}{suffix}").status_code for token in cases.values()}
        assert codes == {404}
    # An expired link still can't act.
    response = client.post(
        f"/s/{expired}/", {"form_key": form_key(expired), "action": "withdraw", "confirm": "yes"}
    )
    assert response.status_code == 404


def test_a_link_lives_90_days_after_the_application_ends(
    client: Client, job: Job, monday: Any, time_machine: Any, smtp_server: Any
) -> None:
    application = factories.make_application(job=job)
    early = tokens.issue_token(application)
    time_machine.move_to(monday + timedelta(days=20), tick=False)
    hiring.withdraw(application=application)
    delivery.drain()  # sending the final message mints a link and re-dates the early one
    time_machine.move_to(monday + timedelta(days=20 + 89), tick=False)
    assert client.get(f"/s/{early}/").status_code == 200
    time_machine.move_to(monday + timedelta(days=20 + 91), tick=False)
    assert client.get(f"/s/{early}/").status_code == 404


def test_looking_at_an_active_application_keeps_the_link_alive(
    client: Client, job: Job, monday: Any, time_machine: Any
) -> None:
    application = factories.make_application(job=job)
    token = tokens.issue_token(application)
    for month in range(1, 6):
        time_machine.move_to(monday + timedelta(days=60 * month), tick=False)
        assert client.get(f"/s/{token}/").status_code == 200


@pytest.mark.slow
def test_failing_tokens_take_the_same_time(
    client: Client, job: Job, monday: Any, time_machine: Any, settings: Any
) -> None:
    """Median response times of the failure classes differ by less than the noise."""
    settings.PORTAL_RATE_LIMITS = {"status": (10_000, 60)}
    revoked_app = factories.make_application(job=job)
    revoked = tokens.issue_token(revoked_app)
    tokens.revoke_all(revoked_app)
    ended_app = factories.make_application(job=job)
    expired = tokens.issue_token(ended_app)
    hiring.withdraw(application=ended_app)
    time_machine.move_to(monday + timedelta(days=91), tick=False)
    live = tokens.issue_token(factories.make_application(job=job))
    cases = {"unknown": "u" * 32, "tampered": _tamper(live), "expired": expired, "revoked": revoked}
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for token in cases.values():  # warm up
        client.get(f"/s/{token}/")
    for _round in range(200):
        for name, token in cases.items():  # interleaved, so load affects all alike
            start = time.perf_counter()
            assert client.get(f"/s/{token}/").status_code == 404
            timings[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    spread = max(medians.values()) - min(medians.values())
    noise = statistics.median(
        statistics.quantiles(values, n=4)[2] - statistics.quantiles(values, n=4)[0]
        for values in timings.values()
    )
    # Within the interquartile noise of a single class (or 0.2 ms when that is quieter).
    print(
        {name: f"{value * 1000:.3f} ms" for name, value in medians.items()},
        f"noise (IQR) {noise * 1000:.3f} ms",
    )
    assert spread < max(noise, 0.0002), (medians, noise)


def test_tokens_never_reach_the_logs(client: Client, job: Job, caplog: Any, settings: Any) -> None:
    application = factories.make_application(job=job)
    valid = tokens.issue_token(application)
    unknown = "Z" * 32
    strict = Client(enforce_csrf_checks=True)
    settings.PORTAL_RATE_LIMITS = {"status": (5, 60)}
    with caplog.at_level(logging.DEBUG):
        client.get(f"/s/{valid}/")
        client.get(f"/s/{unknown}/")
        client.get(f"/s/{unknown}.json")
        strict.post(f"/s/{valid}/", {"action": "withdraw", "confirm": "yes"})  # no form key
        for _ in range(6):
            client.get(f"/s/{valid}/")  # ends in 429
        client.get(f"/s/{valid}")  # redirect to the slash
        logging.getLogger("django.request").warning("Not Found: %s", f"/s/{unknown}/")
    text = caplog.text
    assert "Forbidden" in text, "the CSRF refusal was logged (the test watches real logs)"
    assert "/s/[redacted]" in text
    assert valid not in text
    assert unknown not in text
    application.refresh_from_db()
    assert application.status == "active"


def test_tokens_are_per_application(client: Client, job: Job) -> None:
    mine = factories.make_application(job=job, email="mine@example.net")
    theirs = factories.make_application(job=job, email="theirs@example.net")
    token = tokens.issue_token(mine)
    assert tokens.lookup(token) == mine
    assert tokens.lookup(token) != theirs
    assert Application.objects.count() == 2
