"""Close-out at any scale: set-based SQL, in keyset chunks, each chunk one short transaction.

A chunk is the next `CLOSEOUT_CHUNK_SIZE` active applications of the closed job in id
order, after the last one looked at (`CloseOut.after_application_id`): read in index order
from there, never by sorting what remains, so every chunk costs its own size and an
interrupted close-out resumes exactly where it stopped. Per chunk:

- on PostgreSQL one statement locks the chunk (`FOR UPDATE SKIP LOCKED`), declines it
  (`UPDATE … RETURNING`) and queues the final messages for exactly the rows it declined
  (`INSERT … SELECT … ON CONFLICT DO NOTHING`). On SQLite, where the transaction already
  holds the database's only write lock, an INSERT … SELECT and an UPDATE over the chunk's
  id range do the same;
- one `closed_out` event for the chunk (the close-out, how many, the id range and, if the
  job's own text failed, why), not one per candidate: each candidate's close-out message
  is their record, and their timeline shows the chunk's event next to it
  (`hiring.selectors.timeline`).

The texts are rendered once per language with name markers that SQL fills in
(`messages.compose_for_rows`); the stored bodies keep the status-link placeholder, which
delivery turns into a fresh link. The idempotency key `app:<id>:final:closeout:<close-out
id>` makes a re-run harmless.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from heardback import clock
from heardback.hiring import branding, messages
from heardback.hiring.models import (
    SURVEY_DELAY_AFTER_FINAL,
    Application,
    ApplicationStatus,
    Candidate,
    DeclineReason,
    Event,
    EventKind,
    Job,
    PromiseWatch,
)
from heardback.messaging.kinds import MessageKind
from heardback.messaging.models import Message
from heardback.promises.models import CloseOut
from heardback.runtime.isolation import ItemGuard

FIRST = messages.FIRST_NAME_MARKER
FULL = messages.FULL_NAME_MARKER
SYSTEM_LABEL = "Heardback"
KEY_PREFIX = "final:closeout:"  # app:<id>:final:closeout:<close-out id>


def _rendered_for(job: Job, outcome: str, language: str) -> messages.Composition:
    composition, _default = messages.compose_for_rows(job=job, outcome=outcome, language=language)
    return composition


def _first_name_sql() -> str:
    """The name each candidate is greeted by (`Candidate.greeting_name`, set for everyone
    since it was introduced); the first word of the name only for a row stored without one."""
    if connection.vendor == "postgresql":
        first_word = "split_part(c.name, ' ', 1)"
    else:
        first_word = (
            "CASE WHEN instr(c.name, ' ') > 0 "
            "THEN substr(c.name, 1, instr(c.name, ' ') - 1) ELSE c.name END"
        )
    return f"CASE WHEN c.greeting_name <> '' THEN c.greeting_name ELSE {first_word} END"


def _html_escaped(sql: str) -> str:
    for raw, safe in [
        ("&", "&amp;"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ('"', "&quot;"),
        ("'", "&#x27;"),
    ]:
        sql = f"REPLACE({sql}, '{raw.replace("'", "''")}', '{safe}')"
    return sql


def _fill(template_param: str, *, html: bool) -> str:
    first, full = _first_name_sql(), "c.name"
    if html:
        first, full = _html_escaped(first), _html_escaped(full)
    return f"REPLACE(REPLACE({template_param}, '{FIRST}', {first}), '{FULL}', {full})"


@dataclass
class Texts:
    """One close-out's message texts, as SQL for the subject, text and HTML columns."""

    columns: list[str]  # three SQL expressions: CASE over the candidate's language
    params: list[Any]  # their parameters, in order
    template_failed: dict[str, str] = field(default_factory=dict)


def _texts(close_out: CloseOut) -> Texts:
    """Render the job's close-out text once per language (English also covers any language
    we have no translation for), and report a failing text to the org once."""
    job = close_out.job
    codes = [code for code, _name in settings.LANGUAGES]
    compositions = {code: _rendered_for(job, close_out.outcome, code) for code in codes}
    rendered = {
        code: (c.rendered.subject, c.rendered.text, c.rendered.html)
        for code, c in compositions.items()
    }
    columns, params = [], []
    for index, html in ((0, False), (1, False), (2, True)):
        whens = " ".join("WHEN %s THEN %s" for _ in codes[1:])
        columns.append(_fill(f"CASE c.language {whens} ELSE %s END", html=html))
        params += [v for code in codes[1:] for v in (code, rendered[code][index])]
        params.append(rendered[codes[0]][index])
    texts = Texts(columns=columns, params=params)
    # The job's own text failed: every candidate still gets the built-in one, and the org
    # and each candidate's timeline (through the chunk's event) say so.
    failed = next((c for c in compositions.values() if c.failed is not None), None)
    if failed is not None and failed.failed is not None:
        messages.report_template_failure(failed, org_id=job.org_id)
        texts.template_failed = {"template": failed.failed.where, "error": failed.error}
    return texts


# Table names come from model metadata and every value is a bound parameter (S608 below).
MESSAGE_COLUMNS = """
    org_id, application_id, to_email, to_name, from_email, reply_to, subject, body_text,
    body_html, language, kind, automated, final, idempotency_key, status, attempts,
    next_attempt_at, leased_by, provider_message_id, last_error, created_at
"""
DECLINE_SET = """
    status = %s, decline_reason = %s, decided_at = %s, respond_by = NULL, promise_watch = %s,
    pending_decline_at = NULL, pending_hire = FALSE, last_contacted_at = %s, last_automated_at = %s,
    closed_out_by = %s, survey_due_at = %s
"""


def _message_select(texts: Texts, source: str) -> str:
    """The SELECT list of one final message per row of `source` (aliased `a`, with the
    candidate as `c`)."""
    subject, text, html = texts.columns
    return f"""
        SELECT a.org_id, a.id, c.email, c.name, %s, %s, {subject}, {text}, {html},
               c.language, %s, %s, %s, 'app:' || a.id || ':{KEY_PREFIX}' || %s, 'queued', 0,
               %s, '', '', '', %s
        FROM {source}
    """  # noqa: S608


def _message_params(close_out: CloseOut, texts: Texts, db_now: Any) -> list[Any]:
    return [
        branding.from_address(close_out.job.org),
        branding.reply_to_address(close_out.job.org),
        *texts.params,
        MessageKind.CLOSE_OUT.value,
        True,
        True,
        str(close_out.pk),
        db_now,
        db_now,
    ]


def _decline_params(close_out: CloseOut, now: datetime, db_now: Any) -> list[Any]:
    return [
        ApplicationStatus.DECLINED,
        DeclineReason.POSITION_CLOSED,
        db_now,
        PromiseWatch.PENDING,
        db_now,
        db_now,
        close_out.pk,
        connection.ops.adapt_datetimefield_value(now + SURVEY_DELAY_AFTER_FINAL),
    ]


def _chunk_postgresql(
    close_out: CloseOut, texts: Texts, *, limit: int, now: datetime, db_now: Any
) -> tuple[int, int | None, int | None]:
    """Lock, decline and queue one chunk in one statement: (declined, first id, last id)."""
    app, cand = Application._meta.db_table, Candidate._meta.db_table
    job = close_out.job
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH chunk AS MATERIALIZED (
                SELECT id FROM {app}
                WHERE org_id = %s AND job_id = %s AND status = %s AND id > %s
                ORDER BY id LIMIT %s
                FOR UPDATE SKIP LOCKED
            ), declined AS (
                UPDATE {app} AS a SET {DECLINE_SET}
                FROM chunk WHERE a.id = chunk.id AND a.status = %s
                RETURNING a.id, a.org_id, a.candidate_id
            ), queued AS (
                INSERT INTO {Message._meta.db_table} ({MESSAGE_COLUMNS})
                {_message_select(texts, f"declined a JOIN {cand} c ON c.id = a.candidate_id")}
                ON CONFLICT (idempotency_key) DO NOTHING
            )
            SELECT (SELECT count(*) FROM declined), (SELECT min(id) FROM chunk),
                   (SELECT max(id) FROM chunk)
            """,  # noqa: S608
            [
                job.org_id,
                job.pk,
                ApplicationStatus.ACTIVE,
                close_out.after_application_id,
                limit,
                *_decline_params(close_out, now, db_now),
                ApplicationStatus.ACTIVE,
                *_message_params(close_out, texts, db_now),
            ],
        )
        declined, first, last = cursor.fetchone()
    return int(declined), first, last


def _chunk_sqlite(
    close_out: CloseOut, texts: Texts, *, limit: int, now: datetime, db_now: Any
) -> tuple[int, int | None, int | None]:
    """The same on SQLite: nobody else can write until this transaction ends (it began
    IMMEDIATE), so the chunk is an id range and needs no row locks."""
    app, cand = Application._meta.db_table, Candidate._meta.db_table
    job = close_out.job
    in_job = "a.org_id = %s AND a.job_id = %s AND a.status = %s"
    in_job_params: list[Any] = [job.org_id, job.pk, ApplicationStatus.ACTIVE]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT min(id), max(id) FROM (
                    SELECT a.id FROM {app} a WHERE {in_job} AND a.id > %s ORDER BY a.id LIMIT %s
                )""",  # noqa: S608
            [*in_job_params, close_out.after_application_id, limit],
        )
        first, last = cursor.fetchone()
        if first is None:
            return 0, None, None
        in_chunk = f"{in_job} AND a.id BETWEEN %s AND %s"
        chunk_params = [*in_job_params, first, last]
        cursor.execute(
            f"""
            INSERT INTO {Message._meta.db_table} ({MESSAGE_COLUMNS})
            {_message_select(texts, f"{app} a JOIN {cand} c ON c.id = a.candidate_id")}
            WHERE {in_chunk}
            ON CONFLICT (idempotency_key) DO NOTHING
            """,
            [*_message_params(close_out, texts, db_now), *chunk_params],
        )
        cursor.execute(
            f"UPDATE {app} AS a SET {DECLINE_SET} WHERE {in_chunk}",  # noqa: S608
            [*_decline_params(close_out, now, db_now), *chunk_params],
        )
        declined = int(cursor.rowcount)
    return declined, first, last


def process_chunk(close_out: CloseOut, *, limit: int, texts: dict[int, Texts] | None = None) -> int:
    """Finish up to `limit` more applications of this close-out; returns how many.

    0 means nothing more to do now: the close-out is finished (or stopped), or every
    application left is locked by someone else's transaction (tried again next round).
    `texts` caches the rendered texts across the chunks of one round.
    """
    with transaction.atomic():
        locked = (
            CloseOut.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=close_out.pk, finished_at__isnull=True, reopened_at__isnull=True)
            .select_related("job__org")
            .first()
        )
        if locked is None:
            return 0
        now = clock.now()
        # Raw SQL must store datetimes the way the ORM does: on SQLite that is naive UTC
        # text, and an aware value ("…+00:00") would sort after it, so a message written
        # at `now` would not count as due at `now` (nor an event fall in a `<= now` range).
        db_now = connection.ops.adapt_datetimefield_value(now)
        cache = {} if texts is None else texts
        if locked.pk not in cache:
            cache[locked.pk] = _texts(locked)
        chunk = _chunk_postgresql if connection.vendor == "postgresql" else _chunk_sqlite
        declined, first, last = chunk(locked, cache[locked.pk], limit=limit, now=now, db_now=db_now)
        if last is None:
            _past_the_end(locked, now)
            return 0
        if declined:
            Event.objects.create(
                org_id=locked.org_id,
                job_id=locked.job_id,
                actor_label=SYSTEM_LABEL,
                kind=EventKind.CLOSED_OUT,
                data={
                    "close_out": locked.pk,
                    "outcome": locked.outcome,
                    "applications": declined,
                    "first_application": first,
                    "last_application": last,
                    **(
                        {"template_failed": cache[locked.pk].template_failed}
                        if cache[locked.pk].template_failed
                        else {}
                    ),
                },
                created_at=now,
            )
        CloseOut.objects.filter(pk=locked.pk).update(
            done=F("done") + declined, after_application_id=last
        )
    return declined


def _past_the_end(locked: CloseOut, now: datetime) -> None:
    """The keyset found nothing after `after_application_id`. Finished, unless something
    behind it is still active: an application a chunk skipped because someone else held it
    locked at the time, or one made active again while the close-out ran. Then the next
    chunk starts again from the first id. (One look, once per close-out.)"""
    left = Application.objects.filter(
        org_id=locked.org_id, job_id=locked.job_id, status=ApplicationStatus.ACTIVE
    ).exists()
    if not left:
        CloseOut.objects.filter(pk=locked.pk).update(finished_at=now)
    elif locked.after_application_id:
        CloseOut.objects.filter(pk=locked.pk).update(after_application_id=0)
    # (Else they were skipped from the very start: still locked. The next round tries again.)


def run_close_outs(*, now: datetime, limit: int) -> int:
    """Scheduler step: advance every unfinished close-out, chunk after chunk.

    Chunks are `CLOSEOUT_CHUNK_SIZE` (the round's `limit` is for one-at-a-time steps), and
    the step goes on for up to `CLOSEOUT_ROUND_SECONDS` (within the step budget), taking one
    chunk of each unfinished close-out in turn, so a large close-out is done in a few
    rounds without the other steps waiting long. Each chunk is an isolated item: one
    close-out that fails is retried with backoff while every other org's close-outs go on.
    """
    guard = ItemGuard("run_close_outs", now=now)
    chunk = settings.CLOSEOUT_CHUNK_SIZE
    stop_at = time.monotonic() + settings.CLOSEOUT_ROUND_SECONDS
    texts: dict[int, Texts] = {}
    handled = 0
    going = list(
        CloseOut.objects.filter(finished_at__isnull=True, reopened_at__isnull=True)
        .select_related("job")
        .order_by("created_at", "id")
    )
    while going:
        still_going = []
        for close_out in going:
            if guard.out_of_time or time.monotonic() >= stop_at:
                return handled
            done = guard.run(
                f"close_out:{close_out.pk}",
                partial(process_chunk, close_out, limit=chunk, texts=texts),
                org_id=close_out.job.org_id,
                label=f"the close-out of “{close_out.job.title}”",
            )
            if done:
                handled += done
                still_going.append(close_out)
        going = still_going
    return handled
