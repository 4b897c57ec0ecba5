"""Rendering recruiter-written message templates, in a sandbox.

Message templates are written by recruiters and hiring managers: untrusted code, run for
every candidate. They use Django's template syntax (so the built-in texts, their
translations and the templates orgs already saved keep working) in a private engine that
can do only what a message needs:

- no loaders, so no `include`, `extends`, `ssi`; no `load`, `debug`, `lorem`, `for`, `url`,
  `now`, `cycle`, `widthratio` … only the tags and filters whitelisted below;
- only the documented variables, all of them plain strings, and no attribute lookups on
  them (`{{ first_name.upper }}` is refused when a template is saved);
- no loops, so the work is linear in the template's length, which is bounded;
- output bounded (`MAX_OUTPUT_CHARS`): `{{ first_name|ljust:"20000000" }}` can't be
  written, and nothing else grows a template's output beyond a small multiple of its size.

Why not Jinja2's `SandboxedEnvironment`: it keeps loops and arithmetic (`"x" * 10**8`), so
it still needs a wall-clock limit that Python can't enforce inside a thread, and it would
change the syntax of every saved template and translation. A whitelist with no loops gives
a bound by construction. See docs/architecture.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.template import (
    Context,
    Engine,
    Library,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import FilterExpression, Lexer, Node, TokenType
from django.utils.html import escape, urlize

from heardback.messaging.headers import single_line

MAX_SOURCE_CHARS = 20_000
MAX_OUTPUT_CHARS = 100_000

ALLOWED_TAGS = ("comment", "firstof", "if", "templatetag", "verbatim", "with")
ALLOWED_FILTERS = (
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
)


def _sandbox_library() -> Library:
    library = Library()
    for name in ALLOWED_TAGS:
        library.tags[name] = defaulttags.register.tags[name]
    for name in ALLOWED_FILTERS:
        library.filters[name] = defaultfilters.register.filters[name]
    return library


def _sandbox_engine() -> Engine:
    engine = Engine(autoescape=False, libraries={}, builtins=[], loaders=[])
    # Replace the default builtins (every Django tag and filter) with the whitelist.
    engine.template_builtins = [_sandbox_library()]
    engine.template_libraries = {}
    return engine


_engine = _sandbox_engine()


class TemplateError(ValueError):
    """A recruiter-written template that can't be rendered, with a message they can act on."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


# A dotted name outside quotes: `first_name.upper`, `job_title.__class__`.
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_ATTRIBUTE = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.(\w+)")
_NAME = re.compile(r"(?<![\w.\"'])([A-Za-z_]\w*)(?![\w\"'(])")
# Words inside tags that are syntax, not variables.
_SYNTAX_WORDS = frozenset(
    {"and", "or", "not", "in", "is", "as", "only", "None", "True", "False", "with"}
    | set(ALLOWED_TAGS)
    | {"else", "elif", "endif", "endcomment", "endwith", "endverbatim"}
    | set(ALLOWED_FILTERS)
)


def _compile(source: str) -> Any:
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateError(
            f"The template is too long: {len(source):,} characters (at most {MAX_SOURCE_CHARS:,})."
        )
    try:
        return _engine.from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateError(_explained(error)) from error
    except RecursionError as error:
        raise TemplateError("The template nests its tags too deeply.") from error
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        # Django's parser raises these for some malformed arguments.
        raise TemplateError(f"The template has a mistake: {_plain(error)}") from error


def _plain(error: Exception) -> str:
    text = single_line(str(error), max_length=300)
    return text or type(error).__name__


_INVALID_TAG = re.compile(r"Invalid block tag on line (\d+): '([^']*)'")
_INVALID_FILTER = re.compile(r"Invalid filter: '([^']*)'")


def _explained(error: TemplateSyntaxError) -> str:
    """Django's parser messages, reworded for someone writing an email, not a developer."""
    text = str(error)
    if tag := _INVALID_TAG.search(text):
        line, name = tag.groups()
        if name.startswith("end") or name in ("else", "elif"):
            return f"The template has a mistake on line {line}: an unexpected {{% {name} %}}."
        return (
            f"The template has a mistake on line {line}: {{% {single_line(name, max_length=40)} %}}"
            " can't be used in a message. You can use: "
            + ", ".join(f"{{% {t} %}}" for t in ALLOWED_TAGS)
            + "."
        )
    if found := _INVALID_FILTER.search(text):
        return (
            f"The filter |{single_line(found.group(1), max_length=40)} can't be used in a "
            "message. You can use: " + ", ".join(f"|{f}" for f in ALLOWED_FILTERS) + "."
        )
    return f"The template has a mistake: {_plain(error)}"


def _check_bounded(output: str) -> str:
    if len(output) > MAX_OUTPUT_CHARS:
        raise TemplateError(
            f"The message would be too long ({len(output):,} characters; at most "
            f"{MAX_OUTPUT_CHARS:,})."
        )
    return output


def render_string(source: str, context: Mapping[str, Any]) -> str:
    """Render one template; any failure becomes a `TemplateError` with a plain message."""
    template = _compile(source)
    try:
        output = template.render(Context(dict(context), autoescape=False))
    except TemplateError:
        raise
    except Exception as error:  # a sandboxed template must never take its caller down
        raise TemplateError(f"The template could not be rendered: {_plain(error)}") from error
    return _check_bounded(output)


def names_used(source: str) -> tuple[set[str], set[str]]:
    """(variable names, dotted lookups) a template uses, read from its tags and variables."""
    names: set[str] = set()
    dotted: set[str] = set()
    for token in Lexer(source).tokenize():
        if token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            continue
        content = token.contents
        if token.token_type == TokenType.BLOCK:
            command, _, content = content.partition(" ")
            if command in ("comment", "verbatim", "templatetag"):
                continue
        unquoted = _QUOTED.sub('""', content)
        dotted.update(f"{a}.{b}" for a, b in _ATTRIBUTE.findall(unquoted))
        # Filter names follow a `|`; with-assignments (`name=`) define, not use.
        without_filters = re.sub(r"\|\s*\w+", "", unquoted)
        names.update(n for n in _NAME.findall(without_filters) if n not in _SYNTAX_WORDS)
    return names, dotted


_ASSIGNED = re.compile(r"\b([A-Za-z_]\w*)\s*=|\bas\s+([A-Za-z_]\w*)")


def _defined_names(source: str) -> set[str]:
    """Names a template defines for itself: `{% with a=… %}`, `{% firstof … as a %}`."""
    defined: set[str] = set()
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK and token.contents.split(" ", 1)[0] in (
            "with",
            "firstof",
        ):
            for assigned, alias in _ASSIGNED.findall(_QUOTED.sub('""', token.contents)):
                defined.add(assigned or alias)
    return defined


def _filter_expressions(nodelist: Any) -> Iterator[FilterExpression]:
    """Every filter expression of a compiled template, in every branch, taken or not."""
    for node in nodelist.get_nodes_by_type(Node):
        if isinstance(getattr(node, "filter_expression", None), FilterExpression):
            yield node.filter_expression
        for value in getattr(node, "vars", None) or []:  # {% firstof %}
            if isinstance(value, FilterExpression):
                yield value
        for value in (getattr(node, "extra_context", None) or {}).values():  # {% with %}
            if isinstance(value, FilterExpression):
                yield value
        for condition, _nodes in getattr(node, "conditions_nodelists", None) or []:
            yield from _condition_expressions(condition)


def _condition_expressions(condition: Any) -> Iterator[FilterExpression]:
    if condition is None:
        return
    if isinstance(getattr(condition, "value", None), FilterExpression):
        yield condition.value
    yield from _condition_expressions(getattr(condition, "first", None))
    yield from _condition_expressions(getattr(condition, "second", None))


def _bad_filter_arguments(template: Any) -> list[str]:
    """Filters whose literal argument fails whatever the text (`|wordwrap:"abc"`): found
    in every branch at save time, not only in the branch a sample happens to take."""
    problems: list[str] = []
    for expression in _filter_expressions(template.nodelist):
        for function, arguments in expression.filters:
            literal = [a for lookup, a in arguments if not lookup]
            if len(literal) != len(arguments):
                continue  # an argument from a variable: checked when rendered
            try:
                function("Sample text", *literal)
            except Exception as error:
                name = getattr(function, "_filter_name", None) or function.__name__
                problems.append(
                    f"The template has a mistake: the filter |{name} can't take that argument "
                    f"({single_line(str(error), max_length=120) or type(error).__name__})."
                )
    return problems


# Whole tags, variables and comments; whatever delimiter is left after removing them is a
# typo ("{{first_name}", "{ first_name }}") that Django would print as it is.
_WHOLE_TOKEN = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_STRAY = re.compile(r"\{\{|\}\}|\{%|%\}")
_SINGLE_BRACED = re.compile(r"\{\s*([a-z_]+)\s*\}")


def stray_delimiter(source: str, variables: Iterable[str] = ()) -> str:
    """The text around the first placeholder delimiter that is not part of a whole tag (or a
    variable in single braces), or ""."""
    rest = _WHOLE_TOKEN.sub(" ", source)
    known = set(variables)
    found = _STRAY.search(rest) or next(
        (m for m in _SINGLE_BRACED.finditer(rest) if m.group(1) in known), None
    )
    if found is None:
        return ""
    return single_line(rest[max(found.start() - 15, 0) : found.end() + 15], max_length=60)


def check_template(source: str, *, variables: Iterable[str]) -> list[str]:
    """Problems that stop a template being saved: syntax, unknown variables, attributes,
    filter arguments that can never work."""
    try:
        template = _compile(source)
    except TemplateError as error:
        return [str(error)]
    problems: list[str] = _bad_filter_arguments(template)
    names, dotted = names_used(source)
    names -= _defined_names(source)
    if dotted:
        problems.append(
            "Variables can't have attributes ("
            + ", ".join(sorted(dotted))
            + "): use the variable as it is, e.g. {{ first_name }}."
        )
    stray = stray_delimiter(source, variables)
    if stray:
        problems.append(
            f"A placeholder is not written right near “{stray}”: the candidate would see the "
            "braces. Write it with two braces on each side, like {{ first_name }}."
        )
    known = set(variables)
    unknown = sorted(names - known - {d.split(".")[0] for d in dotted})
    if unknown:
        problems.append(
            "Unknown variable"
            + ("s " if len(unknown) > 1 else " ")
            + ", ".join("{{ " + name + " }}" for name in unknown)
            + ". You can use: "
            + ", ".join("{{ " + name + " }}" for name in sorted(known))
            + "."
        )
    return problems


def text_to_html(text: str) -> str:
    """Paragraphs and links from plain text, everything escaped."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "\n".join("<p>" + urlize(escape(p)).replace("\n", "<br>\n") + "</p>" for p in paragraphs)
    return (
        '<!doctype html><html><body style="font-family:system-ui,sans-serif;'
        'font-size:16px;line-height:1.5;color:#1f2328;max-width:36em">\n'
        f"{body}\n</body></html>"
    )


def render_message(
    subject_template: str, body_template: str, context: Mapping[str, Any]
) -> Rendered:
    subject = single_line(render_string(subject_template, context))
    text = render_string(body_template, context).strip() + "\n"
    return Rendered(subject=subject, text=text, html=text_to_html(text))
