"""The dry run: read the whole file once, streaming, and check every row.

Nothing in the hiring domain is written here. The checker keeps only what it needs to find
duplicates and to count (a small hash per row, the jobs, the stage names), looks rows up in
the database a chunk at a time, and hands each chunk of clean rows to `on_chunk` (which
stores it for the import) while no row has been bad.

A clean row is a list, the form it is stored in:
`[line, job_title, name, email, phone, language, time_zone, stage, applied_at, title_key]`,
with `applied_at` an ISO 8601 string or "".
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.functions import Lower

from heardback.clock.business import is_valid_time_zone, zone
from heardback.hiring.models import (
    Application,
    Candidate,
    Job,
    JobStatus,
    Member,
    Org,
    Pipeline,
    Stage,
)
from heardback.imports import columns
from heardback.imports.reading import FileProblem, RowError, normalise_header, open_csv
from heardback.messaging.headers import clean_email_address, single_line

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}
LANGUAGE_NAMES = {name.lower(): code for code, name in settings.LANGUAGES} | {
    "german": "de",
    "spanish": "es",
    "french": "fr",
}
MAX_SHOWN_BAD_ROWS = 200
MAX_SHOWN_JOBS = 200
EARLIEST = datetime(1990, 1, 1).date()

# Positions in a stored row.
LINE, TITLE, NAME, EMAIL, PHONE, LANGUAGE, TIME_ZONE, STAGE, APPLIED_AT, TITLE_KEY = range(10)


def quoted(value: str, limit: int = 60) -> str:
    """A value from the file, safe to put in a message: one line, short, in quotes."""
    flat = single_line(value, max_length=10_000)
    return f"“{flat[:limit]}…”" if len(flat) > limit else f"“{flat}”"


def flat(raw: str) -> str:
    """A cell on one line: line breaks and control characters become spaces, runs of
    spaces one (the fast path skips the work for the usual, already clean cell)."""
    if raw.isprintable() and "  " not in raw:
        return raw.strip()
    return single_line(raw, max_length=len(raw) + 1)


def title_key(title: str) -> str:
    return " ".join(title.split()).lower()


def stage_key(name: str) -> str:
    return " ".join(name.split()).lower()


def jobs_by_title(org: Org, titles: Iterable[str]) -> dict[str, list[Job]]:
    """The org's jobs with these titles (whatever the case), newest first, by title key."""
    exact = {" ".join(title.split()) for title in titles}
    jobs = (
        Job.objects.filter(org=org)
        .annotate(title_lower=Lower("title"))
        .filter(Q(title__in=exact) | Q(title_lower__in={title.lower() for title in exact}))
        .select_related("org")
        .order_by("-created_at", "-pk")
    )
    found: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        found[title_key(job.title)].append(job)
    return found


@dataclass
class JobPlan:
    title: str
    job_id: int | None  # an open job the org already has
    problem: str  # why rows can't go to this title, or ""
    stage_names: dict[str, str]  # stage key -> name as in the pipeline
    first_stage: str
    owner: str = ""  # owner email for a job the import creates
    owner_line: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # new applications per stage
    existing: int = 0  # applications the org already had

    @property
    def is_new(self) -> bool:
        return self.job_id is None


@dataclass
class BadRow:
    line: int
    reason: str


@dataclass
class Result:
    encoding: str = ""
    delimiter: str = ""
    total: int = 0
    bad_count: int = 0
    bad_rows: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    new_job_owners: dict[str, str] = field(default_factory=dict)


def parse_applied_at(value: str, *, time_zone: str, now: datetime) -> datetime | str:
    """A datetime, or the reason the value isn't one."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        return f"applied_at {quoted(value)} is not a date like 2026-03-02 or 2026-03-02T09:30."
    if len(text) <= 10:  # a date alone: the start of that day where the org is
        moment = datetime.combine(moment.date(), time(0, 0))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(time_zone))
    if moment > now + timedelta(days=1):
        return f"applied_at {quoted(value)} is in the future."
    if moment.date() < EARLIEST:
        return f"applied_at {quoted(value)} is before {EARLIEST.year}."
    return moment


class Checker:
    """Checks rows against the format and the org's jobs, members and candidates."""

    def __init__(
        self,
        *,
        org: Org,
        now: datetime,
        chunk_size: int,
        on_chunk: Callable[[int, list[list[Any]]], None],
        on_bad_row: Callable[[BadRow], None],
    ) -> None:
        self.org = org
        self.now = now
        self.chunk_size = chunk_size
        self.on_chunk = on_chunk
        self.on_bad_row = on_bad_row
        self.result = Result()
        self.members = {
            email.lower(): email
            for email in Member.objects.filter(org=org).values_list("user__email", flat=True)
        }
        self.template = Pipeline.objects.filter(org=org, is_template=True).order_by("id").first()
        self.template_stages = (
            list(self.template.stages.order_by("position")) if self.template else []
        )
        self.jobs: dict[str, JobPlan] = {}
        self.rows_seen: dict[int, int] = {}  # hash of (title, email) -> line
        self.emails_seen: set[int] = set()
        self.zones: dict[str, bool] = {}
        self.moments: dict[str, datetime | str] = {}
        self.pending: list[list[Any]] = []
        self.chunks_written = 0
        self.candidates_new = 0
        self.candidates_existing = 0
        self.sample: dict[str, str] | None = None

    # --- the file ---------------------------------------------------------------------------

    def check_file(self, path: Path) -> Result:
        try:
            csv_file, handle = open_csv(path, columns.KNOWN)
        except FileProblem as problem:
            self._bad(1, str(problem))
            return self._finish()
        with handle:
            self.result.encoding = csv_file.encoding
            self.result.delimiter = csv_file.delimiter
            positions = self._check_header(csv_file.header, csv_file.header_line)
            if positions is None:
                return self._finish()
            # Rows need every column up to the last named one (a trailing empty header cell,
            # as some spreadsheets write, asks for nothing).
            width = max(positions.values()) + 1
            for line, record in csv_file.records:
                if isinstance(record, RowError):
                    self.result.total += 1
                    self._bad(line, record.reason)
                    continue
                if not any(cell.strip() for cell in record):
                    continue  # a blank line
                self.result.total += 1
                self._check_record(line, record, positions, width)
        return self._finish()

    def _check_header(self, header: list[str], line: int) -> dict[str, int] | None:
        names = [normalise_header(cell) for cell in header]
        problems: list[str] = []
        named = [index for index, name in enumerate(names) if name]
        last_named = named[-1] if named else -1
        unknown = [
            f"{quoted(cell, 40)} (column {index + 1})" if name else f"column {index + 1} (no name)"
            for index, (cell, name) in enumerate(zip(header, names, strict=True))
            if name not in columns.KNOWN and index <= last_named
        ]
        if unknown:
            problems.append(
                f"Unknown column{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}. "
                f"The columns are: {', '.join(c.name for c in columns.COLUMNS)}."
            )
        positions: dict[str, int] = {}
        for index, name in enumerate(names):
            if name not in columns.KNOWN:
                continue
            if name in positions:
                problems.append(
                    f"The column {name} appears twice (columns {positions[name] + 1} and "
                    f"{index + 1})."
                )
            positions[name] = index
        missing = [name for name in columns.REQUIRED if name not in positions]
        if missing:
            problems.append(f"The header needs the column{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(missing)}.")  # fmt: skip
        if problems:
            self._bad(line, " ".join(problems))
            return None
        return positions

    # --- one row ----------------------------------------------------------------------------

    def _check_record(
        self, line: int, record: list[str], positions: dict[str, int], width: int
    ) -> None:
        if len(record) < width:
            self._bad(
                line,
                f"This row has {len(record)} cell{'s' if len(record) != 1 else ''}; the header "
                f"has {width}. Is a delimiter or a quote missing?",
            )
            return
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            self._bad(
                line,
                f"This row has {len(record)} cells; the header has {width}. Put a cell that "
                "contains the delimiter in double quotes.",
            )
            return
        problems: list[str] = []
        cells: dict[str, str] = {}
        for name, index in positions.items():
            raw = record[index]
            if "\x00" in raw:
                problems.append(f"{name} contains a NUL byte.")
                continue
            value = flat(raw)
            limit = columns.BY_NAME[name].max_length
            if len(value) > limit:
                problems.append(f"{name} is {len(value):,} characters long; at most {limit}.")
                continue
            cells[name] = value
        if problems:
            self._bad(line, " ".join(problems))
            return
        row = self._clean(line, cells, problems)
        if problems or row is None:
            self._bad(line, " ".join(problems))
            return
        self.pending.append(row)
        if self.sample is None:
            self.sample = {
                "name": row[NAME],
                "email": row[EMAIL],
                "language": row[LANGUAGE],
                "time_zone": row[TIME_ZONE],
                "job_title": row[TITLE],
                "stage": row[STAGE],
            }
        if len(self.pending) >= self.chunk_size:
            self._flush()

    def _clean(self, line: int, cells: dict[str, str], problems: list[str]) -> list[Any] | None:
        title = cells.get("job_title", "")
        name = cells.get("name", "")
        if not title:
            problems.append("job_title is empty.")
        if not name:
            problems.append("name is empty.")
        email = ""
        try:
            email = clean_email_address(cells.get("email", ""))
        except ValidationError as error:
            problems.append(f"email: {' '.join(error.messages)}")
        language = self._language(cells.get("language", ""), problems)
        time_zone = cells.get("time_zone", "") or self.org.time_zone
        if not self._zone_ok(time_zone):
            problems.append(
                f"Unknown time zone {quoted(time_zone)}: use a name such as Europe/Berlin."
            )
        applied_at = ""
        if cells.get("applied_at"):
            parsed = self._applied_at(cells["applied_at"])
            if isinstance(parsed, str):
                problems.append(parsed)
            else:
                applied_at = parsed.isoformat()
        owner = cells.get("owner_email", "")
        if owner and owner.lower() not in self.members:
            problems.append(
                f"owner_email {quoted(owner)} is not a member of {self.org.name}: invite them "
                "first, or leave the cell empty to own the job yourself."
            )
        stage = ""
        key_of_title = title_key(title)
        if title:
            plan = self._plan(title, key_of_title)
            if plan.problem:
                problems.append(plan.problem)
            else:
                stage = self._stage(plan, cells.get("stage", ""), problems)
                if owner and plan.is_new and not problems:
                    if not plan.owner:
                        plan.owner, plan.owner_line = self.members[owner.lower()], line
                    elif plan.owner.lower() != owner.lower():
                        problems.append(
                            f"Line {plan.owner_line} names {quoted(plan.owner)} as the owner "
                            f"of the new job {quoted(plan.title)}; this line names "
                            f"{quoted(owner)}."
                        )
        if title and email:
            key = hash((key_of_title, email.lower()))
            first = self.rows_seen.get(key)
            if first is not None:
                problems.append(f"A duplicate of line {first}: the same email for the same job.")
            elif not problems:
                self.rows_seen[key] = line
        if problems:
            return None
        phone = cells.get("phone", "")
        return [line, title, name, email, phone, language, time_zone, stage, applied_at,
                key_of_title]  # fmt: skip

    def _applied_at(self, value: str) -> datetime | str:
        if value not in self.moments:
            if len(self.moments) > 10_000:
                self.moments.clear()
            self.moments[value] = parse_applied_at(
                value, time_zone=self.org.time_zone, now=self.now
            )
        return self.moments[value]

    def _language(self, value: str, problems: list[str]) -> str:
        if not value:
            return settings.LANGUAGE_CODE
        code = value.lower().replace("_", "-").split("-")[0]
        code = LANGUAGE_NAMES.get(value.lower(), code)
        if code not in SUPPORTED_LANGUAGES:
            offered = ", ".join(sorted(SUPPORTED_LANGUAGES))
            problems.append(f"Language {quoted(value)} is not offered (use {offered}).")
        return code

    def _zone_ok(self, name: str) -> bool:
        if name not in self.zones:
            if len(self.zones) > 10_000:
                self.zones.clear()
            self.zones[name] = is_valid_time_zone(name)
        return self.zones[name]

    def _stage(self, plan: JobPlan, value: str, problems: list[str]) -> str:
        if not value:
            return plan.first_stage
        stage = plan.stage_names.get(stage_key(value))
        if stage is None:
            names = ", ".join(plan.stage_names.values())
            problems.append(
                f"Unknown stage {quoted(value)} for {quoted(plan.title)}: the stages are {names}."
            )
            return ""
        return stage

    def _plan(self, title: str, key: str) -> JobPlan:
        plan = self.jobs.get(key)
        if plan is not None:
            return plan
        jobs = jobs_by_title(self.org, [title]).get(key, [])
        open_jobs = [job for job in jobs if job.status == JobStatus.OPEN]
        problem = ""
        stages: list[Stage] = []
        job_id = None
        shown = title
        if len(open_jobs) > 1:
            problem = (
                f"{len(open_jobs)} open jobs are called {quoted(title)}: give all but one a "
                "different title first."
            )
        elif open_jobs:
            job_id, shown = open_jobs[0].pk, open_jobs[0].title
            stages = list(
                Stage.objects.filter(pipeline_id=open_jobs[0].pipeline_id).order_by("position")
            )
        elif jobs:
            status = JobStatus(jobs[0].status).label.lower()
            problem = (
                f"The job {quoted(title)} is {status}: only open jobs take imported "
                "applications. Reopen it, or use another title."
            )
        elif self.template is None:
            problem = f"There is no pipeline template to create the job {quoted(title)} with."
        else:
            stages = self.template_stages
        if not problem and not stages:
            problem = f"The job {quoted(title)} has no stages."
        names: dict[str, str] = {}
        for stage in stages:
            names.setdefault(stage_key(stage.name), stage.name)
        plan = JobPlan(
            title=shown,
            job_id=job_id,
            problem=problem,
            stage_names=names,
            first_stage=stages[0].name if stages else "",
        )
        self.jobs[key] = plan
        return plan

    # --- a chunk of clean rows --------------------------------------------------------------

    def _flush(self) -> None:
        rows, self.pending = self.pending, []
        if not rows:
            return
        found = candidates_by_email(self.org, {row[EMAIL] for row in rows})
        for email in {row[EMAIL].lower() for row in rows}:
            marker = hash(email)
            if marker not in self.emails_seen:
                self.emails_seen.add(marker)
                if email in found:
                    self.candidates_existing += 1
                else:
                    self.candidates_new += 1
        candidate_of = {email: candidate.pk for email, candidate in found.items()}
        # Applications the org already has (an existing job, an existing candidate).
        existing = (
            set(
                Application.objects.filter(
                    org=self.org,
                    job_id__in={plan.job_id for plan in self.jobs.values() if plan.job_id},
                    candidate_id__in=set(candidate_of.values()),
                ).values_list("job_id", "candidate_id")
            )
            if candidate_of
            else set()
        )
        for row in rows:
            plan = self.jobs[row[TITLE_KEY]]
            if (plan.job_id, candidate_of.get(row[EMAIL].lower())) in existing:
                plan.existing += 1
            else:
                plan.counts[row[STAGE]] += 1
        if not self.result.bad_count:
            self.on_chunk(self.chunks_written, rows)
            self.chunks_written += 1

    def _bad(self, line: int, reason: str) -> None:
        self.result.bad_count += 1
        bad = BadRow(line=line, reason=reason)
        if len(self.result.bad_rows) < MAX_SHOWN_BAD_ROWS:
            self.result.bad_rows.append({"line": line, "reason": reason})
        self.on_bad_row(bad)

    def _finish(self) -> Result:
        self._flush()
        plans = sorted(self.jobs.values(), key=lambda p: p.title.casefold())
        plans = [p for p in plans if not p.problem]
        jobs = [
            {
                "title": plan.title,
                "new": plan.is_new,
                "owner": plan.owner,
                "stages": [[name, plan.counts[name]] for name in plan.stage_names.values()
                           if plan.counts[name]],
                "applications": sum(plan.counts.values()),
                "existing": plan.existing,
            }
            for plan in plans
        ]  # fmt: skip
        self.result.summary = {
            "jobs": jobs[:MAX_SHOWN_JOBS],
            "jobs_more": max(0, len(jobs) - MAX_SHOWN_JOBS),
            "jobs_new": sum(1 for plan in plans if plan.is_new),
            "jobs_existing": sum(1 for plan in plans if not plan.is_new),
            "candidates_new": self.candidates_new,
            "candidates_existing": self.candidates_existing,
            "applications_new": sum(sum(plan.counts.values()) for plan in plans),
            "applications_existing": sum(plan.existing for plan in plans),
            "sample": self.sample,
        }
        self.result.new_job_owners = {
            title_key(plan.title): plan.owner for plan in plans if plan.is_new and plan.owner
        }
        return self.result


def candidates_by_email(org: Org, emails: set[str]) -> dict[str, Candidate]:
    """The org's candidates with these emails (whatever the case), by lower-cased email."""
    if not emails:
        return {}
    found = (
        Candidate.objects.filter(org=org)
        .annotate(email_lower=Lower("email"))
        .filter(
            # Lower() is ASCII-only on SQLite: other addresses are also matched as written.
            Q(email_lower__in={email.lower() for email in emails})
            | Q(email__in=[email for email in emails if not email.isascii()])
        )
        .order_by("pk")
    )
    result: dict[str, Candidate] = {}
    for candidate in found:
        result.setdefault(candidate.email.lower(), candidate)
    return result


class ProblemsFile:
    """Every bad row, written as it is found, for the download (spreadsheet-safe cells)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: TextIO | None = None
        self.writer: Any = None

    def write(self, bad: BadRow) -> None:
        if self.handle is None:
            self.handle = self.path.open("x", encoding="utf-8-sig", newline="")
            self.path.chmod(0o600)
            self.writer = csv.writer(self.handle)
            self.writer.writerow(["line", "problem"])
        self.writer.writerow([bad.line, spreadsheet_safe(bad.reason)])

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: one that starts like a formula (= + - @, tab or
    carriage return) gets a leading apostrophe (against CSV injection)."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value
