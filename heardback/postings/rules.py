"""The publish check: a jurisdiction profile's posting rules applied to a posting.

Pure: no database. Returns errors by field, each a sentence the recruiter can act on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from heardback.compliance.profiles import PostingRules

# Between the words of a forbidden phrase: any run of spaces, hyphens, slashes or other
# marks within a sentence, and up to two more words ("Canadian work experience", "Canadian
# professional work experience"), so a variant can't slip past by rewording. Never across
# a sentence's end: "a Canadian company. Experience with Python" is no such requirement.
_SEP = r"(?:[^\w.!?;:]|_)+"
_GAP = _SEP + r"(?:\w+" + _SEP + r"){0,2}?"


@dataclass(frozen=True)
class Posting:
    title: str
    description: str
    location: str
    pay_min: Decimal | None
    pay_max: Decimal | None
    uses_ai: bool | None
    existing_vacancy: bool | None
    questions: tuple[str, ...]


def _normalised(text: str) -> str:
    # NFKC folds full-width letters and ligatures; casefold handles case everywhere.
    return unicodedata.normalize("NFKC", text).casefold()


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in _normalised(phrase).split()]
    return re.compile(r"(?<!\w)" + _GAP.join(words) + r"(?!\w)")


def forbidden_in(text: str, phrases: Iterable[str]) -> list[tuple[str, str]]:
    """(phrase, as found in `text`) for each forbidden phrase that `text` contains."""
    folded = _normalised(text)
    found = []
    for phrase in phrases:
        match = phrase_pattern(phrase).search(folded)
        if match:
            found.append((phrase, match.group(0)))
    return found


def _money(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def check(rules: PostingRules | None, posting: Posting) -> dict[str, list[str]]:
    """Every way `posting` breaks `rules` (empty: it may be published)."""
    errors: dict[str, list[str]] = {}
    low, high = posting.pay_min, posting.pay_max
    if (low is not None and low < 0) or (high is not None and high < 0):
        errors.setdefault("pay_min", []).append("Pay can't be negative.")
    if low is not None and high is not None and high < low:
        errors.setdefault("pay_max", []).append(
            "The top of the range is below its bottom: swap the two amounts."
        )
    if rules is None:
        return errors
    if rules.pay_required and low is None and high is None:
        errors.setdefault("pay_min", []).append(
            "State the expected pay or a pay range: this posting's rules require it."
        )
    if (
        rules.max_range_width is not None
        and low is not None
        and high is not None
        and high >= low
        and high - low > rules.max_range_width
        and not (
            rules.range_width_exempt_above is not None and high > rules.range_width_exempt_above
        )
    ):
        exempt = (
            f" (ranges whose top is above {_money(rules.range_width_exempt_above)} are exempt)"
            if rules.range_width_exempt_above is not None
            else ""
        )
        errors.setdefault("pay_max", []).append(
            f"The pay range is {_money(high - low)} wide; it may be at most "
            f"{_money(rules.max_range_width)}{exempt}. Narrow the range."
        )
    if rules.ai_statement_required and posting.uses_ai is None:
        errors.setdefault("uses_ai", []).append(
            "Say whether artificial intelligence is used to screen, assess or select applicants."
        )
    if rules.vacancy_statement_required and posting.existing_vacancy is None:
        errors.setdefault("existing_vacancy", []).append(
            "Say whether this posting is for an existing vacancy."
        )
    if rules.forbidden_requirements:
        for name, text in (("title", posting.title), ("description", posting.description)):
            for phrase, found in forbidden_in(text, rules.forbidden_requirements):
                errors.setdefault(name, []).append(
                    f"“{found}”: a requirement of {phrase} is forbidden in a posting under "
                    "these rules. Remove it."
                )
        for question in posting.questions:
            for phrase, _found in forbidden_in(question, rules.forbidden_requirements):
                errors.setdefault("questions", []).append(
                    f"The application form asks “{question}”: a requirement of {phrase} is "
                    "forbidden under these rules. Remove the question."
                )
    return errors
