"""A double-clicked apply button: two requests apply at the same moment with the same email.

The promise of `apply` is "applying twice returns the first application and sends one
acknowledgement". That must hold when the two calls overlap, not only when they follow
each other, so each pair below starts together behind a barrier, in its own thread and
database connection.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from heardback.hiring import services
from heardback.hiring.models import Application, Job
from heardback.messaging.models import Message
from tests import factories


@pytest.mark.django_db(transaction=True)
def test_simultaneous_duplicate_applies_give_one_application_and_one_ack() -> None:
    org = factories.make_org()
    job: Job = factories.make_job(org=org)
    pairs = 10
    results: dict[int, list[object]] = {i: [] for i in range(pairs)}

    def apply(index: int, barrier: threading.Barrier) -> None:
        try:
            barrier.wait()
            application = services.apply(
                job=job, name=f"Twin {index}", email=f"twin{index}@example.net"
            )
            results[index].append(application.pk)
        except Exception as error:  # collected and asserted on in the test's thread
            results[index].append(error)
        finally:
            connection.close()

    for index in range(pairs):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=apply, args=(index, barrier)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    errors = [r for rs in results.values() for r in rs if isinstance(r, Exception)]
    assert errors == [], f"{len(errors)} of {2 * pairs} applies failed: {errors[:1]!r}"
    for index, pks in results.items():
        assert len(set(pks)) == 1, f"pair {index} got two different applications"
    assert Application.objects.filter(job=job).count() == pairs
    assert Message.objects.filter(kind="acknowledgement").count() == pairs
