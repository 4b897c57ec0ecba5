"""The post-decision survey: invite a candidate a few days after their final message.

Never before the final message was actually sent, at most once per email address per six
months (across every employer on this install: a survey is a favour we ask, not a right),
and never to someone who opted out of updates or whose address bounced.

`send_survey_invitations` is a scheduler step. It reads only applications that are due
(`Application.survey_due_at`, set when an application is decided, in a partial index that
holds nothing else), so a round costs what is due, however many applications were ever
decided. Each due application is then invited, looked at again later (its final message
has not gone out, or went out less than three days ago), or let go for good (survey
cleared), so it is read again only when there is a reason to.

Two claims make it safe to run in several schedulers at once: the per-address row in
`SurveyRecipient` is taken by compare-and-set, and the one-per-application invitation row
is unique.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from heardback.hiring import messages
from heardback.hiring.models import SURVEY_DELAY_AFTER_FINAL, Application, ApplicationStatus
from heardback.messaging.kinds import MessageKind
from heardback.messaging.links import status_link_placeholder
from heardback.messaging.models import Message, MessageStatus
from heardback.portal.models import SurveyInvitation, SurveyRecipient
from heardback.runtime.isolation import ItemGuard

DELAY_AFTER_FINAL = SURVEY_DELAY_AFTER_FINAL
# A due application whose final message is still queued or being sent is looked at again
# this much later (a failed or cancelled one is let go: it never reached them).
LOOK_AGAIN = timedelta(hours=1)
ONCE_PER = timedelta(days=183)
# Don't suddenly survey people about decisions from long ago when the feature is switched on.
LOOK_BACK = timedelta(days=30)
FINISHED = (ApplicationStatus.DECLINED, ApplicationStatus.HIRED, ApplicationStatus.WITHDRAWN)

INVITATION_SUBJECT = _("Three quick questions about applying to {{ org_name }}")
INVITATION_BODY = _(
    "Hello {{ first_name }},\n\n"
    "A few days ago we wrote to you about your application for {{ job_title }}. Whatever "
    "the outcome, we would like to know how we treated you: did we keep our promises about "
    "when you would hear from us?\n\n"
    "It takes a minute, and your answers go to {{ org_name }} only as part of a summary. "
    "{{ survey_url }}\n\n"
    "If you'd rather not, just ignore this email: we will not ask again.\n\n"
)
INVITATION = messages.DefaultTemplate(subject=INVITATION_SUBJECT, body=INVITATION_BODY)


def due(*, now: datetime) -> QuerySet[Application]:
    """Applications the survey step should look at now, earliest first, with what it needs
    to decide: an index range scan of `application_survey_due`, nothing else."""
    # By application alone (an application id belongs to one org): `message_timeline`
    # answers it with a few rows, where adding the org made PostgreSQL also read the org's
    # whole message index for every application (22 s for 1,000 after a 100k close-out).
    final = Message.objects.filter(application_id=OuterRef("pk"), final=True).order_by(
        "-created_at", "-id"
    )
    return (
        Application.objects.filter(survey_due_at__lte=now)
        .annotate(
            final_status=Subquery(final.values("status")[:1]),
            final_sent_at=Subquery(final.values("sent_at")[:1]),
            invited=Exists(SurveyInvitation.objects.filter(application_id=OuterRef("pk"))),
            email_lower=Lower("candidate__email"),
            asked_lately=Exists(
                SurveyRecipient.objects.filter(
                    email=OuterRef("email_lower"), last_invited_at__gt=now - ONCE_PER
                )
            ),
        )
        .select_related("org", "job", "candidate", "stage")
        .order_by("survey_due_at", "id")
    )


def _verdict(application: Application, *, now: datetime) -> datetime | bool | None:
    """True: invite now. A moment: look again then. None: never (clear it)."""
    candidate = application.candidate
    if (
        application.status not in FINISHED
        or application.decided_at is None
        or application.decided_at < now - DELAY_AFTER_FINAL - LOOK_BACK
        or candidate.progress_updates_opt_out
        or candidate.unreachable_since is not None
        or application.invited  # type: ignore[attr-defined]
        or application.asked_lately  # type: ignore[attr-defined]
    ):
        return None
    status: str | None = application.final_status  # type: ignore[attr-defined]
    sent_at: datetime | None = application.final_sent_at  # type: ignore[attr-defined]
    if status in (MessageStatus.QUEUED, MessageStatus.SENDING):
        return now + LOOK_AGAIN
    if status != MessageStatus.SENT or sent_at is None:
        return None  # no final message, or it failed or was cancelled: it never reached them
    if sent_at > now - DELAY_AFTER_FINAL:
        return sent_at + DELAY_AFTER_FINAL
    return True


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
        message = messages.send_to_candidate(
            application,
            kind=MessageKind.SURVEY,
            key=f"app:{application.pk}:survey",
            default=INVITATION,
            automated=True,
            extra={"survey_url": status_link_placeholder() + "#survey"},
        )
        if message is None:  # opted out of updates since `eligible` looked
            transaction.set_rollback(True)
            return False
        invitation.message_id = message.pk
        invitation.save(update_fields=["message_id"])
    return True


def send_survey_invitations(*, now: datetime, limit: int) -> int:
    """Scheduler step: invite up to `limit` candidates; returns how many were invited."""
    guard = ItemGuard("send_survey_invitations", now=now)
    sent = 0
    seen: set[str] = set()
    let_go: list[int] = []
    later: dict[int, datetime] = {}
    for application in list(due(now=now)[: limit * 2]):
        if sent >= limit or guard.out_of_time:
            break
        verdict = _verdict(application, now=now)
        if verdict is None:
            let_go.append(application.pk)
            continue
        if isinstance(verdict, datetime):
            later[application.pk] = verdict
            continue
        email = application.candidate.email.lower()
        if email in seen:
            continue  # the same person twice in this round: the next round lets it go
        seen.add(email)
        invited = guard.run(
            f"application:{application.pk}",
            partial(invite, application, now=now),
            org_id=application.org_id,
            label="a survey invitation",
        )
        if invited:
            sent += 1
        if invited is not None:  # (None: it failed, and is retried after a backoff)
            let_go.append(application.pk)
    # Only rows still due as read: a new decision since (a reopened job decided again) has
    # set a later moment that must stand.
    if let_go:
        Application.objects.filter(pk__in=let_go, survey_due_at__lte=now).update(survey_due_at=None)
    if later:
        Application.objects.filter(pk__in=list(later), survey_due_at__lte=now).update(
            survey_due_at=Case(*[When(pk=pk, then=Value(at)) for pk, at in later.items()])
        )
    return sent
