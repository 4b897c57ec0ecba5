"""One webhook closes a job with 5,000 candidates: one close-out, 5,000 final messages on the
SMTP server, each exactly once, however often the ATS sends the close."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction

from heardback.bridges.models import AtsLink
from heardback.hiring.models import Application, ApplicationStatus, Candidate, Job, JobStatus
from heardback.messaging import delivery
from heardback.messaging.models import Message
from heardback.promises import scheduler
from heardback.promises.models import CloseOut
from tests.bridges.conftest import SECRET, LiveBridge
from tests.bridges.payloads import PROVIDERS, Story, encode

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

APPLICANTS = 5_000
PROVIDER = PROVIDERS["greenhouse"]


def post(bridge: LiveBridge, body: dict[str, Any]) -> int:
    raw = encode(body)
    return int(
        bridge.post_raw(
            raw, {**PROVIDER.headers(raw, SECRET), **PROVIDER.delivery_id()}
        ).status_code
    )


def clone_applications(bridge: LiveBridge, template: Application, count: int) -> None:
    """`count` more applications like the one the bridge made, as rows in bulk: applying
    5,000 candidates one by one would be most of the test's time, and what is under test
    here is the close. Each gets its own candidate and its own link to an ATS id."""
    with transaction.atomic():
        candidates = Candidate.objects.bulk_create(
            [
                Candidate(
                    org_id=bridge.org.pk,
                    name=f"Candidate {n}",
                    email=f"c{n}@example.net",
                    language="en",
                    time_zone=template.candidate.time_zone,
                    created_at=template.created_at,
                )
                for n in range(count)
            ],
            batch_size=1000,
        )
        applications = Application.objects.bulk_create(
            [
                Application(
                    org_id=bridge.org.pk,
                    job_id=template.job_id,
                    candidate=candidate,
                    stage_id=template.stage_id,
                    stage_entered_at=template.stage_entered_at,
                    created_at=template.created_at,
                    last_contacted_at=template.last_contacted_at,
                    respond_by=template.respond_by,
                    promise_watch=template.promise_watch,
                )
                for candidate in candidates
            ],
            batch_size=1000,
        )
        AtsLink.objects.bulk_create(
            [
                AtsLink(
                    connection=bridge.connection,
                    kind=AtsLink.Kind.APPLICATION,
                    external_id=str(10_000 + n),
                    local_id=application.pk,
                )
                for n, application in enumerate(applications)
            ],
            batch_size=1000,
        )


def test_a_job_of_5000_closed_by_one_webhook_tells_everyone_once(
    live_bridge: Any, smtp_server: Any
) -> None:
    started = time.monotonic()
    bridge = live_bridge("greenhouse")
    assert post(bridge, PROVIDER.application(Story(app_id=1, email="first@example.net"))) == 202
    scheduler.run_until_idle()
    first = Application.objects.select_related("candidate").get(org=bridge.org)
    clone_applications(bridge, first, APPLICANTS - 1)
    delivery.drain()  # the first candidate's acknowledgement
    smtp_server.handler.received.clear()

    close = PROVIDER.job_closed(4242, minute=60)
    assert post(bridge, close) == 202
    assert post(bridge, close) == 202  # sent again with a new delivery id: same state
    scheduler.run_until_idle()
    delivery.drain()
    scheduler.run_until_idle()  # nothing left to do: no second wave
    delivery.drain()

    assert CloseOut.objects.filter(job__org=bridge.org).count() == 1
    assert Job.objects.get(org=bridge.org).status == JobStatus.CLOSED
    assert not Application.objects.filter(org=bridge.org, status=ApplicationStatus.ACTIVE).exists()
    finals = Message.objects.filter(org_id=bridge.org.pk, final=True)
    assert finals.count() == APPLICANTS
    assert set(finals.values_list("kind", flat=True)) == {"close_out"}
    recipients = Counter(r for m in smtp_server.received for r in m.rcpt_tos)
    assert len(recipients) == APPLICANTS
    assert set(recipients.values()) == {1}
    if settings.DATABASE_VENDOR == "sqlite":  # the embedded default must keep up alone
        assert time.monotonic() - started < 60
