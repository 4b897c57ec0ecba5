"""Building Ontario employers and moving time for the compliance tests."""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine

from heardback import clock
from heardback.compliance import services
from heardback.hiring.models import Org, Role
from heardback.promises import scheduler
from tests.factories import make_member, make_org


def ontario_org(
    *, employees: int | None = 120, jurisdiction: str = "ontario", **extra: object
) -> Org:
    org = make_org(country="CA", subdivision="ON", time_zone="America/Toronto", **extra)  # type: ignore[arg-type]
    admin = make_member(org=org, role=Role.ADMIN)
    services.set_org_settings(
        org=org,
        jurisdiction=jurisdiction,
        employee_count=employees,
        notice_counts_as_answer=None,
        actor=admin,
    )
    return org


def run_clock(
    traveller: time_machine.Coordinates, until: datetime, step: timedelta = timedelta(hours=6)
) -> None:
    """A scheduler round every `step` until `until`, as a real scheduler would see time."""
    now = clock.now()
    while now < until:
        now = min(now + step, until)
        traveller.move_to(now)
        scheduler.run_until_idle()
