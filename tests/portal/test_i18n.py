"""Languages: every candidate-facing string exists in German, Spanish and French, and is used.

The catalogue check runs `makemessages` on a copy of the source, exactly as a developer
would, and fails on any candidate-facing entry left empty or fuzzy: adding an English string
without its translations breaks the build.
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from heardback.hiring.models import Job
from heardback.messaging import delivery
from heardback.portal import tokens
from heardback.portal.views import form_key
from tests import factories
from tests.portal.conftest import token_from

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "heardback" / "locale"
MAKEMESSAGES = [
    "makemessages",
    "-l",
    "de",
    "-l",
    "es",
    "-l",
    "fr",
    "-e",
    "html,txt,py,svg",
    "-i",
    "var",
    "-i",
    "tests",
    "-i",
    "docs",
    "-i",
    "bin",
]
# Where the words a candidate reads come from.
CANDIDATE_FACING = (
    "heardback/portal/",
    "heardback/hiring/messages.py",
    "heardback/postings/",
    "heardback/privacy/",
)


@dataclass
class Entry:
    msgid: str
    plural: str
    msgstrs: list[str]
    references: list[str]
    fuzzy: bool


def _unquote(parts: list[str]) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return "".join(
        re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), p.strip()[1:-1])
        for p in parts
    )


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for msgid, msgid_plural, msgstr[n], references, flags."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, list[str]] = {}
        references: list[str] = []
        fuzzy = False
        key = ""
        for line in block.strip("\n").splitlines():
            if line.startswith("#:"):
                references += [ref.rsplit(":", 1)[0] for ref in line[2:].split()]
            elif line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in line
            elif line.startswith("#"):
                continue
            elif line.startswith("msg"):
                key, rest = line.split(" ", 1)
                fields[key] = [rest]
            elif line.startswith('"') and key:
                fields[key].append(line)
        if "msgid" not in fields:
            continue
        msgstrs = [_unquote(v) for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        entries.append(
            Entry(
                msgid=_unquote(fields["msgid"]),
                plural=_unquote(fields.get("msgid_plural", [])),
                msgstrs=msgstrs,
                references=references,
                fuzzy=fuzzy,
            )
        )
    return [e for e in entries if e.msgid]


def candidate_facing(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if any(r.startswith(CANDIDATE_FACING) for r in e.references)]


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory: Any) -> dict[str, list[Entry]]:
    """Run makemessages over a copy of the source tree, merging into the committed .po."""
    copy = tmp_path_factory.mktemp("i18n")
    shutil.copytree(
        ROOT / "heardback",
        copy / "heardback",
        ignore=shutil.ignore_patterns("__pycache__", "vendor", "*.mo"),
    )
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "HEARDBACK_VAR_DIR": str(copy / "var"), "PYTHONPATH": str(copy)}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {
        lang: parse_po(copy / "heardback" / "locale" / lang / "LC_MESSAGES" / "django.po")
        for lang in ("de", "es", "fr")
    }


@pytest.mark.parametrize("lang", ["de", "es", "fr"])
def test_makemessages_leaves_no_candidate_string_untranslated(
    fresh_catalogues: dict[str, list[Entry]], lang: str
) -> None:
    entries = candidate_facing(fresh_catalogues[lang])
    assert len(entries) > 100, "the candidate-facing strings were found"
    untranslated = [e.msgid for e in entries if not all(s.strip() for s in e.msgstrs)]
    fuzzy = [e.msgid for e in entries if e.fuzzy]
    assert not untranslated, f"{lang}: untranslated: {untranslated}"
    assert not fuzzy, f"{lang}: fuzzy: {fuzzy}"


@pytest.mark.parametrize("lang", ["de", "es", "fr"])
def test_translations_keep_every_placeholder(lang: str) -> None:
    placeholder = re.compile(r"\{\{\s*\w+\s*\}\}|\{%[^%]*%\}|%\(\w+\)s")
    for entry in candidate_facing(parse_po(LOCALE / lang / "LC_MESSAGES" / "django.po")):
        wanted = sorted(placeholder.findall(entry.plural or entry.msgid))
        for msgstr in entry.msgstrs:
            got = sorted(placeholder.findall(msgstr))
            if entry.plural and "%(minutes)s" in wanted and "%(minutes)s" not in msgstr:
                continue  # the singular form may say "a minute"
            assert got == wanted or sorted(set(got)) == sorted(set(wanted)), (entry.msgid, msgstr)


@pytest.mark.parametrize("lang", ["de", "es", "fr"])
def test_compiled_catalogues_are_current(lang: str) -> None:
    with (LOCALE / lang / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in candidate_facing(parse_po(LOCALE / lang / "LC_MESSAGES" / "django.po")):
        if entry.plural:
            assert compiled.ngettext(entry.msgid, entry.plural, 1) == entry.msgstrs[0]
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstrs[0], entry.msgid


# --- what a candidate actually sees ---------------------------------------------------------

EXPECTED = {
    "en": {
        "ack": "We received your application for Robot Whisperer",
        "page": [
            "What happens next",
            "You'll hear from us by Monday, 7 December 2026.",
            "Withdraw my application",
            "Received",
        ],
    },
    "de": {
        "ack": "Ihre Bewerbung als Robot Whisperer ist bei uns eingegangen",
        "page": [
            "Wie es weitergeht",
            "Sie hören von uns bis Montag, 7. Dezember 2026.",
            "Meine Bewerbung zurückziehen",
            "Eingegangen",
        ],
    },
    "es": {
        "ack": "Hemos recibido tu candidatura para Robot Whisperer",
        "page": [
            "Qué pasa ahora",
            "como muy tarde el lunes, 7 de diciembre de 2026",
            "Retirar mi candidatura",
            "Recibida",
        ],
    },
    "fr": {
        "ack": "Nous avons bien reçu votre candidature au poste de Robot Whisperer",
        "page": [
            "Prochaines étapes",
            "Vous aurez de nos nouvelles au plus tard le lundi 7 décembre 2026.",
            "Retirer ma candidature",
            "Reçue",
            "Vos données",
        ],
    },
}


def _english_fragments() -> list[str]:
    """Long literal pieces of every candidate-facing English string."""
    fragments = []
    for entry in candidate_facing(parse_po(LOCALE / "de" / "LC_MESSAGES" / "django.po")):
        for text in filter(None, (entry.msgid, entry.plural)):
            for piece in re.split(r"\{\{[^}]*\}\}|\{%[^%]*%\}|%\(\w+\)s|\n", text):
                piece = piece.strip(" .,:;!?()")
                if len(piece) >= 18:
                    fragments.append(piece.replace("'", "&#x27;"))
                    fragments.append(piece)
    return fragments


@pytest.mark.parametrize("lang", ["en", "de", "es", "fr"])
def test_status_page_and_acknowledgement_in_each_language(
    client: Client, job: Job, monday: Any, smtp_server: Any, lang: str
) -> None:
    factories.make_application(job=job, email="cand@example.net", language=lang)
    delivery.drain()
    (mail,) = smtp_server.to("cand@example.net")
    assert mail.subject == EXPECTED[lang]["ack"]
    token = token_from(mail.text)
    response = client.get(f"/s/{token}/")
    html = response.content.decode()
    assert response["Content-Language"] == lang
    assert f'<html lang="{lang}">' in html
    for phrase in EXPECTED[lang]["page"]:
        assert phrase in html, phrase
    if lang != "en":
        fragments = _english_fragments()
        assert len(fragments) > 100
        leftovers = [f for f in fragments if f in html or f in mail.text]
        assert not leftovers, leftovers


@pytest.mark.parametrize("lang", ["de", "es", "fr"])
def test_other_pages_in_each_language(client: Client, job: Job, lang: str) -> None:
    fragments = _english_fragments()
    pages = [
        client.get(f"/jobs/{job.org.slug}/?lang={lang}"),
        client.get(f"/jobs/{job.org.slug}/{job.slug}/?lang={lang}"),
        client.post(f"/jobs/{job.org.slug}/{job.slug}/?lang={lang}", {"name": "x\ny"}),
        client.get(f"/s/{'x' * 32}/?lang={lang}"),
    ]
    application = factories.make_application(job=job, language=lang)
    token = tokens.issue_token(application)
    pages.append(client.post(f"/s/{token}/", {"form_key": form_key(token), "action": "withdraw"}))
    for response in pages:
        html = response.content.decode()
        assert f'<html lang="{lang}">' in html
        leftovers = [f for f in fragments if f in html]
        assert not leftovers, (response.request["PATH_INFO"], leftovers)


def test_accept_language_picks_the_job_board_language(client: Client, job: Job) -> None:
    html = client.get(f"/jobs/{job.org.slug}/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content
    assert "Empleos en Acme Robotics" in html.decode()
