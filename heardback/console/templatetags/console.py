"""Small display helpers for console templates (no business rules here)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template

from heardback import clock
from heardback.console.selectors import due_mark as _due_mark
from heardback.hiring.models import Application

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
