"""Recruiter-written templates are untrusted: fuzzed, they are either refused with a message
a person can act on, or they render, in every language, within the output bound.

Templates are drawn from a grammar of text, variables (known, unknown, dotted) with
filters (allowed and forbidden, with hostile arguments), allowed and forbidden tags, and
unbalanced pieces, for every template field there is: a stage's message, a decline text
and a job's close-out. Then the console pages that save and preview templates are driven
with a few nasty ones: never a server error, always a clear message.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heardback.console.models import DeclineTemplate
from heardback.hiring import messages
from heardback.hiring.errors import HiringError
from heardback.hiring.models import Application, ApplicationStatus, Job, Member, Role, Stage
from heardback.messaging.links import LINK_SLOT
from heardback.messaging.models import Message
from heardback.messaging.rendering import (
    MAX_OUTPUT_CHARS,
    MAX_SOURCE_CHARS,
    TemplateError,
    render_message,
    render_string,
)
from tests import factories

LANGUAGES = [code for code, _name in django_settings.LANGUAGES]
SAMPLE = messages.SAMPLE_CONTEXT

# --- what each kind of message is rendered with ---------------------------------------------

_UNDECIDED = {**SAMPLE, "reason": "", "note": "", "survey_url": ""}
_DECIDED = {**_UNDECIDED, "respond_by": "", "respond_by_long": ""}
KIND_CONTEXTS: dict[str, dict[str, str]] = {
    "acknowledgement": _UNDECIDED,
    "stage_update": _UNDECIDED,
    "still_reviewing": _UNDECIDED,
    "no_decision_yet": _UNDECIDED,
    "more_time": {**_UNDECIDED, "note": SAMPLE["note"]},
    "reopened": _UNDECIDED,
    "decline": {**_DECIDED, "reason": SAMPLE["reason"]},
    "hired": _DECIDED,
    "withdrawn": _DECIDED,
    "survey": {**_DECIDED, "survey_url": SAMPLE["survey_url"]},
    # The close-out renders once per language with markers; SQL fills in the names.
    "close_out": {
        **_DECIDED,
        "reason": SAMPLE["reason"],
        "stage": "Closed",
        "first_name": messages.FIRST_NAME_MARKER,
        "candidate_name": messages.FULL_NAME_MARKER,
    },
}
# Which message each template field is the text of, and whether it is a close-out.
FIELDS: dict[str, tuple[str, bool]] = {
    "stage": ("stage_update", False),
    "decline": ("decline", False),
    "close_out": ("close_out", True),
}

# --- the grammar ------------------------------------------------------------------------------

KNOWN = sorted(messages.VARIABLES)
UNKNOWN = ["zzz", "settings", "request", "user", "csrf_token", "block", "forloop"]
DOTTED = [
    "first_name.upper",
    "job_title.__class__",
    "candidate_name.0",
    "org_name.split",
    "status_url.encode",
    "forloop.counter",
]
LITERALS = ['"x"', "'y'", "1", "None", '"20000000"']
ALLOWED_FILTERS = [
    "capfirst",
    "cut",
    "default",
    "default_if_none",
    "first",
    "last",
    "length",
    "lower",
    "pluralize",
    "slice",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "wordcount",
    "wordwrap",
    "yesno",
]
FORBIDDEN_FILTERS = [
    "ljust",
    "rjust",
    "center",
    "stringformat",
    "add",
    "safe",
    "escape",
    "date",
    "linebreaks",
    "urlize",
    "make_list",
    "join",
    "floatformat",
    "filesizeformat",
    "pprint",
    "random",
    "json_script",
    "dictsort",
    "addslashes",
    "nonexistent_filter",
]
ARGUMENTS = [
    '"20000000"',
    "20000000",
    '"abc"',
    '"-1"',
    '"0"',
    '"%s%s%s%s"',
    '"a,b,c"',
    '"::-1"',
    '":5"',
    "3",
    '""',
    "first_name",
    "zzz",
    "note",
]
ALLOWED_SINGLE_TAGS = [
    "{% firstof first_name job_title 'friend' %}",
    "{% firstof note reason as said %}{{ said }}",
    "{% templatetag openblock %}",
    "{% templatetag closevariable %}",
]
FORBIDDEN_SINGLE_TAGS = [
    '{% include "nope" %}',
    '{% include "base.html" %}',
    "{% load static %}",
    '{% load static %}{% static "x.css" %}',
    "{% debug %}",
    "{% lorem %}",
    "{% lorem 100000 w %}",
    '{% now "Y" %}',
    '{% url "home" %}',
    '{% cycle "a" "b" %}',
    "{% widthratio 1 1 100000000 %}",
    '{% extends "base.html" %}',
    '{% ssi "/etc/passwd" %}',
    "{% csrf_token %}",
    "{% resetcycle %}",
    "{% querystring %}",
    "{% regroup first_name by x as y %}",
    '{% partial "p" %}',
]
UNBALANCED = [
    "{% if first_name %}",
    "{% endif %}",
    "{% else %}",
    "{% elif note %}",
    "{% endwith %}",
    "{% endfor %}",
    "{{",
    "}}",
    "{%",
    "%}",
    "{{ }}",
    "{% %}",
    "{#",
    "{# a comment #}",
    "{{ first_name| }}",
    "{{ first_name|upper: }}",
    "{{ |upper }}",
    "{% if first_name == %}x{% endif %}",
    "{% if %}x{% endif %}",
    "{% with %}x{% endwith %}",
    "{% firstof %}",
    "{% comment %}",
    "{% verbatim %}",
    '{{ first_name|truncatechars:"5":"6" }}',
    "{{ first_name|default:}}",
    "{% if first_name %}{% endwith %}",
]

names = st.sampled_from(KNOWN + UNKNOWN + DOTTED + LITERALS)
known_or_not = st.sampled_from(KNOWN + KNOWN + UNKNOWN)
filters = st.tuples(
    st.sampled_from(ALLOWED_FILTERS + ALLOWED_FILTERS + FORBIDDEN_FILTERS),
    st.none() | st.sampled_from(ARGUMENTS),
).map(lambda f: f[0] if f[1] is None else f"{f[0]}:{f[1]}")
variable = st.builds(
    lambda name, chain, spaced: (
        ("{{ " if spaced else "{{") + "|".join([name, *chain]) + (" }}" if spaced else "}}")
    ),
    names,
    st.lists(filters, max_size=3),
    st.booleans(),
)
text = st.one_of(
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), max_codepoint=0x2FFF),
        max_size=12,
    ),
    st.sampled_from(["Hello ", "\n\n", "{", "}", "%", "#", " ", "ä€😀", "\\", '"', "'"]),
)
condition = st.one_of(
    known_or_not,
    known_or_not.map(lambda n: f"not {n}"),
    st.tuples(known_or_not, st.sampled_from(["and", "or", "and not"]), known_or_not).map(" ".join),
    st.tuples(known_or_not, st.sampled_from(["==", "!=", "in", "not in", "<", ">="]), names).map(
        " ".join
    ),
)
clean_variable = st.builds(
    lambda name, chain: "{{ " + "|".join([name, *chain]) + " }}",
    st.sampled_from(KNOWN),
    st.lists(
        st.tuples(st.sampled_from(ALLOWED_FILTERS), st.none() | st.sampled_from(ARGUMENTS)).map(
            lambda f: f[0] if f[1] is None else f"{f[0]}:{f[1]}"
        ),
        max_size=2,
    ),
)
clean_leaf = st.one_of(
    text, text, clean_variable, clean_variable, st.sampled_from(ALLOWED_SINGLE_TAGS)
)
any_leaf = st.one_of(
    text,
    variable,
    clean_variable,
    st.sampled_from(ALLOWED_SINGLE_TAGS),
    st.sampled_from(FORBIDDEN_SINGLE_TAGS),
    st.sampled_from(UNBALANCED),
)


def _allowed_blocks(children: st.SearchStrategy[str]) -> list[st.SearchStrategy[str]]:
    return [
        st.lists(children, min_size=1, max_size=4).map("".join),
        st.builds(lambda c, b: f"{{% if {c} %}}{b}{{% endif %}}", condition, children),
        st.builds(
            lambda c, b, other: f"{{% if {c} %}}{b}{{% else %}}{other}{{% endif %}}",
            condition,
            children,
            children,
        ),
        st.builds(
            lambda c, d, b, other: f"{{% if {c} %}}{b}{{% elif {d} %}}{other}{{% endif %}}",
            condition,
            condition,
            children,
            children,
        ),
        st.builds(
            lambda n, b: f"{{% with alias={n} %}}{b}{{{{ alias }}}}{{% endwith %}}",
            st.sampled_from(KNOWN),
            children,
        ),
        st.builds(lambda b: f"{{% comment %}}{b}{{% endcomment %}}", children),
        st.builds(lambda b: f"{{% verbatim %}}{b}{{% endverbatim %}}", children),
    ]


def _clean_blocks(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(*_allowed_blocks(children))


def _any_blocks(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        *_allowed_blocks(children),
        st.builds(
            lambda n, b: f"{{% with alias={n} %}}{b}{{{{ alias }}}}{{% endwith %}}", names, children
        ),
        # Forbidden block tags around allowed content.
        st.builds(lambda b: f"{{% for c in first_name %}}{b}{{{{ c }}}}{{% endfor %}}", children),
        st.builds(lambda b: f"{{% autoescape off %}}{b}{{% endautoescape %}}", children),
        st.builds(lambda b: f"{{% spaceless %}}{b}{{% endspaceless %}}", children),
        st.builds(lambda b: f"{{% filter upper %}}{b}{{% endfilter %}}", children),
        st.builds(lambda b: f"{{% block body %}}{b}{{% endblock %}}", children),
        st.builds(lambda b: f"{{% partialdef p %}}{b}{{% endpartialdef %}}", children),
    )


# Half built only from what a message may use (so many are accepted and then rendered),
# half from everything, allowed or not.
templates = st.one_of(
    st.recursive(clean_leaf, _clean_blocks, max_leaves=12),
    st.recursive(any_leaf, _any_blocks, max_leaves=12),
)


# --- helpers ----------------------------------------------------------------------------------


def sources_for(field: str, source: str, where: str) -> tuple[str, str]:
    """(subject, body) with the fuzzed source in the subject or the body."""
    if where == "subject":
        return source, "Hello {{ first_name }}, about {{ job_title }}."
    return "About {{ job_title }}", source


def assert_plain_messages(error: HiringError) -> None:
    texts = error.messages
    assert texts, "a refusal says why"
    for message in texts:
        assert isinstance(message, str) and message.strip()
        assert "Traceback" not in message and "\n" not in message


def render_only_template_errors(source: str, context: dict[str, str]) -> str | None:
    """Rendered text, or None for a TemplateError; anything else fails the test."""
    try:
        return render_string(source, context)
    except TemplateError as error:
        assert str(error).strip()
        return None


@pytest.fixture
def sample_application(db: Any) -> Application:
    org = factories.make_org(name="Sandbox Org")
    job = factories.make_job(org=org, title="Sandbox Engineer")
    application = factories.make_application(job=job, name="Ada María Lovelace")
    return Application.objects.select_related("org", "job", "candidate", "stage").get(
        pk=application.pk
    )


# --- the fuzz ---------------------------------------------------------------------------------


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    source=templates,
    field=st.sampled_from(sorted(FIELDS)),
    where=st.sampled_from(["subject", "body"]),
)
def test_a_fuzzed_template_is_refused_with_a_reason_or_renders_everywhere_within_bounds(
    sample_application: Application, source: str, field: str, where: str
) -> None:
    kind, close_out = FIELDS[field]
    subject, body = sources_for(field, source, where)
    try:
        messages.validate(subject=subject, body=body, close_out=close_out)
    except HiringError as error:
        assert_plain_messages(error)
        accepted = False
    else:
        accepted = True

    if accepted:
        # Every language we send in, with what this kind of message is rendered with.
        for language in LANGUAGES:
            with translation.override(language):
                rendered = render_message(
                    subject, body + str(messages.SIGN_OFF), KIND_CONTEXTS[kind]
                )
            assert len(rendered.subject) <= MAX_OUTPUT_CHARS
            assert len(rendered.text) <= MAX_OUTPUT_CHARS + 1  # the final newline

    # Accepted or not, rendering and previewing never fail any other way.
    for context in KIND_CONTEXTS.values():
        output = render_only_template_errors(source, context)
        assert output is None or len(output) <= MAX_OUTPUT_CHARS
    try:
        preview = messages.preview(sample_application, subject=subject, body=body)
    except TemplateError as error:
        assert str(error).strip()
    else:
        assert len(preview.text) <= MAX_OUTPUT_CHARS + 1
        assert LINK_SLOT not in preview.text  # the link shows as private, never as its slot


@settings(max_examples=60, deadline=None, derandomize=True)
@given(source=templates)
def test_what_is_refused_when_saved_is_refused_with_the_field_it_belongs_to(source: str) -> None:
    try:
        messages.validate(subject="About {{ job_title }}", body=source)
    except HiringError as error:
        assert set(error.message_dict) <= {"body"}  # the subject was fine
        assert_plain_messages(error)


# --- specific hostile templates ---------------------------------------------------------------

HOSTILE = {
    "include": '{% include "nope" %}',
    "load": "{% load static %}",
    "for": "{% for c in first_name %}{{ c }}{% endfor %}",
    "debug": "{% debug %}",
    "lorem": "{% lorem 100000 w %}",
    "ljust": '{{ first_name|ljust:"20000000" }}',
    "center": '{{ first_name|center:"20000000" }}',
    "stringformat": '{{ first_name|stringformat:"20000000s" }}',
    "attribute": "{{ first_name.upper }}",
    "dunder": "{{ job_title.__class__.__mro__ }}",
    "unbalanced": "Hello {% if first_name %}{{ first_name }}",
    "stray_end": "Hello {% endif %}",
    "unknown": "Hello {{ password }}",
    "bad_argument": '{{ first_name|wordwrap:"abc" }}',
    "too_long": "x" * (MAX_SOURCE_CHARS + 1),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_template_is_refused_with_a_plain_reason(name: str) -> None:
    with pytest.raises(HiringError) as refused:
        messages.validate(subject="Hi", body=HOSTILE[name])
    assert_plain_messages(refused.value)


def test_a_long_name_can_not_make_a_message_unbounded() -> None:
    """Fine with the sample's name, too long with a real one: an error, never a huge mail."""
    source = "{{ candidate_name }}" * 900
    messages.validate(subject="Hi", body=source)  # accepted: about 22,000 characters
    with pytest.raises(TemplateError, match="too long"):
        render_string(source, {**SAMPLE, "candidate_name": "A" * 200})


# --- the console pages ------------------------------------------------------------------------

CLEAR = (
    "can't be used in a message",
    "Variables can't have attributes",
    "The template has a mistake",
    "Unknown variable",
    "The template is too long",
    "could not be rendered",
    "would be too long",
    "an unexpected",
    "nests its tags too deeply",
)
NASTY = ["include", "load", "for", "ljust", "attribute", "unbalanced", "too_long", "bad_argument"]


@dataclass
class Console:
    recruiter: Member
    job: Job
    stage: Stage
    application: Application

    def client(self) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(self.recruiter.user)
        return client


@pytest.fixture
def console(db: Any, settings: Any) -> Console:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    org = factories.make_org(name="Console Org")
    recruiter = factories.make_member(org=org, role=Role.RECRUITER, email="rec@console.example")
    job = factories.make_job(org=org, title="Console Engineer", owner=recruiter)
    application = factories.make_application(job=job, name="Grace Hopper")
    return Console(
        recruiter=recruiter,
        job=job,
        stage=job.pipeline.stages.get(position=1),
        application=application,
    )


def page_text(response: Any) -> str:
    assert response.status_code < 500, response.status_code
    return html.unescape(response.content.decode())


def says_clearly(text: str) -> bool:
    return any(phrase in text for phrase in CLEAR)


@pytest.mark.parametrize("name", NASTY)
def test_the_stage_template_page_refuses_a_nasty_template_and_says_why(
    console: Console, name: str
) -> None:
    response = console.client().post(
        reverse("console:stage_template", args=[console.stage.pk]),
        {"subject": "Hi {{ first_name }}", "body": HOSTILE[name]},
    )
    assert says_clearly(page_text(response))
    console.stage.refresh_from_db()
    assert console.stage.body_template == ""


@pytest.mark.parametrize("name", NASTY)
def test_the_live_preview_shows_a_nasty_templates_mistake(console: Console, name: str) -> None:
    response = console.client().post(
        reverse("console:template_preview"),
        {"application": console.application.pk, "subject": "Hi", "body": HOSTILE[name]},
        headers={"HX-Request": "true"},
    )
    text = page_text(response)
    # A preview says what saving would say: a text that can't be saved or sent is never
    # previewed as if it could ("GRACE" for {{ first_name.upper }} was such a preview).
    assert says_clearly(text)
    assert "GRACE" not in text


@pytest.mark.parametrize("name", ["include", "load", "for", "ljust", "unbalanced", "bad_argument"])
def test_the_decline_page_refuses_a_nasty_text_and_sends_nothing(
    console: Console, name: str
) -> None:
    client = console.client()
    url = reverse("console:decline", args=[console.application.pk])
    form = {"reason": "other", "subject": "About {{ job_title }}", "body": HOSTILE[name]}
    preview = client.post(url, {**form, "when": "now"}, headers={"HX-Request": "true"})
    assert says_clearly(page_text(preview))
    response = client.post(url, {**form, "when": "now", "step": "send"})
    assert says_clearly(page_text(response))
    console.application.refresh_from_db()
    assert console.application.status == ApplicationStatus.ACTIVE
    assert not Message.objects.filter(kind="decline").exists()


@pytest.mark.parametrize("name", NASTY)
def test_the_job_page_refuses_a_nasty_close_out_text_and_keeps_the_old_one(
    console: Console, name: str
) -> None:
    job = console.job
    data: dict[str, Any] = {
        "title": job.title,
        "location": "",
        "description": "",
        "owner": job.owner_id,
        "closeout_subject": "{{ job_title }} is closed",
        "closeout_body": HOSTILE[name],
    }
    for stage in job.pipeline.stages.all():
        data[f"stage-{stage.pk}-name"] = stage.name
        data[f"stage-{stage.pk}-days"] = stage.promise_business_days
    response = console.client().post(reverse("console:job_edit", args=[job.pk]), data)
    assert says_clearly(page_text(response))
    job.refresh_from_db()
    assert job.closeout_body == ""


def test_pages_that_show_an_old_broken_template_show_the_mistake_not_an_error_page(
    console: Console,
) -> None:
    """Templates saved before the sandbox: the edit and move pages still open."""
    poisoned = 'Hello {{ first_name }}{% if job_title %}{% include "nope" %}{% endif %}'
    Stage.objects.filter(pk=console.stage.pk).update(body_template=poisoned)
    client = console.client()
    edit = page_text(client.get(reverse("console:stage_template", args=[console.stage.pk])))
    assert "can't be used in a message" in edit
    move = page_text(
        client.get(
            reverse("console:move", args=[console.application.pk]),
            {"stage": console.stage.pk},
        )
    )
    assert "is now being reviewed by the team" in move  # what the candidate would get
    Job.objects.filter(pk=console.job.pk).update(closeout_body=poisoned)
    close = page_text(client.get(reverse("console:job_close", args=[console.job.pk])))
    assert "We have now closed this position" in close
    assert "nope" not in close
    assert not DeclineTemplate.objects.exists()


# --- deep nesting: within the size limit, beyond Python's recursion limit ----------------

DEEPLY_NESTED = "{% if first_name %}" * 600 + "Hi" + "{% endif %}" * 600  # 18,000 characters


def test_a_template_nested_too_deep_is_refused_with_a_plain_reason_not_a_crash() -> None:
    assert len(DEEPLY_NESTED) <= MAX_SOURCE_CHARS
    with pytest.raises(HiringError) as refused:
        messages.validate(subject="Hi", body=DEEPLY_NESTED)
    assert_plain_messages(refused.value)
    with pytest.raises(TemplateError):
        render_string(DEEPLY_NESTED, SAMPLE)


def test_the_console_refuses_a_template_nested_too_deep_without_a_server_error(
    console: Console,
) -> None:
    client = console.client()
    saved = client.post(
        reverse("console:stage_template", args=[console.stage.pk]),
        {"subject": "Hi", "body": DEEPLY_NESTED},
    )
    assert says_clearly(page_text(saved))
    preview = client.post(
        reverse("console:template_preview"),
        {"application": console.application.pk, "subject": "Hi", "body": DEEPLY_NESTED},
        headers={"HX-Request": "true"},
    )
    assert says_clearly(page_text(preview))


# --- gaps the fuzzing found, now closed -----------------------------------------------------


def test_a_decline_text_that_fails_for_every_decline_is_refused_when_saved() -> None:
    """Filled in, a decline has a reason and no note: neither of the two contexts that
    `validate` tries (everything filled; every optional variable empty)."""
    body = '{% if reason and not note %}{{ first_name|wordwrap:"abc" }}{% endif %}Thank you.'
    with pytest.raises(TemplateError):
        render_message("Hi", body, KIND_CONTEXTS["decline"])
    with pytest.raises(HiringError):
        messages.validate(subject="Hi", body=body)


def test_the_decline_page_opens_with_an_old_broken_decline_template(console: Console) -> None:
    DeclineTemplate.objects.create(
        org_id=console.job.org_id,
        reason="other",
        language="en",
        subject="About {{ job_title }}",
        body='Hello {% include "nope" %}',
        updated_at=console.application.created_at,
    )
    page = console.client().get(
        reverse("console:decline", args=[console.application.pk]), {"reason": "other"}
    )
    assert says_clearly(page_text(page))


@pytest.mark.parametrize("name", ["attribute", "unknown"])
def test_the_decline_page_refuses_what_the_template_pages_refuse(
    console: Console, name: str
) -> None:
    response = console.client().post(
        reverse("console:decline", args=[console.application.pk]),
        {
            "reason": "other",
            "subject": "About {{ job_title }}",
            "body": HOSTILE[name],
            "when": "now",
            "step": "send",
        },
    )
    assert says_clearly(page_text(response))
    console.application.refresh_from_db()
    assert console.application.status == ApplicationStatus.ACTIVE
