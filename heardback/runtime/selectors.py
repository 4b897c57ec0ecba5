"""What needs a person: items that keep failing, templates that failed at send time, and
background processes that stopped saying they are alive.

Read by the console's banner and problems page, the admins' daily digest and
`heardback doctor`. Ground level like the rest of runtime: it knows faults and heartbeats and
nothing of hiring (the overdue-work counts, which need the hiring models, live in
`heardback.promises.selectors`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, Window

from heardback.clock import dates
from heardback.clock.business import UnknownTimeZone, zone
from heardback.runtime.isolation import NEEDS_A_PERSON_AFTER, backoff
from heardback.runtime.models import Fault, Heartbeat

TEMPLATE = "template"  # the source of a recruiter's template that failed at send time
ROUND = "round"  # the item of a step that failed as a whole

# A template failure is a report of something that happened (the candidate got the built-in
# text), not a retry in progress, and some are never resolved (a one-off decline text): after
# a week without a new failure it no longer asks for anyone's attention.
TEMPLATE_WINDOW = timedelta(days=7)
# A failing item is retried at least hourly (the backoff's cap), and a whole step every round.
# One not failed again for a day is history: its item is no longer due (someone decided, say)
# and nothing will ever run it again to mark it resolved.
STILL_FAILING_WINDOW = timedelta(days=1)

STALE_AT_LEAST = timedelta(minutes=2)
ERROR_IN_LINE = 200  # characters of the last error quoted in a one-line summary


@dataclass(frozen=True)
class Problem:
    """One open fault that needs a person, with the sentence that tells them."""

    id: int
    org_id: int | None
    source: str
    item: str
    label: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    next_try_at: datetime
    error: str
    line: str

    @property
    def is_template(self) -> bool:
        return self.source == TEMPLATE

    @property
    def is_round(self) -> bool:
        return self.item == ROUND


@dataclass(frozen=True)
class ProcessBeat:
    process: str
    role: str
    started_at: datetime
    beat_at: datetime
    stale: bool
    detail: dict


def needs_a_person(now: datetime) -> Q:
    """The open faults a person should look at (see the two windows above)."""
    recent_template = Q(source=TEMPLATE, last_failed_at__gte=now - TEMPLATE_WINDOW)
    stuck = (
        ~Q(source=TEMPLATE)
        & Q(last_failed_at__gte=now - STILL_FAILING_WINDOW)
        & (Q(attempts__gte=NEEDS_A_PERSON_AFTER) | Q(item=ROUND))
    )
    return Q(resolved_at__isnull=True) & (recent_template | stuck)


def problems_for_org(
    *, org_id: int, now: datetime, time_zone: str = "UTC", limit: int | None = None
) -> list[Problem]:
    """The org's open problems, most recent first; times written in `time_zone`."""
    faults = Fault.objects.filter(needs_a_person(now), org_id=org_id).order_by(
        "-last_failed_at", "-id"
    )
    if limit is not None:
        faults = faults[:limit]
    return [_problem(fault, time_zone=time_zone) for fault in faults]


def problem_summary(
    *, org_id: int, now: datetime, time_zone: str = "UTC", show: int = 3
) -> tuple[int, list[Problem]]:
    """How many problems the org has, and the `show` most recent: one query, for the banner
    on every console page (the count rides along as a window over the same rows)."""
    rows = list(
        Fault.objects.filter(needs_a_person(now), org_id=org_id)
        .annotate(total=Window(Count("id")))
        .order_by("-last_failed_at", "-id")[:show]
    )
    if not rows:
        return 0, []
    total: int = rows[0].total
    return total, [_problem(fault, time_zone=time_zone) for fault in rows]


def orgs_with_problems(*, now: datetime) -> list[int]:
    org_ids = (
        Fault.objects.filter(needs_a_person(now), org_id__isnull=False)
        .values_list("org_id", flat=True)
        .distinct()
    )
    return sorted(org_id for org_id in org_ids if org_id is not None)


def all_problems(*, now: datetime) -> list[Problem]:
    """Every org's problems and the install's own (org None), grouped by org, times in UTC."""
    faults = Fault.objects.filter(needs_a_person(now)).order_by("org_id", "-last_failed_at", "-id")
    return [_problem(fault, time_zone="UTC") for fault in faults]


def stale_after(role: str) -> timedelta:
    """How long a process of `role` may go without a beat: three of its rounds, at least two
    minutes (a busy round may use several steps' time budgets)."""
    interval = {
        "network": settings.NETWORK_LOOP_INTERVAL_SECONDS,
    }.get(role, settings.SCHEDULER_INTERVAL_SECONDS)
    return max(timedelta(seconds=3 * interval), STALE_AT_LEAST)


def heartbeats(*, now: datetime) -> list[ProcessBeat]:
    return [
        ProcessBeat(
            process=beat.process,
            role=beat.role,
            started_at=beat.started_at,
            beat_at=beat.beat_at,
            stale=now - beat.beat_at > stale_after(beat.role),
            detail=beat.detail,
        )
        for beat in Heartbeat.objects.order_by("role", "process")
    ]


def missing_roles(beats: list[ProcessBeat], *, expected: tuple[str, ...]) -> list[str]:
    """The expected roles with no live process. A crashed process leaves a stale row behind;
    only a role with no fresh beat at all means its work has stopped."""
    alive = {beat.role for beat in beats if not beat.stale}
    return [role for role in expected if role not in alive]


# --- the sentences ------------------------------------------------------------------------


def _problem(fault: Fault, *, time_zone: str) -> Problem:
    return Problem(
        id=fault.pk,
        org_id=fault.org_id,
        source=fault.source,
        item=fault.item,
        label=fault.label,
        attempts=fault.attempts,
        first_failed_at=fault.first_failed_at,
        last_failed_at=fault.last_failed_at,
        next_try_at=fault.next_try_at,
        error=fault.last_error,
        line=describe(fault, time_zone=time_zone),
    )


def describe(fault: Fault, *, time_zone: str = "UTC") -> str:
    """One plain sentence: what failed, since when, what we do about it, and the error."""
    error = _short(fault.last_error)
    since = _when(fault.first_failed_at, time_zone)
    if fault.source == TEMPLATE:
        where = _capitalized(fault.label or f"a template ({fault.item})")
        times = "" if fault.attempts <= 1 else f" ({fault.attempts} times since {since})"
        who = "the candidate" if fault.item.endswith(":decline") else "candidates"
        return f"{where} failed at send time{times}; {who} got the built-in text: {error}"
    if fault.item == ROUND:
        return (
            f"The scheduler step “{fault.source}” has failed as a whole {_times(fault.attempts)} "
            f"since {since}; the other steps go on. Last error: {error}"
        )
    what = _capitalized(fault.label or f"the “{fault.source}” step")
    verb = "have" if _plural(fault.label) else "has"
    return (
        f"{what} {_scope(fault.item)} {verb} failed {_times(fault.attempts)} since {since}; "
        f"we retry every {_duration(backoff(fault.attempts))}. Last error: {error}"
    )


def _scope(item: str) -> str:
    kind, _, rest = item.partition(":")
    if kind == "org":
        return "for your organisation"
    number = rest.split(":", 1)[0]
    if number.isdigit():
        return f"({kind.replace('_', '-')} #{number})"
    return f"({item})"


def _plural(label: str) -> bool:
    # Labels are short noun phrases: "reminders", "nudges", "a held decline", "the close-out of…".
    first = label.split(" ", 1)[0].lower()
    return label.endswith("s") and first not in ("a", "an", "the")


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _short(error: str) -> str:
    error = error or "no detail was recorded"
    return error if len(error) <= ERROR_IN_LINE else error[: ERROR_IN_LINE - 1] + "…"


def _when(moment: datetime, time_zone: str) -> str:
    try:
        local = moment.astimezone(zone(time_zone))
    except UnknownTimeZone:
        local = moment.astimezone(zone("UTC"))
    return f"{dates.format(local, 'datetime', language='en')} {local.tzname()}"


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes >= 60 and minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return "minute" if minutes == 1 else f"{minutes} minutes"
