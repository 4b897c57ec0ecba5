"""The publish check's edges, as a table: the range width at exactly 50,000 and 50,001, the
top of the range at exactly 200,000 and above it, and "Canadian experience" in its variants."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from heardback.compliance.profiles import ONTARIO_ESA_2026, VOLUNTARY
from heardback.postings.rules import Posting, check

RULES = ONTARIO_ESA_2026.posting
GOOD = Posting(
    title="Robot Whisperer",
    description="Calm robots down. Experience with servos helps.",
    location="Toronto",
    pay_min=Decimal("80000"),
    pay_max=Decimal("100000"),
    uses_ai=False,
    existing_vacancy=True,
    questions=("Your name", "Email address", "Your CV (optional)"),
)


def D(value: str) -> Decimal:
    return Decimal(value)


def test_a_good_posting_passes() -> None:
    assert check(RULES, GOOD) == {}


@pytest.mark.parametrize(
    ("low", "high", "error"),
    [
        ("100000", "150000", None),  # exactly 50,000 wide: allowed
        ("100000", "150001", "150001 wide"),  # 50,001: too wide
        ("99999.99", "150000", "wide"),  # 50,000.01: too wide
        ("150000", "200000", None),  # top exactly 200,000, 50,000 wide: allowed
        ("149999", "200000", "wide"),  # top exactly 200,000 is not above it: the rule holds
        ("100000", "200001", None),  # top above 200,000: no width rule
        ("50000", "400000", None),
        ("90000", None, None),  # one amount, not a range
        (None, "90000", None),
        ("90000", "90000", None),
        (None, None, "State the expected pay"),
        ("100000", "90000", "swap the two amounts"),
        ("-1", "10", "negative"),
    ],
)
def test_pay_edges(low: str | None, high: str | None, error: str | None) -> None:
    posting = replace(
        GOOD,
        pay_min=D(low) if low is not None else None,
        pay_max=D(high) if high is not None else None,
    )
    problems = check(RULES, posting)
    text = " ".join(e for errs in problems.values() for e in errs)
    if error is None:
        assert problems == {}
    elif error.endswith(" wide"):
        assert "50,001 wide; it may be at most 50,000" in text
        assert "above 200,000 are exempt" in text
    else:
        assert error in text, text


def test_width_message_names_the_numbers() -> None:
    problems = check(RULES, replace(GOOD, pay_min=D("100000"), pay_max=D("150001")))
    assert problems == {
        "pay_max": [
            "The pay range is 50,001 wide; it may be at most 50,000 (ranges whose top is "
            "above 200,000 are exempt). Narrow the range."
        ]
    }


def test_statements_are_required() -> None:
    problems = check(RULES, replace(GOOD, uses_ai=None, existing_vacancy=None))
    assert set(problems) == {"uses_ai", "existing_vacancy"}
    assert "artificial intelligence" in problems["uses_ai"][0]
    # Either answer is a statement.
    assert check(RULES, replace(GOOD, uses_ai=True, existing_vacancy=False)) == {}


@pytest.mark.parametrize(
    "text",
    [
        "Canadian experience required.",
        "Must have CANADIAN EXPERIENCE",
        "Canadian work experience is a must",
        "canadian-experience preferred",
        "Canadian  \n experience",
        "Canadian professional work experience",
        "".join(chr(ord(c) + 0xFEE0) for c in "Canadian") + " experience",  # full-width
        "(canadian/experience)",
        "canadian_experience",
    ],
)
def test_canadian_experience_variants_are_refused(text: str) -> None:
    problems = check(RULES, replace(GOOD, description=f"About us. {text} Thank you."))
    assert list(problems) == ["description"]
    assert "a requirement of canadian experience is forbidden" in problems["description"][0]
    assert check(RULES, replace(GOOD, title=text))["title"]
    asked = check(RULES, replace(GOOD, questions=(*GOOD.questions, f"{text}?")))
    assert "The application form asks" in asked["questions"][0]


@pytest.mark.parametrize(
    "text",
    [
        "Experience with Canadian customers",
        "We are a Canadian company. Experience with Python.",  # a sentence apart, 4+ words
        "Canadianexperience",  # not the phrase (no boundary)
        "International experience welcome",
    ],
)
def test_near_misses_pass(text: str) -> None:
    assert check(RULES, replace(GOOD, description=text)) == {}


def test_no_rules_no_requirements() -> None:
    bare = replace(
        GOOD,
        pay_min=None,
        pay_max=None,
        uses_ai=None,
        existing_vacancy=None,
        description="Canadian experience required",
    )
    assert check(VOLUNTARY.posting, bare) == {}
    assert check(None, bare) == {}
