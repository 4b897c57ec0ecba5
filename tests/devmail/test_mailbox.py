"""The development mailbox shows headers as people read them, not as RFC 2047 encodes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from heardback.devmail import server
from heardback.devmail.views import readable
from heardback.messaging import delivery
from tests import factories
from tests.smtp import free_port

pytestmark = pytest.mark.django_db


def test_encoded_words_are_decoded() -> None:
    assert readable("=?utf-8?b?w5xiZXIgdW5z?=") == "Über uns"
    assert readable("=?utf-8?q?Gr=C3=BC=C3=9Fe?= aus Berlin") == "Grüße aus Berlin"
    assert readable("plain text") == "plain text"
    # A broken encoded word is shown as it arrived, never an error page.
    assert readable("=?x-unknown?b?####?=") == "=?x-unknown?b?####?="


def test_the_mailbox_page_decodes_real_mail(settings: Any, tmp_path: Path) -> None:
    """Mail goes over real SMTP into the dev server's Maildir; the pages read it back."""
    maildir = tmp_path / "mailbox"
    port = free_port()
    controller = server.start(maildir, port=port)
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
    settings.DEVMAIL_MAILDIR = maildir
    settings.DEVMAIL_ENABLED = True
    try:
        org = factories.make_org(name="Südwind Küchen")
        job = factories.make_job(org=org, title="Köchin für Frühstück")
        factories.make_application(
            job=job, name="Zoë Łukasiewicz", email="zoe@example.net", language="de"
        )
        assert delivery.drain().sent == 1
    finally:
        controller.stop()
    raw = next(maildir.joinpath("new").iterdir()).read_bytes()
    assert b"=?utf-8?" in raw  # the headers really were encoded on the wire
    client = Client()
    inbox = client.get("/dev/mailbox/").content.decode()
    assert "Köchin für Frühstück" in inbox
    assert "Zoë Łukasiewicz" in inbox
    assert "=?utf-8?" not in inbox
    key = inbox.split('href="/dev/mailbox/', 1)[1].split("/", 1)[0]
    detail = client.get(f"/dev/mailbox/{key}/").content.decode()
    assert "Südwind Küchen" in detail and "=?utf-8?" not in detail
