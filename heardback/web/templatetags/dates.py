"""`{{ moment|when:"short" }}`: a date in the one style of the page's language
(`heardback.clock.dates`), in the active time zone (UTC unless a view activates another)."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

from heardback.clock import dates

register = template.Library()


@register.filter
def when(moment: datetime | date | None, style: str = "date") -> str:
    if moment is None or moment == "":
        return ""
    if style not in dates.STYLES:
        raise template.TemplateSyntaxError(f"when: unknown style {style!r}")
    if isinstance(moment, datetime) and timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return dates.format(moment, style)
