"""A seeker's mailbox over IMAP, against a real IMAP4rev1 server on loopback (tests/seeker/
imap_server.py), read by the real network loop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from heardback.bridges import secrets
from heardback.runtime import network
from heardback.seeker import imap
from heardback.seeker.models import MailAccount, MailKind, MailProposal

from . import mail_fixtures
from .conftest import make_seeker
from .imap_server import ImapServer
from .test_mail_classification import tracked

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
PASSWORD = "abcd efgh ijkl mnop"


@pytest.fixture
def server() -> Iterator[ImapServer]:
    imap_server = ImapServer(password=PASSWORD).start()
    try:
        yield imap_server
    finally:
        imap_server.stop()


def connect(client: Any, server: ImapServer, *, password: str = PASSWORD) -> Any:
    return client.post(
        reverse("seeker:mail_account"),
        {"host": "127.0.0.1", "port": server.port, "username": server.user,
         "password": password, "folder": "INBOX"},
    )  # fmt: skip


def test_a_connected_mailbox_is_read_by_the_network_loop(client: Any, server: ImapServer) -> None:
    owner = make_seeker()
    tracked(owner)
    client.force_login(owner)
    english = [f for f in mail_fixtures.load() if f.lang == "en"]
    for fixture in english:
        server.add(fixture.raw)
    assert connect(client, server).status_code == 302

    done = network.run_once(now=NOW)

    assert done["poll_mailboxes"] == 1
    hiring = [f for f in english if f.label != MailKind.OTHER]
    proposals = MailProposal.objects.filter(owner=owner)
    assert proposals.count() == len(hiring)
    assert set(proposals.values_list("source", flat=True)) == {"imap"}
    # Headers first; only relevant messages fetched whole; nothing marked read.
    whole = [c for c in server.commands if c.startswith("UID FETCH") and "[HEADER]" not in c]
    headers = [c for c in server.commands if c.startswith("UID FETCH") and "[HEADER]" in c]
    assert headers and all("BODY.PEEK" in c for c in whole + headers)
    fetched_whole = sum(c.split(" ", 3)[2].count(",") + 1 for c in whole)
    assert fetched_whole < len(english)  # the shop, the airline, the friend: never read
    assert all(not m.flags for m in server.folders["INBOX"])
    account = MailAccount.objects.get(owner=owner)
    assert account.last_uid == len(english) and account.uid_validity == server.uid_validity
    assert account.last_error == ""

    # Not due again for a while; then only what is new is read.
    assert network.run_once(now=NOW + timedelta(minutes=5))["poll_mailboxes"] == 0
    german = next(f for f in mail_fixtures.load() if f.subject == "Absage - Teamleiter Lager")
    server.add(german.raw)
    server.commands.clear()
    assert network.run_once(now=NOW + timedelta(minutes=16))["poll_mailboxes"] == 1
    assert any(f"UID {len(english) + 1}:*" in c for c in server.commands)
    assert proposals.count() == len(hiring) + 1
    assert MailAccount.objects.get(owner=owner).last_uid == len(english) + 1


def test_the_app_password_is_encrypted_at_rest_and_can_be_removed(
    client: Any, server: ImapServer
) -> None:
    owner = make_seeker()
    client.force_login(owner)
    connect(client, server)
    account = MailAccount.objects.get(owner=owner)
    assert PASSWORD not in account.password_encrypted
    assert secrets.decrypt(account.password_encrypted) == PASSWORD
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {MailAccount._meta.db_table}")  # noqa: S608
        assert not any(PASSWORD in str(cell) for row in cursor.fetchall() for cell in row)
    page = client.get(reverse("seeker:mail")).content.decode()
    assert PASSWORD not in page and "Disconnect and delete the password" in page

    assert client.post(reverse("seeker:mail_account_remove")).status_code == 302
    assert not MailAccount.objects.filter(owner=owner).exists()
    assert network.run_once(now=NOW)["poll_mailboxes"] == 0
    assert server.logins == 0


def test_a_wrong_password_is_said_plainly_and_nothing_is_read(
    client: Any, server: ImapServer
) -> None:
    owner = make_seeker()
    client.force_login(owner)
    server.add(mail_fixtures.load()[0].raw)
    connect(client, server, password="an old app password")
    assert network.run_once(now=NOW)["poll_mailboxes"] == 1
    account = MailAccount.objects.get(owner=owner)
    assert account.last_error == imap.MESSAGES["login"]
    assert not MailProposal.objects.filter(owner=owner).exists()
    assert "didn't accept the username and app password" in client.get(
        reverse("seeker:mail")
    ).content.decode().replace("&#x27;", "'")


def test_a_server_that_trickles_is_cut_off_at_the_deadline(
    server: ImapServer, settings: Any
) -> None:
    settings.NETWORK_FETCH_DEADLINE_SECONDS = 0.25  # six of them for a whole read: 1.5 s
    server.trickle = 0.2  # a byte every 0.2 s: "OK LOGIN completed" alone takes 5 s
    server.add(mail_fixtures.load()[0].raw)
    job = imap.Job(
        host="127.0.0.1", port=server.port, username=server.user, password=PASSWORD,
        folder="INBOX", uid_validity=None, last_uid=0, since=NOW - timedelta(days=90),
        applications=[], max_messages=10,
    )  # fmt: skip
    started = time.monotonic()
    with pytest.raises(imap.MailboxError) as failed:
        imap.read(job, deadline=1.5)
    elapsed = time.monotonic() - started
    assert failed.value.reason == "deadline"
    assert 1.4 < elapsed < 3.0


def test_in_production_only_public_servers_on_993_with_tls(
    client: Any, server: ImapServer, settings: Any
) -> None:
    settings.OUTBOUND_HTTP_ALLOW_PRIVATE = False
    owner = make_seeker()
    client.force_login(owner)
    response = connect(client, server)
    assert response.status_code == 400
    assert "port 993 (IMAP with TLS) only" in response.content.decode()
    job = imap.Job(
        host="127.0.0.1", port=993, username="x", password="y", folder="INBOX",
        uid_validity=None, last_uid=0, since=NOW, applications=[], max_messages=10,
    )  # fmt: skip
    with pytest.raises(imap.MailboxError) as failed:
        imap.read(job, deadline=2)
    assert failed.value.reason == "private"
    assert server.logins == 0


def test_a_missing_folder_is_said_plainly(server: ImapServer) -> None:
    job = imap.Job(
        host="127.0.0.1", port=server.port, username=server.user, password=PASSWORD,
        folder="Jobs", uid_validity=None, last_uid=0, since=NOW, applications=[],
        max_messages=10,
    )  # fmt: skip
    with pytest.raises(imap.MailboxError) as failed:
        imap.read(job, deadline=5)
    assert failed.value.reason == "folder"


def test_a_new_uidvalidity_reads_the_folder_afresh(server: ImapServer) -> None:
    for fixture in mail_fixtures.load()[:3]:
        server.add(fixture.raw)
    job = imap.Job(
        host="127.0.0.1", port=server.port, username=server.user, password=PASSWORD,
        folder="INBOX", uid_validity=999, last_uid=3, since=NOW - timedelta(days=90),
        applications=[], max_messages=10,
    )  # fmt: skip
    fetched = imap.read(job, deadline=5)
    assert fetched.uid_validity == server.uid_validity and fetched.last_uid == 3
    assert fetched.seen == 3
