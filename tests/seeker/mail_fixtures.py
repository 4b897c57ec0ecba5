"""The hiring-mail fixtures: 64 emails written for the tests, in English, German and Spanish.

Each message in `fixtures/mail/hiring_<lang>.mbox` carries its expected reading in an
`X-Expect` header (`label=…; app=…; on=…; link=yes`), which the classifier never looks at:
`app` is a key of `applications.json` (the tracked applications the matcher sees), `new` for
hiring mail that matches none (offered as a new application), `-` for mail that isn't hiring
mail. Used by tests/seeker/test_mail_classification.py and tests/bench/mail_classification.py.
"""

from __future__ import annotations

import json
import mailbox
from dataclasses import dataclass
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "mail"
LANGUAGES = ("en", "de", "es")


@dataclass(frozen=True)
class Fixture:
    lang: str
    subject: str
    label: str
    app: str
    on: date | None
    link: bool
    raw: bytes

    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


def mbox_path(lang: str) -> Path:
    return FIXTURES / f"hiring_{lang}.mbox"


def load() -> list[Fixture]:
    found = []
    for lang in LANGUAGES:
        for message in mailbox.mbox(str(mbox_path(lang)), create=False):
            raw = message.as_bytes()
            fields = dict(
                part.strip().split("=", 1) for part in str(message["X-Expect"]).split(";")
            )
            found.append(
                Fixture(
                    lang=lang,
                    subject=str(message["Subject"]),
                    label=fields["label"],
                    app=fields.get("app", "-"),
                    on=date.fromisoformat(fields["on"]) if "on" in fields else None,
                    link=fields.get("link") == "yes",
                    raw=raw,
                )
            )
    return found


def applications() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads((FIXTURES / "applications.json").read_text())
    return data
