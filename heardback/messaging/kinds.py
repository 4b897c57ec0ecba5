"""Every kind of message Heardback sends: one enum, used by the outbox, the `X-Heardback-Kind`
header, the metrics, the portal, the simulator and the close-out's SQL."""

from __future__ import annotations

from django.db import models


class MessageKind(models.TextChoices):
    # To candidates
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    STAGE_UPDATE = "stage_update", "Stage update"
    NO_DECISION_YET = "no_decision_yet", "No decision yet"
    MORE_TIME = "more_time", "More time needed"
    STILL_REVIEWING = "still_reviewing", "Still in progress"
    DECLINE = "decline", "Decline"
    HIRED = "hired", "Hired"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CLOSE_OUT = "close_out", "Close-out"
    REOPENED = "reopened", "Reopened"
    SURVEY = "survey", "Survey invitation"
    STATUS_LINK = "status_link", "Status link on request"
    DATA_REQUEST = "data_request", "Answer to a data request"
    # To the team
    TEAM_REMINDER = "team_reminder", "Reminder to the owner"
    TEAM_NUDGE = "team_nudge", "Nudge to the owner"
    TEAM_ESCALATION = "team_escalation", "Escalation to admins"
    TEAM_PROBLEMS = "team_problems", "Problems that need a person"
    TEAM_WEBHOOK_DISABLED = "team_webhook_disabled", "A webhook endpoint was disabled"
    # To job seekers, and Django's own mail
    SEEKER_DIGEST = "seeker_digest", "Seeker's daily digest"
    SYSTEM = "system", "System mail"


# What a candidate hears that ends their application.
FINAL_KINDS = frozenset(
    {
        MessageKind.DECLINE,
        MessageKind.HIRED,
        MessageKind.WITHDRAWN,
        MessageKind.CLOSE_OUT,
    }
)
