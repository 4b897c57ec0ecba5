"""Nothing a candidate or recruiter types can add a header to the bytes an SMTP server gets.

Every test delivers over real SMTP and inspects the raw bytes the server received: header
names are read line by line (a continuation line starts with white space), so an injected
`Bcc:` line would show up as a header of its own.
"""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from heardback import clock
from heardback.hiring import services
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.messaging.rendering import Rendered
from heardback.messaging.services import enqueue
from tests import factories
from tests.smtp import Received, SmtpServer

SEPARATORS = {
    "crlf": "\r\n",
    "cr": "\r",
    "lf": "\n",
    "line-separator": "\u2028",
    "paragraph-separator": "\u2029",
    "next-line": "\x85",
    "vertical-tab": "\v",
    "form-feed": "\f",
}
ALLOWED_HEADERS = {
    "from",
    "to",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "x-heardback-kind",
    "content-language",
    "auto-submitted",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def raw_header_names(data: bytes) -> list[str]:
    head = data.split(b"\r\n\r\n", 1)[0]
    names = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the previous header
        name, colon, _ = line.partition(b":")
        assert colon, f"a header line without a colon: {line!r}"
        names.append(name.decode("ascii").lower())
    return names


def assert_clean(received: Received) -> None:
    names = raw_header_names(received.data)
    assert set(names) <= ALLOWED_HEADERS, names
    assert len(names) == len(set(names)), f"a repeated header: {names}"
    parsed = message_from_bytes(received.data, policy=default_policy)
    assert {key.lower() for key in parsed} <= ALLOWED_HEADERS
    assert "victim@example.org" not in received.rcpt_tos


@pytest.mark.parametrize("separator", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_a_candidate_name_cannot_add_headers(
    db: None, smtp_server: SmtpServer, separator: str
) -> None:
    org = factories.make_org()
    job = factories.make_job(org=org, title=f"Engineer{separator}X-Job: 1")
    # The stage template puts the candidate's name in the subject, too.
    job.pipeline.stages.update(subject_template="Hi {{ candidate_name }}")
    application = services.apply(
        job=job,
        name=f"Eve{separator}Bcc: victim{separator}X-Evil: 1",
        email="eve@example.net",
    )
    services.advance(application=application, actor=None)

    delivery.drain()

    assert len(smtp_server.received) == 2
    flat = "Eve Bcc: victim X-Evil: 1"
    for received in smtp_server.received:
        assert_clean(received)
        assert received.rcpt_tos == ["eve@example.net"]
        assert received.message["To"].addresses[0].display_name == flat
    ack, update = smtp_server.received
    assert str(ack.message["Subject"]) == "We received your application for Engineer X-Job: 1"
    assert str(update.message["Subject"]) == f"Hi {flat}"


@pytest.mark.parametrize("separator", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_subjects_and_reply_to_through_the_outbox_are_single_lines(
    db: None, smtp_server: SmtpServer, separator: str
) -> None:
    enqueue(
        idempotency_key="k",
        to_email="ann@example.net",
        to_name=f"Ann{separator}Cc: victim@example.org",
        rendered=Rendered(
            subject=f"Hello{separator}Bcc: victim@example.org{separator}{separator}body",
            text="Body\n",
            html="",
        ),
        kind="test",
        reply_to=f"Team <team@example.com>{separator}Bcc: victim@example.org",
    )

    delivery.drain()

    [received] = smtp_server.received
    assert_clean(received)
    assert str(received.message["Subject"]) == "Hello Bcc: victim@example.org body"
    assert received.text.strip() == "Body"


@pytest.mark.parametrize("separator", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_a_row_written_by_other_code_still_cannot_inject(
    db: None, smtp_server: SmtpServer, separator: str
) -> None:
    """build_mime single-lines again, so even a row that skipped enqueue() is safe."""
    now = clock.now()
    Message.objects.create(
        to_email="ann@example.net",
        to_name=f"Ann{separator}Bcc: victim@example.org",
        from_email=f"Heardback{separator}X-Evil: 1 <no-reply@heardback.localhost>",
        reply_to=f"team@example.com{separator}Bcc: victim@example.org",
        subject=f"Hi{separator}Bcc: victim@example.org",
        body_text=f"Line one{separator}line two\n",
        body_html="",
        language=f"en{separator}X: 1",
        kind="test",
        idempotency_key="raw",
        next_attempt_at=now,
        created_at=now,
    )

    report = delivery.drain()

    assert report.sent == 1
    [received] = smtp_server.received
    assert_clean(received)
    assert str(received.message["Subject"]) == "Hi Bcc: victim@example.org"
