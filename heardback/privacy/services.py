"""Writing the candidate's data rights: erasure requests, legal holds, anonymisation.

Anonymising a candidate replaces their name, address and phone everywhere Heardback keeps
them (the candidate row, the outbox's recipient, subject and bodies, delivery replies, the
event log's data, survey invitations and comments, webhook bodies), deletes their CVs
(files and rows) and switches off their status links. What stays is the record: which job,
which stages, when, what they were told in which words (with "[erased]" where their name
or address was) and the delivery evidence.
"""

from __future__ import annotations

import calendar
import html
import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from heardback import clock
from heardback.bridges.models import AtsLink
from heardback.bridges.selectors import events_mentioning
from heardback.hiring.models import (
    ERASED_EMAIL_DOMAIN,
    Application,
    Candidate,
    Event,
    Member,
    Org,
)
from heardback.messaging.models import DeliveryEvent, Message, MessageStatus
from heardback.portal import tokens, uploads
from heardback.portal.models import Attachment, SurveyInvitation, SurveyResponse
from heardback.privacy import notices
from heardback.privacy.models import (
    DEFAULT_MONTHS,
    Anonymisation,
    ErasureRequest,
    ErasureStatus,
    LegalHold,
    RetentionPolicy,
)
from heardback.webhooks.models import WebhookDelivery

ERASED = "[erased]"
ERASED_NAME = "Erased candidate"
ERASED_DOMAIN = ERASED_EMAIL_DOMAIN


class LegalHoldApplies(ValidationError):
    """The candidate's data is under a legal hold: nothing is anonymised while it lasts."""


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day if it has no such day).

    GDPR Art. 12(3)'s "one month" is read the way the EU's rule on time limits (Regulation
    1182/71, Art. 3(2)(c)) counts it: 3 March -> 3 April, 31 January -> 28/29 February.
    """
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def subtract_months(moment: datetime, months: int) -> datetime:
    return add_months(moment, -months)


# --- policy and holds ---------------------------------------------------------------------


def policy_for(org: Org) -> RetentionPolicy:
    """The org's policy; an org that never set one gets the default (unsaved)."""
    found = RetentionPolicy.objects.filter(org=org).first()
    return found or RetentionPolicy(org=org, months_after_decision=DEFAULT_MONTHS)


def retention_terms(org_id: int) -> tuple[int, bool]:
    """(months after the decision, hired included) for the apply form's consent text."""
    found = RetentionPolicy.objects.filter(org_id=org_id).first()
    return (found.months_after_decision, found.include_hired) if found else (DEFAULT_MONTHS, False)


def set_policy(
    *, org: Org, actor: Member, months_after_decision: int, include_hired: bool
) -> RetentionPolicy:
    if actor.org_id != org.pk:
        raise PermissionDenied("That belongs to another organisation.")
    if not 1 <= months_after_decision <= 120:
        raise ValidationError(
            {"months_after_decision": ["Choose between 1 and 120 months after the decision."]}
        )
    policy, _created = RetentionPolicy.objects.update_or_create(
        org=org,
        defaults={
            "months_after_decision": months_after_decision,
            "include_hired": include_hired,
            "updated_at": clock.now(),
        },
    )
    return policy


def open_hold(candidate: Candidate) -> LegalHold | None:
    return (
        LegalHold.objects.filter(
            org_id=candidate.org_id, candidate=candidate, released_at__isnull=True
        )
        .order_by("placed_at")
        .first()
    )


def place_hold(*, candidate: Candidate, actor: Member, reason: str) -> LegalHold:
    if actor.org_id != candidate.org_id:
        raise PermissionDenied("That belongs to another organisation.")
    reason = " ".join(reason.split())[:300]
    if not reason:
        raise ValidationError({"reason": ["Say why the data must be kept (a claim, an audit)."]})
    if hasattr(candidate, "anonymisation"):
        raise ValidationError("This candidate's personal data has already been erased.")
    return LegalHold.objects.create(
        org_id=candidate.org_id,
        candidate=candidate,
        reason=reason,
        placed_by=actor.display_name,
        placed_at=clock.now(),
    )


def release_hold(*, hold: LegalHold, actor: Member) -> LegalHold:
    if actor.org_id != hold.org_id:
        raise PermissionDenied("That belongs to another organisation.")
    if hold.released_at is None:
        hold.released_at, hold.released_by = clock.now(), actor.display_name
        hold.save(update_fields=["released_at", "released_by"])
    return hold


# --- erasure requests ---------------------------------------------------------------------


def request_erasure(*, application: Application) -> ErasureRequest:
    """The candidate asks (from their status page). Asking again returns the open request."""
    candidate = application.candidate
    existing = ErasureRequest.objects.filter(
        org_id=application.org_id, candidate=candidate, status=ErasureStatus.OPEN
    ).first()
    if existing is not None:
        return existing
    now = clock.now()
    try:
        with transaction.atomic():
            request = ErasureRequest.objects.create(
                org_id=application.org_id,
                candidate=candidate,
                application=application,
                received_at=now,
                answer_by=add_months(now, 1),
            )
            notices.received(application, request_id=request.pk, answer_by=request.answer_by)
            return request
    except IntegrityError:  # a double click: the other request is the one
        return ErasureRequest.objects.get(
            org_id=application.org_id, candidate=candidate, status=ErasureStatus.OPEN
        )


def carry_out_erasure(*, request: ErasureRequest, actor: Member) -> ErasureRequest:
    """Erase the candidate's personal data; refused (with the reason) under a legal hold."""
    if actor.org_id != request.org_id:
        raise PermissionDenied("That belongs to another organisation.")
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(org_id=actor.org_id, pk=request.pk)
        if request.status != ErasureStatus.OPEN:
            raise ValidationError("This request has already been answered.")
        if request.candidate.applications.filter(status="active").exists():
            # An active application can't be considered without the person: withdraw it
            # first (the candidate can, from the same page), so the engine stops writing.
            raise ValidationError(
                "The candidate still has an active application. Withdraw or decide it "
                "first: the engine would otherwise keep writing to them."
            )
        if open_hold(request.candidate) is not None:
            raise LegalHoldApplies("A legal hold applies: the data is kept until it is released.")
        # Told before their address goes; the address leaves that row once it is sent.
        confirmation = notices.erased(request.application, request_id=request.pk)
        anonymise_candidate(
            candidate=request.candidate,
            reason=Anonymisation.Reason.REQUEST,
            actor_label=actor.display_name,
            confirmation=confirmation,
        )
        request.status, request.answered_at = ErasureStatus.ERASED, clock.now()
        request.answered_by = actor.display_name
        request.save(update_fields=["status", "answered_at", "answered_by"])
    return request


def refuse_erasure(*, request: ErasureRequest, actor: Member, note: str) -> ErasureRequest:
    """Answer "not now" because a legal hold applies (Art. 17(3)(e): legal claims)."""
    if actor.org_id != request.org_id:
        raise PermissionDenied("That belongs to another organisation.")
    note = note.strip()
    if open_hold(request.candidate) is None:
        raise ValidationError("Only a legal hold is a reason to refuse: place one first.")
    if not note:
        raise ValidationError("Write the answer the candidate will be given.")
    with transaction.atomic():
        updated = ErasureRequest.objects.filter(
            org_id=actor.org_id, pk=request.pk, status=ErasureStatus.OPEN
        ).update(
            status=ErasureStatus.REFUSED,
            answered_at=clock.now(),
            answered_by=actor.display_name,
            answer_note=note,
        )
        if not updated:
            raise ValidationError("This request has already been answered.")
        notices.refused(request.application, request_id=request.pk, answer=note)
    request.refresh_from_db()
    return request


# --- anonymisation ------------------------------------------------------------------------


def _identifiers(candidate: Candidate | None, earlier: Iterable[str] = ()) -> list[str]:
    """What identifies them in free text, longest first (so a full name goes before a part).

    `earlier`: names and addresses they had before (the outbox's recipients), so an address
    they changed on their status page goes too.
    """
    current = (candidate.name, candidate.email, candidate.phone) if candidate else ()
    names = {v.strip() for v in (*current[:1], *earlier) if "@" not in v}
    found = {*names, *(v.strip() for v in current[1:])}
    found |= {v.strip() for v in earlier if "@" in v}
    found |= {part for name in names for part in name.split() if len(part) >= 2}
    found |= {html.escape(value) for value in list(found)}
    return sorted((v for v in found if v), key=len, reverse=True)


def _scrubber(identifiers: Iterable[str]) -> re.Pattern[str] | None:
    words = [re.escape(v) for v in identifiers]
    if not words:
        return None
    # Whole words only, so "Ann" does not eat into "Annual".
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE)


def _scrub(text: str, pattern: re.Pattern[str] | None) -> str:
    return pattern.sub(ERASED, text) if pattern is not None and text else text


def _scrub_json(value: Any, pattern: re.Pattern[str] | None) -> Any:
    if isinstance(value, str):
        return _scrub(value, pattern)
    if isinstance(value, list):
        return [_scrub_json(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, pattern) for k, v in value.items()}
    return value


def erased_email(candidate: Candidate) -> str:
    return f"candidate-{candidate.pk}@{ERASED_DOMAIN}"


def anonymise_candidate(
    *,
    candidate: Candidate,
    reason: str,
    actor_label: str,
    now: datetime | None = None,
    confirmation: Message | None = None,
) -> Anonymisation:
    """Remove `candidate`'s personal data, keep the anonymised record. Idempotent.

    Call inside a transaction (the scheduler's item guard, or carry_out_erasure's).
    Raises LegalHoldApplies under an open legal hold.
    """
    now = now or clock.now()
    candidate = Candidate.objects.select_for_update().get(org_id=candidate.org_id, pk=candidate.pk)
    done = Anonymisation.objects.filter(candidate=candidate).first()
    if done is not None:
        return done
    if open_hold(candidate) is not None:
        raise LegalHoldApplies("A legal hold applies: the data is kept until it is released.")
    applications = list(Application.objects.filter(org_id=candidate.org_id, candidate=candidate))
    app_ids = [a.pk for a in applications]
    messages = Message.objects.filter(org_id=candidate.org_id, application_id__in=app_ids)
    earlier = {v for pair in messages.values_list("to_email", "to_name") for v in pair if v}
    if confirmation is not None:
        # Still to be sent: scrubbed once it has gone (retention.scrub_sent_confirmations).
        messages = messages.exclude(pk=confirmation.pk)
    pattern = _scrubber(_identifiers(candidate, earlier))
    counts: dict[str, int] = {}
    new_email = erased_email(candidate)

    counts["messages"] = 0
    for message in messages:
        scrub_message(message, pattern, new_email)
        counts["messages"] += 1

    counts["events"] = 0
    for logged in Event.objects.filter(org_id=candidate.org_id, application_id__in=app_ids):
        scrubbed = _scrub_json(logged.data, pattern)
        if scrubbed != logged.data:
            logged.data = scrubbed
            logged.save(update_fields=["data"])
            counts["events"] += 1

    attachments = list(
        Attachment.objects.filter(org_id=candidate.org_id, application_id__in=app_ids)
    )
    for attachment in attachments:
        uploads.path_of(attachment).unlink(missing_ok=True)
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    counts["files"] = len(attachments)

    SurveyInvitation.objects.filter(org_id=candidate.org_id, application_id__in=app_ids).update(
        email=new_email
    )
    counts["survey_comments"] = (
        SurveyResponse.objects.filter(
            org_id=candidate.org_id, invitation__application_id__in=app_ids
        )
        .exclude(comment="")
        .update(comment="")
    )

    counts["webhook_bodies"] = 0
    if pattern is not None:
        addresses = {candidate.email, *(v for v in earlier if "@" in v)}
        carries = Q()
        for address in addresses:
            carries |= Q(body__contains=address)
        sent = WebhookDelivery.objects.filter(carries, endpoint__org_id=candidate.org_id)
        for delivery in sent:
            delivery.body = json.dumps(_scrub_json(json.loads(delivery.body), pattern))
            delivery.save(update_fields=["body"])
            counts["webhook_bodies"] += 1

    counts["ats_bodies"] = _scrub_ats_deliveries(candidate, app_ids, earlier, pattern)

    for application in applications:
        tokens.revoke_all(application)
    candidate.name, candidate.email, candidate.phone = ERASED_NAME, new_email, ""
    candidate.save(update_fields=["name", "email", "phone"])
    return Anonymisation.objects.create(
        org_id=candidate.org_id,
        candidate=candidate,
        reason=reason,
        done_at=now,
        done_by=actor_label,
        counts=counts,
        pending_message_id=confirmation.pk if confirmation is not None else None,
    )


def _scrub_ats_deliveries(
    candidate: Candidate, app_ids: list[int], earlier: set[str], pattern: re.Pattern[str] | None
) -> int:
    """What a connected ATS sent about them, still kept in the bridge's inbox: found by
    their addresses and by the ATS's ids of their applications, scrubbed like the rest."""
    if pattern is None:
        return 0
    external_ids = AtsLink.objects.filter(
        connection__org_id=candidate.org_id,
        kind=AtsLink.Kind.APPLICATION,
        local_id__in=app_ids,
    ).values_list("external_id", flat=True)
    needles = {candidate.email, *(v for v in earlier if "@" in v), *external_ids}
    scrubbed = 0
    for event in events_mentioning(org_id=candidate.org_id, needles=needles).only("id", "body"):
        raw = bytes(event.body)
        try:
            cleaned = json.dumps(_scrub_json(json.loads(raw), pattern)).encode()
        except ValueError:  # not JSON (or not UTF-8): scrubbed as text
            cleaned = _scrub(raw.decode("utf-8", "replace"), pattern).encode()
        if cleaned != raw:
            event.body = cleaned
            event.save(update_fields=["body"])
            scrubbed += 1
    return scrubbed


def scrub_message(message: Message, pattern: re.Pattern[str] | None, new_email: str) -> None:
    """The message's recipient goes, and their name and address wherever it says them."""
    message.to_email, message.to_name = new_email, ""
    message.subject = _scrub(message.subject, pattern)
    message.body_text = _scrub(message.body_text, pattern)
    message.body_html = _scrub(message.body_html, pattern)
    message.last_error = _scrub(message.last_error, pattern)
    message.save(
        update_fields=["to_email", "to_name", "subject", "body_text", "body_html", "last_error"]
    )
    for event in DeliveryEvent.objects.filter(message=message).exclude(detail=""):
        event.detail = _scrub(event.detail, pattern)
        event.save(update_fields=["detail"])


def scrub_sent_confirmation(anonymisation: Anonymisation) -> bool:
    """Once the erasure's confirmation has gone (or can't), remove the address from it."""
    message = Message.objects.filter(
        org_id=anonymisation.org_id, pk=anonymisation.pending_message_id or 0
    ).first()
    if message is not None and message.status in (MessageStatus.QUEUED, MessageStatus.SENDING):
        return False
    if message is not None:
        # The candidate row holds no name any more: the message's own recipient says it.
        pattern = _scrubber(_identifiers(None, (message.to_email, message.to_name)))
        scrub_message(message, pattern, erased_email(anonymisation.candidate))
    anonymisation.pending_message_id = None
    anonymisation.save(update_fields=["pending_message_id"])
    return True
