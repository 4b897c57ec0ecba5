"""Addresses: an internationalised domain is delivered (IDNA-encoded), machine-only
addresses and non-ASCII local parts are refused at apply with a clear message."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from heardback.hiring import services as hiring
from heardback.hiring.errors import HiringError
from heardback.hiring.models import Application, Candidate, Job
from heardback.messaging import delivery
from heardback.messaging.headers import clean_email_address
from heardback.messaging.models import Message, MessageStatus
from tests.input.conftest import apply_form, apply_url
from tests.smtp import SmtpServer


def test_an_internationalised_domain_is_stored_and_delivered_idna_encoded(
    client: Client, job: Job, smtp_server: SmtpServer, monday: datetime
) -> None:
    response = client.post(apply_url(job), apply_form(email="ana@bücher.example"))
    assert response.status_code == 200

    candidate = Candidate.objects.get()
    assert candidate.email == "ana@xn--bcher-kva.example"
    report = delivery.drain()

    assert (report.sent, report.failed) == (1, 0)
    assert smtp_server.received[0].rcpt_tos == ["ana@xn--bcher-kva.example"]
    assert Message.objects.get().status == MessageStatus.SENT
    candidate.refresh_from_db()
    assert candidate.unreachable_since is None
    # Typed either way, it is the same person: a repeat, not a second application.
    assert (
        client.post(apply_url(job), apply_form(email="ana@xn--BCHER-kva.example")).status_code
        == 200
    )
    assert hiring.apply(job=job, name="Ana", email="ana@BÜCHER.example").pk == (
        Application.objects.get().pk
    )


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("root@localhost", "not an address on the internet"),
        ("a@[127.0.0.1]", "names a machine's address"),
        ("a@[IPv6:::1]", "names a machine's address"),
        ("printer@office.local", "not an address on the internet"),
        ("jörg@example.com", "before the @ uses Latin letters"),
    ],
)
def test_undeliverable_addresses_are_refused_at_apply_with_a_clear_message(
    client: Client, job: Job, address: str, words: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        clean_email_address(address)
    assert words in " ".join(caught.value.messages)
    with pytest.raises(HiringError):
        hiring.apply(job=job, name="Ana Lima", email=address)

    response = client.post(apply_url(job), apply_form(email=address))

    assert response.status_code == 400
    assert Candidate.objects.count() == 0
    assert Message.objects.count() == 0


def test_a_lone_surrogate_in_an_address_is_refused_not_a_crash() -> None:
    with pytest.raises(ValidationError):
        clean_email_address("ana\udcff@example.com")
    with pytest.raises(ValidationError):
        clean_email_address("ana@exa\ud800mple.com")
