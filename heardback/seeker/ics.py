"""The private iCalendar feed: the same reminders as "Needs you today", as all-day events."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from icalendar import Calendar, Event

from heardback import clock

from . import selectors
from .models import SeekerProfile


def build_feed(*, profile: SeekerProfile) -> bytes:
    today = selectors.local_today(profile)
    calendar = Calendar()
    calendar.add("prodid", "-//Heardback//Job-seeker companion//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Heardback: job search")
    calendar.add("x-published-ttl", "PT6H")
    stamp = clock.now()
    for reminder in selectors.all_reminders(profile=profile, today=today):
        # Overdue reminders sit on today, so they stay visible until done.
        day = max(reminder.due_on, today) if reminder.kind != "promise" else reminder.due_on
        event = Event()
        event.add("uid", f"{reminder.uid}@{settings.SITE_URL.split('://')[-1]}")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", reminder.title)
        event.add("description", f"{reminder.role} at {reminder.company}. {reminder.detail}")
        event.add("url", f"{settings.SITE_URL}/seeker/applications/{reminder.application_id}/")
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical
