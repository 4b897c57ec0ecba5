"""Rendering message templates (Django template syntax) into subject, text and HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.utils.html import escape, urlize

from heardback.messaging.headers import single_line

# A private engine: message templates are plain text, written by recruiters, so no
# autoescaping of text and no access to the project's template tags or loaders.
_engine = Engine(autoescape=False, libraries={}, builtins=[])


class TemplateError(ValueError):
    """A recruiter-written template that can't be rendered, with a message they can act on."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_string(source: str, context: dict[str, Any]) -> str:
    try:
        template = _engine.from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateError(f"The template has a mistake: {error}") from error
    return template.render(Context(context, autoescape=False))


def text_to_html(text: str) -> str:
    """Paragraphs and links from plain text, everything escaped."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "\n".join("<p>" + urlize(escape(p)).replace("\n", "<br>\n") + "</p>" for p in paragraphs)
    return (
        '<!doctype html><html><body style="font-family:system-ui,sans-serif;'
        'font-size:16px;line-height:1.5;color:#1f2328;max-width:36em">\n'
        f"{body}\n</body></html>"
    )


def render_message(subject_template: str, body_template: str, context: dict[str, Any]) -> Rendered:
    subject = single_line(render_string(subject_template, context))
    text = render_string(body_template, context).strip() + "\n"
    return Rendered(subject=subject, text=text, html=text_to_html(text))
