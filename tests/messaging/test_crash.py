"""kill -9 a delivery worker mid-batch: nothing is lost, duplicates stay within one batch.

Three real `heardback worker` processes deliver into the test's SMTP server; one is killed
with SIGKILL while it holds a leased batch. The survivors pick up its rows when the (short)
lease runs out. Every message must arrive (checked by Message-ID); the number that arrived
twice is printed and must not exceed the killed worker's batch size.
"""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import transaction
from django.db.models import QuerySet

from heardback.messaging.models import Message, MessageStatus
from tests.messaging import processes
from tests.messaging.conftest import queue_messages
from tests.smtp import SmtpServer

MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)
LEASE_SECONDS = 5


def wait_for(condition: object, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def message_ids(server: SmtpServer) -> list[str]:
    return [
        match.group(1).decode()
        for received in list(server.received)
        if (match := MESSAGE_ID.search(received.data))
    ]


def received_ids(server: SmtpServer) -> set[str]:
    return set(message_ids(server))


def run_crash(*, server: SmtpServer, tmp_path: Path, count: int, batch_size: int) -> None:
    with transaction.atomic():
        rows = queue_messages(count, prefix="crash")
    expected = {f"<hb.{m.pk}@heardback.localhost>" for m in rows}
    env = processes.process_env(
        email_url=server.url, var_dir=tmp_path, DELIVERY_LEASE_SECONDS=str(LEASE_SECONDS)
    )
    args = ["worker", "--batch-size", str(batch_size), "--idle-sleep", "0.2"]
    workers = [processes.start(args, env=env) for _ in range(3)]
    victim = workers[0]
    try:
        # Kill the victim in the worst moment: it holds a leased batch and has already handed
        # some of it to the server, but not yet marked it sent. SIGSTOP first, so it can't
        # move on between our look and the kill.
        def leased_to_victim() -> QuerySet[Message]:
            return Message.objects.filter(
                status=MessageStatus.SENDING, leased_by__contains=f":{victim.pid}:"
            )

        caught: dict[str, int] = {}

        def victim_frozen_mid_batch() -> bool:
            assert victim.poll() is None, victim.stderr.read().decode()  # type: ignore[union-attr]
            if not server.received:
                return False  # delivery has not started yet
            assert Message.objects.exclude(status=MessageStatus.SENT).exists(), (
                "everything was delivered before the victim could be caught mid-batch"
            )
            victim.send_signal(signal.SIGSTOP)
            leased = {
                f"<hb.{pk}@heardback.localhost>"
                for pk in leased_to_victim().values_list("id", flat=True)
            }
            already_sent = leased & received_ids(server)
            # Some sent but not all: it is inside its send loop. A group of accepted
            # messages may still be being marked (the database finishes a statement the
            # frozen worker already sent), so what stays stranded is checked after the kill.
            if already_sent and len(already_sent) < len(leased):
                caught.update(leased=len(leased), already_sent=len(already_sent))
                return True
            victim.send_signal(signal.SIGCONT)
            return False

        wait_for(victim_frozen_mid_batch, timeout=120, what="the victim to be caught mid-batch")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        time.sleep(0.5)  # what the dead worker's socket still carried reaches the server
        stranded = {
            f"<hb.{pk}@heardback.localhost>"
            for pk in leased_to_victim().values_list("id", flat=True)
        }
        # Accepted by the server but never marked: these, and only these, go out twice.
        resent = stranded & received_ids(server)
        print(
            f"\nkilled worker {victim.pid} holding {len(stranded)} leased message(s), "
            f"{len(resent)} of them already accepted by the server"
        )
        # Only messages the server had accepted can have been marked after the freeze.
        assert caught["leased"] - caught["already_sent"] <= len(stranded) <= caught["leased"]
        assert 0 < len(stranded) <= batch_size

        wait_for(
            lambda: not Message.objects.exclude(status=MessageStatus.SENT).exists(),
            timeout=180,
            what="every message to be marked sent",
        )
        for worker in workers[1:]:
            assert worker.poll() is None, "a surviving worker died"
    finally:
        processes.stop(workers)

    arrived = Counter(message_ids(server))
    missing = expected - set(arrived)
    duplicates = sum(n - 1 for n in arrived.values())
    print(f"{count} messages, {len(arrived)} distinct arrived, {duplicates} arrived twice")
    assert not missing, f"{len(missing)} messages were lost"
    assert set(arrived) == expected
    # The ones the victim sent but never marked go out again: at-least-once, bounded.
    assert len(resent) <= duplicates <= batch_size
    assert max(arrived.values()) <= 2


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_killing_a_worker_loses_nothing_on_postgres(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    run_crash(server=smtp_server, tmp_path=tmp_path, count=2000, batch_size=50)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_killing_a_worker_loses_nothing_small(smtp_server: SmtpServer, tmp_path: Path) -> None:
    """The same with fewer messages, on either database (on SQLite the three workers share
    one database file)."""
    run_crash(server=smtp_server, tmp_path=tmp_path, count=600, batch_size=20)
