"""What the engine says to candidates on its own: honest, specific, never a false promise."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from heardback.hiring.messages import DefaultTemplate

NO_DECISION_YET = DefaultTemplate(
    subject=_("No decision yet on {{ job_title }}"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "We promised you an answer about {{ job_title }} by now, and we don't have one yet. "
        "That is on us, not on you.\n\n"
        "Your application is still active. You will hear from us again by {{ respond_by }}, "
        "with a decision or with honest news.\n\n"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)

MORE_TIME = DefaultTemplate(
    subject=_("We need a little more time: {{ job_title }}"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "The team needs a little more time before deciding about {{ job_title }}. "
        "{% if note %}{{ note }}\n\n{% endif %}"
        "You will hear from us by {{ respond_by }}.\n\n"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)

STILL_REVIEWING = DefaultTemplate(
    subject=_("Still in progress: {{ job_title }}"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "A short note so you are not left wondering: your application for {{ job_title }} "
        "is still active and in progress ({{ stage }}).\n\n"
        "{% if respond_by %}You will hear from us by {{ respond_by }}.\n\n{% endif %}"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)

CLOSE_OUT = DefaultTemplate(
    subject=_("{{ job_title }} has been closed"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "Thank you for applying for {{ job_title }} at {{ org_name }}. We have now closed this "
        "position, so we are not able to move forward with your application.\n\n"
        "We did not want you to keep waiting for an answer. Thank you for the time you gave "
        "us, and we wish you the very best in your search.\n\n"
    ),
)

FILLED_OUT = DefaultTemplate(
    subject=_("{{ job_title }} has been filled"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "Thank you for applying for {{ job_title }} at {{ org_name }}. The position has now "
        "been filled, so we are not able to move forward with your application.\n\n"
        "We did not want you to keep waiting for an answer. Thank you for the time you gave "
        "us, and we wish you the very best in your search.\n\n"
    ),
)

REOPENED = DefaultTemplate(
    subject=_("Good news: {{ job_title }} is open again"),
    body=_(
        "Hello {{ first_name }},\n\n"
        "We recently told you that {{ job_title }} had been closed. We have reopened it, and "
        "your application is active again, just where it was. We are sorry for the confusion.\n\n"
        "You will hear from us by {{ respond_by }}.\n\n"
        "{% if status_url %}Your status page: {{ status_url }}\n\n{% endif %}"
    ),
)
