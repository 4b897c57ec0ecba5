"""The apply form against a hostile user: what a stranger can do with someone else's address.

Anyone can type anyone's email into an apply form. That must not change what the employer
knows about that person, nor tell the stranger whether that person applied.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from heardback.hiring import services
from heardback.hiring.errors import HiringError
from heardback.hiring.models import Application, Candidate, Job
from heardback.messaging import delivery
from heardback.messaging.kinds import MessageKind
from heardback.messaging.links import LINK_SLOT
from heardback.messaging.models import Message
from tests import factories
from tests.portal.conftest import token_from
from tests.smtp import SmtpServer


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": "ada@example.net",
        "phone": "+44 20 7946 0000",
        "language": "en",
        "time_zone": "Europe/London",
        "consent": "on",
        "website": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _url(job: Job) -> str:
    return f"/jobs/{job.org.slug}/{job.slug}/"


# --- 1. a known address keeps its details -----------------------------------------------------

ATTACKER = {
    "email": "ADA@Example.NET",
    "name": "Mallory Impostor",
    "phone": "+1 555 0100",
    "language": "es",
    "time_zone": "America/New_York",
}


def test_applying_with_a_known_address_does_not_change_the_candidates_details(
    client: Client, job: Job, recruiter: Any
) -> None:
    other_job = factories.make_job(org=job.org, title="Gear Cutter", owner=recruiter)
    assert client.post(_url(job), _form()).status_code == 200

    response = client.post(_url(other_job), _form(**ATTACKER))

    assert response.status_code == 200
    candidate = Candidate.objects.get()
    assert (candidate.name, candidate.email, candidate.phone) == (
        "Ada Lovelace",
        "ada@example.net",
        "+44 20 7946 0000",
    )
    assert (candidate.language, candidate.time_zone) == ("en", "Europe/London")
    # The new application's acknowledgement goes to the stored person, as they asked for it.
    second = Application.objects.get(job=other_job)
    (ack,) = Message.objects.filter(application_id=second.pk)
    assert (ack.to_email, ack.to_name, ack.language) == ("ada@example.net", "Ada Lovelace", "en")


def test_the_api_and_imports_path_keeps_a_known_candidates_details_too(job: Job) -> None:
    first = services.apply(
        job=job, name="Ada Lovelace", email="ada@example.net", phone="1", language="de"
    )
    again = services.apply(job=job, source="api", **{**ATTACKER, "phone": "2"})

    assert again.pk == first.pk
    candidate = Candidate.objects.get()
    assert (candidate.name, candidate.phone, candidate.language) == ("Ada Lovelace", "1", "de")
    assert candidate.time_zone == "Europe/Berlin"  # the org's zone, from the first apply


@pytest.mark.parametrize("field", ["name", "phone", "language", "time_zone"])
def test_a_new_candidate_gets_what_they_typed(job: Job, field: str) -> None:
    application = services.apply(job=job, **{**ATTACKER, "email": "mallory@example.org"})
    assert getattr(application.candidate, field) == ATTACKER[field]


# --- 2. nobody learns who applied -------------------------------------------------------------

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _page(response: Any) -> str:
    """A response's HTML without its per-request CSRF token."""
    return CSRF.sub("", response.content.decode())


def _link_url(job: Job) -> str:
    return f"/jobs/{job.org.slug}/{job.slug}/status-link/"


def test_the_thank_you_page_is_the_same_whether_or_not_the_address_had_applied(
    client: Client, job: Job
) -> None:
    first = client.post(_url(job), _form())
    again = client.post(_url(job), _form(name="Mallory Impostor", phone="", language="en"))

    assert first.status_code == again.status_code == 200
    assert _page(first) == _page(again)
    assert "check your inbox" in _page(first)
    assert "already applied" not in _page(again)
    assert Application.objects.count() == 1


def test_the_status_link_page_is_the_same_whether_or_not_the_address_applied(
    client: Client, job: Job
) -> None:
    unknown = client.post(_link_url(job), {"link-email": "ada@example.net"})
    client.post(_url(job), _form())
    known = client.post(_link_url(job), {"link-email": "ada@example.net"})

    assert unknown.status_code == known.status_code == 200
    assert _page(unknown) == _page(known)
    assert "Please check your inbox" in _page(known)
    assert Message.objects.filter(kind=MessageKind.STATUS_LINK).count() == 1


def test_the_status_link_goes_to_the_stored_address_with_a_link_minted_when_sent(
    client: Client, job: Job, smtp_server: SmtpServer
) -> None:
    client.post(_url(job), _form())
    delivery.drain()
    (ack,) = smtp_server.to("ada@example.net")

    response = client.post(_link_url(job), {"link-email": "  ADA@Example.NET "})

    assert response.status_code == 200
    (stored,) = Message.objects.filter(kind=MessageKind.STATUS_LINK)
    assert stored.to_email == "ada@example.net"
    assert LINK_SLOT in stored.body_text  # the outbox row holds no live link
    delivery.drain()
    mails = smtp_server.to("ada@example.net")
    assert len(mails) == 2
    link_mail = mails[1]
    assert link_mail.subject == "Your status page for Robot Whisperer"
    token = token_from(link_mail.text)
    assert token != token_from(ack.text)
    assert client.get(f"/s/{token}/").status_code == 200
    assert token not in response.content.decode()


def test_a_candidate_who_opted_out_of_updates_still_gets_the_link_they_ask_for(
    client: Client, job: Job
) -> None:
    client.post(_url(job), _form())
    Candidate.objects.update(progress_updates_opt_out=True)

    client.post(_link_url(job), {"link-email": "ada@example.net"})

    assert Message.objects.filter(kind=MessageKind.STATUS_LINK).count() == 1
    assert Candidate.objects.get().progress_updates_opt_out  # their choice is unchanged


def test_status_link_requests_are_limited_per_email_whoever_asks(
    client: Client, job: Job, recruiter: Any, settings: Any
) -> None:
    settings.APPLY_LINK_RATE_PER_EMAIL = "1/h"
    other_job = factories.make_job(org=job.org, title="Gear Cutter", owner=recruiter)
    client.post(_url(job), _form())
    client.post(_url(other_job), _form())
    pages = [
        _page(
            client.post(
                _link_url(each), {"link-email": "ada@example.net"}, REMOTE_ADDR=f"10.0.0.{n}"
            )
        )
        .replace(each.title, "JOB")
        .replace(each.slug, "job")
        for n, each in enumerate([job, other_job, job, other_job])
    ]

    # Every client got the same answer, but the mailbox got one link, not four.
    assert len(set(pages)) == 1
    assert Message.objects.filter(kind=MessageKind.STATUS_LINK).count() == 1


def test_status_link_requests_are_limited_per_client(
    client: Client, job: Job, settings: Any
) -> None:
    settings.APPLY_LINK_RATE_PER_ADDRESS = "3/h"
    for n in range(3):
        assert client.post(_link_url(job), {"link-email": f"x{n}@example.net"}).status_code == 200
    refused = client.post(_link_url(job), {"link-email": "x9@example.net"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    other = client.post(_link_url(job), {"link-email": "x9@example.net"}, REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 200


def test_the_status_link_form_is_on_the_job_page(client: Client, job: Job) -> None:
    html = client.get(_url(job)).content.decode()
    assert f'action="{_link_url(job)}"' in html
    assert "Email me my status link" in html


# --- 4. names: nothing invisible, nothing that becomes a link -------------------------------

INVISIBLE = {
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "right-to-left isolate": "\u2067",
    "first strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
    "zero width space": "\u200b",
    "zero width non-joiner": "\u200c",
    "zero width joiner": "\u200d",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "byte order mark": "\ufeff",
    "arabic letter mark": "\u061c",
    "soft hyphen": "\u00ad",
    "word joiner": "\u2060",
    "tag latin small a": "\U000e0061",
}


@pytest.mark.parametrize("char", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_invisible_and_bidi_characters_never_reach_the_console_or_the_to_header(
    client: Client, job: Job, smtp_server: SmtpServer, char: str
) -> None:
    response = client.post(_url(job), _form(name=f"Ada{char} Love{char}lace{char}"))

    assert response.status_code == 200, response.content.decode()
    assert Candidate.objects.get().name == "Ada Lovelace"
    delivery.drain()
    (mail,) = smtp_server.to("ada@example.net")
    assert mail.message["To"].addresses[0].display_name == "Ada Lovelace"
    assert char.encode() not in mail.data


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\ufeff", "\x07", "\x1b"])
def test_the_api_path_strips_them_too(job: Job, char: str) -> None:
    application = services.apply(job=job, name=f"{char}Eve{char} Smith", email="eve@example.net")
    assert application.candidate.name == "Eve Smith"
    (ack,) = Message.objects.filter(application_id=application.pk)
    assert ack.to_name == "Eve Smith"


LINKS = [
    "Ada https://evil.example/login",
    "Ada http:/evil.example",
    "www.evil.example",
    "Ada evil.com",
    "Ada x.com",
    "Ada (evil.co/reset)",
    "Ada evil.example/x",
    "ada@evil.example",
    "Ada mailto:ada",
    "Ada javascript:alert(1)",
    "Ada 203.0.113.7",
    "Ada \uff45\uff56\uff49\uff4c\uff0e\uff43\uff4f\uff4d",  # full-width "evil.com"
    "Ada evil\u200b.com",  # a hidden character inside the domain
    "Ada evil\u3002com",  # the ideographic full stop, a dot to browsers
    "Ada Lovelace.dev",
]


@pytest.mark.parametrize("name", LINKS)
def test_a_name_holding_a_web_or_email_address_is_refused(
    client: Client, job: Job, name: str
) -> None:
    response = client.post(_url(job), _form(name=name))

    assert response.status_code == 400
    assert "Please enter just your name" in response.content.decode()
    assert Candidate.objects.count() == 0
    with pytest.raises(HiringError) as raised:
        services.apply(job=job, name=name, email="ada@example.net")
    assert "Please enter just your name" in " ".join(raised.value.message_dict["name"])
    assert Message.objects.count() == 0


def test_the_refusal_speaks_the_candidates_language(client: Client, job: Job) -> None:
    html = client.post(f"{_url(job)}?lang=de", _form(name="Ada evil.com")).content.decode()
    assert "Bitte geben Sie nur Ihren Namen an" in html


NAMES = [
    "J.R.R. Tolkien",
    "J.R.R.Tolkien",
    "Dr. Who",
    "A.B. Smith Jr.",
    "Mary-Jane O'Neil",
    "St. John-Smythe",
    "José Ñúñez-García",
    "李小龍",
    "محمد علي",
    "Ngũgĩ wa Thiong'o",
    "Zoë (Zo) Müller",
]


@pytest.mark.parametrize("name", NAMES)
def test_real_names_are_still_welcome_and_never_become_links(
    client: Client, job: Job, smtp_server: SmtpServer, name: str
) -> None:
    response = client.post(_url(job), _form(name=name))

    assert response.status_code == 200, response.content.decode()
    assert Candidate.objects.get().name == name
    delivery.drain()
    (mail,) = smtp_server.to("ada@example.net")
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    # The status link is the only link in the email.
    assert html.count("<a ") == 1


def test_a_name_of_nothing_but_invisible_characters_is_refused(job: Job) -> None:
    with pytest.raises(HiringError) as raised:
        services.apply(job=job, name="\u200b\u202e\ufeff", email="ada@example.net")
    assert raised.value.message_dict["name"] == ["Please enter your name."]
