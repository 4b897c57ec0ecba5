"""The post-decision survey: invite a candidate a few days after their final message.

Never before the final message was actually sent, at most once per email address per six
months (across every employer on this install: a survey is a favour we ask, not a right),
and never to someone who opted out of updates or whose address bounced.

`send_survey_invitations` is a scheduler step. Two claims make it safe to run in several
schedulers at once: the per-address row in `SurveyRecipient` is taken by compare-and-set,
and the one-per-application invitation row is unique.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from heardback.hiring.messages import SIGN_OFF, context_for
from heardback.hiring.models import Application, ApplicationStatus
from heardback.messaging.models import Message, MessageStatus
from heardback.messaging.rendering import render_message
from heardback.messaging.services import enqueue
from heardback.portal.models import SurveyInvitation, SurveyRecipient

DELAY_AFTER_FINAL = timedelta(days=3)
ONCE_PER = timedelta(days=183)
# Don't suddenly survey people about decisions from long ago when the feature is switched on.
LOOK_BACK = timedelta(days=30)
FINISHED = (ApplicationStatus.DECLINED, ApplicationStatus.HIRED, ApplicationStatus.WITHDRAWN)

SUBJECT = _("Three quick questions about applying to {{ org_name }}")
BODY = _(
    "Hello {{ first_name }},\n\n"
    "A few days ago we wrote to you about your application for {{ job_title }}. Whatever "
    "the outcome, we would like to know how we treated you: did we keep our promises about "
    "when you would hear from us?\n\n"
    "It takes a minute, and your answers go to {{ org_name }} only as part of a summary. "
    "{{ survey_url }}\n\n"
    "If you'd rather not, just ignore this email: we will not ask again.\n\n"
)


def eligible(*, now: datetime) -> QuerySet[Application]:
    final_sent = Message.objects.filter(
        org_id=OuterRef("org_id"),
        application_id=OuterRef("pk"),
        final=True,
        status=MessageStatus.SENT,
        sent_at__lte=now - DELAY_AFTER_FINAL,
    )
    return (
        Application.objects.filter(
            status__in=FINISHED,
            decided_at__gte=now - DELAY_AFTER_FINAL - LOOK_BACK,
            candidate__progress_updates_opt_out=False,
            candidate__unreachable_since__isnull=True,
        )
        .filter(Exists(final_sent))
        .exclude(Exists(SurveyInvitation.objects.filter(application_id=OuterRef("pk"))))
        .annotate(email_lower=Lower("candidate__email"))
        .exclude(
            Exists(
                SurveyRecipient.objects.filter(
                    email=OuterRef("email_lower"), last_invited_at__gt=now - ONCE_PER
                )
            )
        )
        .select_related("org", "job", "candidate", "stage")
        .order_by("decided_at", "id")
    )


def _claim_recipient(email: str, now: datetime) -> bool:
    """Compare-and-set: True if this scheduler may invite `email` now."""
    taken = SurveyRecipient.objects.filter(email=email, last_invited_at__lte=now - ONCE_PER).update(
        last_invited_at=now
    )
    if taken:
        return True
    if SurveyRecipient.objects.filter(email=email).exists():
        return False
    try:
        with transaction.atomic():
            SurveyRecipient.objects.create(email=email, last_invited_at=now)
    except IntegrityError:
        return False
    return True


def invite(application: Application, *, now: datetime) -> bool:
    email = application.candidate.email.lower()
    with transaction.atomic():
        if not _claim_recipient(email, now):
            return False
        try:
            with transaction.atomic():
                invitation = SurveyInvitation.objects.create(
                    org_id=application.org_id,
                    application=application,
                    email=email,
                    created_at=now,
                )
        except IntegrityError:
            # Another scheduler invited this application first; give the address back.
            transaction.set_rollback(True)
            return False
        candidate = application.candidate
        with translation.override(candidate.language):
            context = context_for(application)
            context["survey_url"] = (
                context["status_url"] + "#survey" if context["status_url"] else ""
            )
            rendered = render_message(str(SUBJECT), str(BODY) + str(SIGN_OFF), context)
        message, _created = enqueue(
            idempotency_key=f"app:{application.pk}:survey",
            to_email=candidate.email,
            to_name=candidate.name,
            rendered=rendered,
            kind="survey",
            org_id=application.org_id,
            application_id=application.pk,
            language=candidate.language,
            automated=True,
            reply_to=application.org.reply_to,
        )
        invitation.message_id = message.pk
        invitation.save(update_fields=["message_id"])
    return True


def send_survey_invitations(*, now: datetime, limit: int) -> int:
    """Scheduler step: invite up to `limit` candidates; returns how many were invited."""
    sent = 0
    seen: set[str] = set()
    for application in eligible(now=now)[: limit * 2]:
        if sent >= limit:
            break
        email = application.candidate.email.lower()
        if email in seen:
            continue
        seen.add(email)
        if invite(application, now=now):
            sent += 1
    return sent
