"""Likely-no warnings: a heuristic, labelled as such, never a prediction.

Some phrases tend to come before a no ("we just have a few more candidates to interview").
The list is data (data/warning_phrases.json) so anyone can extend it; each entry carries
examples that the tests check. A missed promised date is the other common sign; the cadence
reports that one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PHRASES_FILE = Path(__file__).parent / "data" / "warning_phrases.json"
LABEL = "A common sign, not a prediction"


@dataclass(frozen=True)
class WarningPhrase:
    id: str
    pattern: re.Pattern[str]
    why: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Warning:
    id: str
    quote: str
    why: str
    source: str = ""
    label: str = LABEL


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str) -> str:
    text = text.lower().translate(_QUOTES)
    return re.sub(r"\s+", " ", text)


@lru_cache(maxsize=1)
def load_phrases(path: str = str(PHRASES_FILE)) -> tuple[WarningPhrase, ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return tuple(
        WarningPhrase(
            id=entry["id"],
            pattern=re.compile(entry["pattern"]),
            why=entry["why"],
            examples=tuple(entry.get("examples", ())),
        )
        for entry in data["phrases"]
    )


def scan(text: str, *, source: str = "") -> list[Warning]:
    """Every listed phrase found in `text`, once each, with the words that matched."""
    clean = normalise(text)
    found: list[Warning] = []
    for phrase in load_phrases():
        match = phrase.pattern.search(clean)
        if match:
            found.append(
                Warning(id=phrase.id, quote=match.group(0).strip(), why=phrase.why, source=source)
            )
    return found
