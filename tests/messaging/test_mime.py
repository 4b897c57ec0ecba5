"""The direct MIME builder says exactly what the email package would say, for any text."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heardback.messaging.mime import _build_direct, build_mime, build_mime_with_email_package
from heardback.messaging.models import Message

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
names = st.one_of(
    st.sampled_from(["", "Ada Lovelace", 'Ada "the Countess" Lovelace', "O'Brien, Pat", "Zoë"]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=120),
)


def make(**fields: object) -> Message:
    base: dict[str, object] = {
        "pk": 42,
        "to_email": "ada@example.net",
        "to_name": "Ada Lovelace",
        "from_email": "Acme Robotics <jobs@acme.example>",
        "reply_to": "",
        "subject": "Hello",
        "body_text": "Hello\n",
        "body_html": "<p>Hello</p>",
        "language": "en",
        "automated": False,
        "created_at": datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
    }
    base.update(fields)
    return Message(**base)


def parsed(data: bytes) -> EmailMessage:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        assert len(line) <= 998
    assert b"\n" not in data.replace(b"\r\n", b"")  # only CRLF line ends on the wire
    return message_from_bytes(data, policy=default_policy)  # type: ignore[return-value]


def summary(message: EmailMessage) -> dict[str, object]:
    def addresses(name: str) -> list[tuple[str, str]]:
        header = message[name]
        if header is None:
            return []
        return [(a.display_name, a.addr_spec) for a in header.addresses]

    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    return {
        "headers": sorted(k.lower() for k in message if not k.lower().startswith("content-t")),
        "from": addresses("From"),
        "to": addresses("To"),
        "reply_to": addresses("Reply-To"),
        "subject": str(message["Subject"]),
        "date": str(message["Date"]),
        "message_id": str(message["Message-ID"]),
        "language": str(message["Content-Language"]),
        "auto": str(message["Auto-Submitted"]),
        "plain": plain.get_content() if plain is not None else None,
        "html": html.get_content() if html is not None else None,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    to_name=names,
    subject=text,
    body_text=text,
    body_html=st.one_of(st.just(""), text),
    automated=st.booleans(),
    reply_to=st.sampled_from(["", "team@acme.example", "Hiring Team <team@acme.example>"]),
    language=st.sampled_from(["en", "de", "es", "pt-BR"]),
)
def test_direct_builder_matches_the_email_package(
    to_name: str,
    subject: str,
    body_text: str,
    body_html: str,
    automated: bool,
    reply_to: str,
    language: str,
) -> None:
    message = make(
        to_name=to_name,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        automated=automated,
        reply_to=reply_to,
        language=language,
    )
    direct = build_mime(message)
    reference = build_mime_with_email_package(message)
    assert summary(parsed(direct)) == summary(parsed(reference))


def test_the_everyday_message_takes_the_direct_path() -> None:
    message = make(to_name="Zoë Müller", subject="Grüße, {{ job }}", body_text="Grüße\n")
    assert _build_direct(message) is not None


def test_unusual_addresses_fall_back_to_the_email_package() -> None:
    message = make(to_email='"odd local"@example.net')
    assert _build_direct(message) is None
    assert summary(parsed(build_mime(message)))["to"] == [
        ("Ada Lovelace", '"odd local"@example.net')
    ]
