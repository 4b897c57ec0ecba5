"""Close-out at any scale: set-based SQL, in chunks, each chunk one short transaction.

For each chunk of active applications of a closed job, three statements do the work:
insert the final messages (INSERT … SELECT, rendered once per language with the candidate's
name filled in by SQL), mark the applications declined, and log one event per application.
The idempotency key `app:<id>:final:closeout:<close-out id>` makes a re-run harmless.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import translation

from heardback import clock
from heardback.hiring.messages import SIGN_OFF
from heardback.hiring.models import (
    Application,
    ApplicationStatus,
    Candidate,
    DeclineReason,
    Event,
    Job,
    PromiseWatch,
)
from heardback.messaging.headers import single_line
from heardback.messaging.models import Message
from heardback.messaging.rendering import render_string, text_to_html
from heardback.promises import candidate_messages as texts
from heardback.promises.models import CloseOut

FIRST = "⟦first_name⟧"
FULL = "⟦candidate_name⟧"
SYSTEM_LABEL = "Heardback"


def closeout_template(job: Job, outcome: str) -> tuple[Any, Any]:
    default = texts.FILLED_OUT if outcome == "filled" else texts.CLOSE_OUT
    return (job.closeout_subject or default.subject, job.closeout_body or default.body)


def _rendered_for(job: Job, outcome: str, language: str) -> tuple[str, str, str]:
    subject_tpl, body_tpl = closeout_template(job, outcome)
    with translation.override(language):
        context = {
            "first_name": FIRST,
            "candidate_name": FULL,
            "job_title": job.title,
            "org_name": job.org.name,
            "stage": "",
            "respond_by": "",
            "respond_by_long": "",
            "status_url": "",
        }
        subject = single_line(render_string(str(subject_tpl), context))
        text = render_string(str(body_tpl) + str(SIGN_OFF), context).strip() + "\n"
    return subject, text, text_to_html(text)


def _first_name_sql() -> str:
    if connection.vendor == "postgresql":
        return "split_part(c.name, ' ', 1)"
    return (
        "CASE WHEN instr(c.name, ' ') > 0 "
        "THEN substr(c.name, 1, instr(c.name, ' ') - 1) ELSE c.name END"
    )


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


def _id_filter(column: str, ids: list[int]) -> tuple[str, list[Any]]:
    """`column` is one of `ids`. On PostgreSQL one array parameter: thousands of separate
    placeholders cost more to send and plan than the rows themselves. SQLite has no arrays."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [ids]
    return f"{column} IN ({','.join(['%s'] * len(ids))})", list(ids)


def process_chunk(close_out: CloseOut, *, limit: int) -> int:
    """Finish up to `limit` applications of this close-out; returns how many."""
    message_table = Message._meta.db_table
    app_table = Application._meta.db_table
    cand_table = Candidate._meta.db_table
    event_table = Event._meta.db_table
    with transaction.atomic():
        locked = (
            CloseOut.objects.select_for_update(skip_locked=True)
            .filter(pk=close_out.pk, finished_at__isnull=True, reopened_at__isnull=True)
            .select_related("job__org")
            .first()
        )
        if locked is None:
            return 0
        job = locked.job
        ids = list(
            Application.objects.select_for_update(skip_locked=True)
            .filter(org_id=job.org_id, job_id=job.pk, status=ApplicationStatus.ACTIVE)
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        now = clock.now()
        if not ids:
            locked.finished_at = now
            locked.save(update_fields=["finished_at"])
            return 0
        # Raw SQL must store datetimes the way the ORM does: on SQLite that is naive UTC
        # text, and an aware value ("…+00:00") would sort after it, so a message written
        # at `now` would not count as due at `now` (nor an event fall in a `<= now` range).
        db_now = connection.ops.adapt_datetimefield_value(now)
        in_chunk, id_params = _id_filter("a.id", ids)
        # One statement for every language: the template is picked per row by the
        # candidate's language (English also covers any language we have no translation for).
        codes = [code for code, _name in settings.LANGUAGES]
        rendered = {code: _rendered_for(job, locked.outcome, code) for code in codes}
        parts, part_params = [], []
        for index, html in ((0, False), (1, False), (2, True)):
            whens = " ".join("WHEN %s THEN %s" for _ in codes[1:])
            parts.append(_fill(f"CASE c.language {whens} ELSE %s END", html=html))
            part_params += [v for code in codes[1:] for v in (code, rendered[code][index])]
            part_params.append(rendered[codes[0]][index])
        # Table names come from model metadata and every value is a bound parameter.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {message_table} (
                    org_id, application_id, to_email, to_name, from_email, reply_to,
                    subject, body_text, body_html, language, kind, automated, final,
                    idempotency_key, status, attempts, next_attempt_at, leased_by,
                    provider_message_id, last_error, created_at
                )
                SELECT a.org_id, a.id, c.email, c.name, %s, %s, {parts[0]}, {parts[1]},
                       {parts[2]}, c.language, 'close_out', %s, %s,
                       'app:' || a.id || ':final:closeout:' || %s, 'queued', 0, %s, '',
                       '', '', %s
                FROM {app_table} a JOIN {cand_table} c ON c.id = a.candidate_id
                WHERE {in_chunk} AND a.status = 'active'
                ON CONFLICT (idempotency_key) DO NOTHING
                """,  # noqa: S608
                [
                    settings.DEFAULT_FROM_EMAIL,
                    single_line(job.org.reply_to),
                    *part_params,
                    True,
                    True,
                    str(locked.pk),
                    db_now,
                    db_now,
                    *id_params,
                ],
            )
            cursor.execute(
                f"""
                INSERT INTO {event_table}
                    (org_id, application_id, job_id, actor_label, kind, data, created_at)
                SELECT a.org_id, a.id, a.job_id, %s, 'closed_out', %s, %s
                FROM {app_table} a WHERE {in_chunk} AND a.status = 'active'
                """,  # noqa: S608
                [
                    SYSTEM_LABEL,
                    json.dumps({"close_out": locked.pk, "outcome": locked.outcome}),
                    db_now,
                    *id_params,
                ],
            )
            cursor.execute(
                f"""
                UPDATE {app_table} AS a SET status = %s, decline_reason = %s, decided_at = %s,
                    respond_by = NULL, promise_watch = %s, pending_decline_at = NULL,
                    last_contacted_at = %s, last_automated_at = %s, closed_out_by = %s
                WHERE {in_chunk} AND a.status = 'active'
                """,  # noqa: S608
                [
                    ApplicationStatus.DECLINED,
                    DeclineReason.POSITION_CLOSED,
                    db_now,
                    PromiseWatch.PENDING,
                    db_now,
                    db_now,
                    locked.pk,
                    *id_params,
                ],
            )
            changed = cursor.rowcount
        CloseOut.objects.filter(pk=locked.pk).update(done=F("done") + changed)
    return changed


def run_close_outs(*, now: Any, limit: int) -> int:
    """Scheduler step: advance every unfinished close-out by up to `limit` applications."""
    handled = 0
    for close_out in CloseOut.objects.filter(finished_at__isnull=True, reopened_at__isnull=True):
        handled += process_chunk(close_out, limit=limit)
    return handled
