"""The kinds of webhook an endpoint can subscribe to: one enum, used by the fan-out, the
console's checkboxes, the docs and the tests."""

from __future__ import annotations

from django.db import models


class EventType(models.TextChoices):
    APPLICATION_CREATED = "application.created", "A candidate applied"
    APPLICATION_ACKNOWLEDGED = (
        "application.acknowledged",
        "The acknowledgement reached the candidate's mail server",
    )
    APPLICATION_MOVED = "application.moved", "An application moved to another stage"
    APPLICATION_DECLINED = "application.declined", "A candidate was declined"
    APPLICATION_HIRED = "application.hired", "A candidate was hired"
    APPLICATION_WITHDRAWN = "application.withdrawn", "A candidate withdrew"
    PROMISE_DUE = "promise.due", "A promise fell due undecided (the owner was nudged)"
    PROMISE_MISSED = (
        "promise.missed",
        "A promise passed undecided; the candidate got an honest “no decision yet”",
    )
    MESSAGE_DELIVERED = "message.delivered", "A message reached the candidate's mail server"
    MESSAGE_FAILED = "message.failed", "A message could not be delivered (candidate unreachable)"
    JOB_CLOSED = "job.closed", "A job was closed or filled"
    CLOSEOUT_FINISHED = "closeout.finished", "Every candidate of a closed job got a final message"


# Sent only when an admin asks for it ("send a test event"), whatever an endpoint subscribes to.
TEST_EVENT = "webhook.test"
