"""Small things a job seeker notices: possessives, misplaced good luck, overflowing links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from heardback.seeker.phrases import possessive
from heardback.seeker.views import added_message

from .conftest import make_seeker
from .test_status_feed import STATUS, StatusServer


@pytest.fixture
def status_server() -> Iterator[StatusServer]:
    server = StatusServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Acme", "Acme's"),
        ("Northwind Robotics", "Northwind Robotics'"),
        ("ACME SYSTEMS", "ACME SYSTEMS'"),
        ("Boss ", "Boss'"),
    ],
)
def test_possessives(name: str, expected: str) -> None:
    assert possessive(name) == expected


def test_good_luck_only_where_it_still_helps() -> None:
    assert added_message("Dev", "Acme", "applied").endswith("Fingers crossed.")
    assert "Fingers crossed" not in added_message("Dev", "Acme", "rejected")
    assert "Fingers crossed" not in added_message("Dev", "Acme", "applied", "declined")
    assert added_message("Dev", "Acme", "applied", "hired").endswith("Congratulations!")


@pytest.mark.django_db
def test_adding_a_closed_employer_application_says_no_fingers_crossed(
    status_server: StatusServer, client: Any
) -> None:
    closed = {**STATUS, "status": "declined", "stage": "closed", "stage_label": "Closed"}
    status_server.serve("/s/closed.json", {**closed, "respond_by": None})
    status_server.serve("/s/open.json", STATUS)
    client.force_login(make_seeker())
    with time_machine.travel(datetime(2026, 11, 25, 9, tzinfo=UTC), tick=False):
        for token, crossed in (("closed", False), ("open", True)):
            response = client.post("/seeker/applications/new/", {
                "company": "Northwind Robotics", "role": "Engineer", "applied_on": "2026-11-20",
                "link": f"{status_server.base}/s/{token}/",
            }, follow=True)  # fmt: skip
            page = response.content.decode()
            assert "Added Engineer at Northwind Robotics." in page
            assert ("Fingers crossed." in page) is crossed, token
