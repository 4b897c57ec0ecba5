"""The import format: one row per application, these columns (documented in docs/import.md).

Header names are matched without regard to case, and spaces or hyphens count as
underscores ("Job title" is `job_title`). Columns may come in any order; a column that is
not listed here is refused, so a typo never silently drops data.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    max_length: int
    help: str


COLUMNS: tuple[Column, ...] = (
    Column("job_title", True, 200, "The job's title. A job with this title is created if the "
           "organisation has none."),
    Column("name", True, 200, "The candidate's full name."),
    Column("email", True, 254, "The candidate's email address (one candidate per address)."),
    Column("phone", False, 40, "Optional."),
    Column("language", False, 8, "en, de, es or fr (default en): the language of their emails."),
    Column("time_zone", False, 64, "An IANA time zone such as Europe/Berlin (default: the "
           "organisation's)."),
    Column("stage", False, 100, "The stage's name in that job's pipeline (default: the "
           "first stage)."),
    Column("applied_at", False, 40, "Optional: 2026-03-02 or 2026-03-02T09:30 (the "
           "organisation's time zone unless an offset is given)."),
    Column("owner_email", False, 254, "Optional: the member who owns a job the import "
           "creates (default: you)."),
)  # fmt: skip
BY_NAME = {column.name: column for column in COLUMNS}
KNOWN = frozenset(BY_NAME)
REQUIRED = tuple(column.name for column in COLUMNS if column.required)

EXAMPLE = (
    "job_title,name,email,phone,language,time_zone,stage,applied_at,owner_email\n"
    "Data Engineer,Ada Lovelace,ada@example.net,+44 20 7946 0000,en,Europe/London,Interview,"
    "2026-02-16,\n"
    "Data Engineer,Grace Hopper,grace@example.net,,en,America/New_York,,2026-02-20,\n"
    "Robot Whisperer,Jürgen Schmidt,juergen@example.de,,de,Europe/Berlin,Recruiter screen,,"
    "rita@acme.example\n"
)
