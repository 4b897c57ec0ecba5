"""Small display helpers for console templates (no business rules here)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template

from heardback import clock
from heardback.console import listing
from heardback.console.selectors import due_mark as _due_mark
from heardback.hiring.models import Application, DeclineReason, EventKind

register = template.Library()


@register.filter
def due_mark(application: Application) -> str:
    return _due_mark(application, now=clock.now())


@register.filter
def days_since(moment: datetime | None) -> int:
    if moment is None:
        return 0
    return max(0, (clock.now() - moment).days)


@register.filter
def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


@register.filter
def duration(hours: float | timedelta | None) -> str:
    """Hours as "5 h", "3.5 days": the unit a person would use."""
    if hours is None:
        return "-"
    if isinstance(hours, timedelta):
        hours = hours.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.1f} days"


EVENT_LABELS = {
    "applied": "Applied",
    "hired": "Hired",
    "withdrawn": "Withdrew",
    "decline": "Declined",
    "decline_scheduled": "Decline held",
    "decline_cancelled": "Held decline cancelled",
    "promise_extended": "Asked for more time",
    "unreachable": "Email could not be delivered",
    "restored": "Back in the process (job reopened)",
    "close_out": "Closed with the job",
    "team_reminder": "Owner reminded",
    "team_nudge": "Owner nudged",
    "team_escalation": "Escalated to an admin",
    "no_decision_yet": "Told: no decision yet",
    "silence_update": "Sent an update (max silence)",
    "still_reviewing": "Told: still reviewing",
    "contact_updated": "Updated their contact details",
    "progress_updates_opt_out": "Opted out of progress updates",
    "survey": "Answered the survey",
}


@register.filter
def event_label(kind: str) -> str:
    """A person's words for an event kind; unknown kinds still read as words."""
    if kind in EVENT_LABELS:
        return EVENT_LABELS[kind]
    if kind in EventKind.values:
        return str(EventKind(kind).label)
    return kind.replace("_", " ").capitalize()


@register.filter
def reason_label(reason: str) -> str:
    return str(DeclineReason(reason).label) if reason in DeclineReason.values else reason


@register.filter
def outcome(application: Application) -> str:
    return listing.outcome(application)


@register.filter
def last_change(application: Application) -> datetime:
    return listing.last_change(application)


@register.filter
def get_item(mapping: dict[str, str], key: str) -> str:
    return mapping.get(key, "")
