"""The curl examples in docs/api.md, run as written against a live server: they can't rot.

Each ```sh block that calls curl runs in bash with the placeholders the document uses set
to real values (the live server's URL, a key, a fresh job with its stage and a fresh
application), and every curl in it must get a 2xx answer.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from heardback.api.keys import create_key
from heardback.hiring import services as hiring
from tests.api.conftest import make_world

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
PLACEHOLDERS = {"HEARDBACK_URL", "KEY", "JOB_ID", "APPLICATION_ID", "STAGE_ID"}
# Every curl reports its status on a line of its own (the function shadows the command).
REPORTING_CURL = (
    "curl() { command curl -sS --max-time 30 --write-out '\\nHTTP %{http_code}\\n' \"$@\"; }\n"
)


def examples() -> list[tuple[str, str]]:
    """(the heading above it, the block) for each ```sh block that calls curl."""
    found, heading = [], ""
    for chunk in re.split(r"^(```sh\n.*?^```)$", DOC.read_text(), flags=re.S | re.M):
        if chunk.startswith("```sh"):
            block = chunk.removeprefix("```sh\n").removesuffix("```")
            if re.search(r"^curl ", block, re.M):
                found.append((heading, block))
        else:
            headings = re.findall(r"^#+ (.+)$", chunk, re.M)
            heading = headings[-1] if headings else heading
    return found


EXAMPLES = examples()


def test_the_document_has_an_example_for_each_common_task() -> None:
    headings = " / ".join(heading for heading, _ in EXAMPLES)
    for task in (
        "Create a job",
        "Apply",
        "Move",
        "Decline with a delay",
        "more time",
        "Read what the candidate was sent",
        "metrics",
    ):
        assert task.lower() in headings.lower(), task
    for _heading, block in EXAMPLES:
        assert set(re.findall(r"\$\{?([A-Z_]+)", block)) <= PLACEHOLDERS, block


@pytest.fixture
def placeholders(live_server: Any, settings: Any) -> dict[str, str]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = make_world("Acme Robotics", "acme.example")
    _key, raw = create_key(actor=world.admin, name="docs", scope="write")
    application = hiring.apply(job=world.job, name="Bo Diddley", email="bo@example.net")
    stage = world.job.pipeline.stages.order_by("position")[1]
    return {
        "HEARDBACK_URL": live_server.url,
        "KEY": raw,
        "JOB_ID": str(world.job.pk),
        "APPLICATION_ID": str(application.pk),
        "STAGE_ID": str(stage.pk),
    }


@pytest.mark.parametrize(("heading", "block"), EXAMPLES, ids=[h for h, _ in EXAMPLES])
def test_the_example_works_as_written(
    heading: str, block: str, placeholders: dict[str, str]
) -> None:
    assert shutil.which("curl"), "the examples are run with the real curl"
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", REPORTING_CURL + block],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **placeholders},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    statuses = [int(code) for code in re.findall(r"^HTTP (\d{3})$", result.stdout, re.M)]
    calls = len(re.findall(r"^curl ", block, re.M))
    assert len(statuses) == calls, result.stdout
    assert all(200 <= status < 300 for status in statuses), result.stdout
