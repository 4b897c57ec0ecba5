"""What the candidate is told about their erasure request, in their language.

GDPR Art. 12(3) asks for information on the action taken: they hear when the request
arrives (with the date it will be answered by), and the answer. These are answers the law
asks for, not progress updates: they go to candidates who opted out of updates too.
The texts use the documented variables (hiring.messages.VARIABLES): the answer-by date is a
promised date (`respond_by_long`), the recruiter's answer a note from the team (`note`).
"""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from heardback.hiring import messages
from heardback.hiring.models import Application
from heardback.messaging.kinds import MessageKind
from heardback.messaging.models import Message
from heardback.portal.selectors import long_date

RECEIVED = messages.DefaultTemplate(
    subject=_("We received your request to erase your data"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "You asked {{ org_name }} to erase your personal data. We will answer by "
        "{{ respond_by_long }}.\n\n"
        "What the law requires us to keep (which job you applied for, the dates, and what we "
        "told you) is kept without your name.\n\n"
    ),
)
REFUSED = messages.DefaultTemplate(
    subject=_("Your request to erase your data"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "You asked {{ org_name }} to erase your personal data. We cannot do so yet, for this "
        "reason: {{ note }}\n\n"
        "We keep your data only as long as this reason lasts.\n\n"
    ),
)
ERASED = messages.DefaultTemplate(
    subject=_("Your data has been erased"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "As you asked, {{ org_name }} has erased your name, contact details and CV. The links "
        "to your status page no longer work. This is the last email you will receive from us "
        "about this application; your address is removed as soon as it has been sent.\n\n"
    ),
)


def _send(
    application: Application, *, key: str, default: messages.DefaultTemplate, **extra: str
) -> Message | None:
    return messages.send_to_candidate(
        application,
        kind=MessageKind.DATA_REQUEST,
        key=key,
        default=default,
        extra=extra,
        required=True,
    )


def received(application: Application, *, request_id: int, answer_by: datetime) -> Message | None:
    candidate = application.candidate
    when = long_date(answer_by, time_zone=candidate.time_zone, language=candidate.language)
    return _send(
        application,
        key=f"app:{application.pk}:erasure:{request_id}:received",
        default=RECEIVED,
        respond_by_long=when,
    )


def refused(application: Application, *, request_id: int, answer: str) -> Message | None:
    return _send(
        application,
        key=f"app:{application.pk}:erasure:{request_id}:refused",
        default=REFUSED,
        note=answer,
    )


def erased(application: Application, *, request_id: int) -> Message | None:
    return _send(
        application, key=f"app:{application.pk}:erasure:{request_id}:erased", default=ERASED
    )
