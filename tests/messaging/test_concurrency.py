"""Many workers at once: concurrent claims never hand one message to two workers."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from django.db import connection

from heardback.messaging.delivery import claim_batch
from heardback.messaging.models import Message, MessageStatus
from tests.messaging import processes
from tests.messaging.conftest import queue_messages

CLAIM_SCRIPT = """
import json, os, time
from heardback.messaging.delivery import claim_batch
print("READY", flush=True)
while not os.path.exists(os.environ["START_FLAG"]):
    time.sleep(0.005)
ids = []
while batch := claim_batch(worker_id=os.environ["WORKER_ID"], size=5):
    ids += [m.pk for m in batch]
print("CLAIMED", json.dumps(ids))
"""


def assert_disjoint_and_complete(claims: dict[str, list[int]], expected: set[int]) -> None:
    everything = [pk for ids in claims.values() for pk in ids]
    assert len(everything) == len(set(everything)), "a message was claimed twice"
    assert set(everything) == expected
    leased = dict(Message.objects.values_list("id", "leased_by"))
    for worker, ids in claims.items():
        assert {leased[pk] for pk in ids} <= {worker}


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_from_threads_are_disjoint() -> None:
    expected = {m.pk for m in queue_messages(300)}
    claims: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(worker: str) -> None:
        ids: list[int] = []
        try:
            barrier.wait()
            while batch := claim_batch(worker_id=worker, size=7):
                ids += [m.pk for m in batch]
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            claims[worker] = ids
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert_disjoint_and_complete(claims, expected)
    assert Message.objects.exclude(status=MessageStatus.SENDING).count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_from_processes_are_disjoint(tmp_path: Path) -> None:
    expected = {m.pk for m in queue_messages(1000)}
    start_flag = tmp_path / "start"
    running = {
        f"proc{i}": processes.start(
            ["shell", "-c", CLAIM_SCRIPT],
            env=processes.process_env(
                email_url="smtp://127.0.0.1:9",
                var_dir=tmp_path,
                START_FLAG=str(start_flag),
                WORKER_ID=f"proc{i}",
            ),
        )
        for i in range(3)
    }
    claims: dict[str, list[int]] = {}
    try:
        # All three start claiming at the same moment, however long each took to boot.
        for process in running.values():
            assert process.stdout is not None
            # `shell` may print a line of its own first (its automatic imports).
            while (line := process.stdout.readline()) and line.strip() != b"READY":
                pass
            assert line.strip() == b"READY", process.stderr.read().decode()  # type: ignore[union-attr]
        start_flag.touch()
        for worker, process in running.items():
            out, err = process.communicate(timeout=180)
            assert process.returncode == 0, err.decode()
            line = next(ln for ln in out.decode().splitlines() if ln.startswith("CLAIMED "))
            claims[worker] = json.loads(line.removeprefix("CLAIMED "))
    finally:
        processes.stop(list(running.values()))

    assert_disjoint_and_complete(claims, expected)
    # Each process took a share: they really ran side by side.
    assert all(claims.values()), {w: len(ids) for w, ids in claims.items()}
