"""The survey results, the report card switch and the CV download in a real browser: no
serious or critical axe-core violations, and the CV link really downloads the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import PDF, World, apply_with_cv
from tests.console.test_candidate_side import answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (
    Path(__file__).resolve().parents[2]
    / "heardback"
    / "console"
    / "static"
    / "console"
    / "vendor"
    / "axe.min.js"
)
PASSWORD = "correct horse battery staple"  # the factories' default


def axe_problems(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def sign_in(page: Any, site: str, email: str) -> None:
    page.goto(f"{site}/app/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="How reliably we answer").wait_for()


def test_new_sections_pass_axe_and_the_cv_downloads(
    browser: Any, live_server: Any, settings: Any, world: World, media_root: Any, tmp_path: Any
) -> None:
    settings.SITE_URL = live_server.url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for n in range(11):
        answer(world.job, world.recruiter, kept="yes" if n % 3 else "mostly", nps=n % 11)
    application = apply_with_cv(world.job, name="Marie Curie", filename="Curie CV.pdf")

    # axe is injected as a script, which our strict CSP rightly blocks: bypass it here only.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, bypass_csp=True, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "admin@acme.example")
    problems: dict[str, list[str]] = {}

    page.get_by_role("heading", name="What candidates told us").wait_for()
    assert page.locator("#s-answers").inner_text() == "11"
    problems["dashboard"] = axe_problems(page)
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)

    page.goto(f"{live_server.url}/app/policy/")
    page.get_by_role("button", name="Publish the report card").click()
    page.get_by_text("Your report card is public.").wait_for()
    snippet = page.get_by_label("Badge for your careers page (copy and paste)").input_value()
    assert f'src="{live_server.url}/employers/{world.org.slug}/badge.svg"' in snippet
    # The page after a reload (no flash message); the flash message has its own test below.
    page.reload()
    problems["policy"] = axe_problems(page)
    page.screenshot(path=str(tmp_path / "policy.png"), full_page=True)

    page.goto(f"{live_server.url}/app/applications/{application.pk}/")
    problems["application"] = axe_problems(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CV: Curie CV.pdf").click()
    download = info.value
    assert download.suggested_filename == "Curie CV.pdf"
    assert Path(download.path()).read_bytes() == PDF
    page.screenshot(path=str(tmp_path / "application.png"), full_page=True)
    context.close()
    assert not any(problems.values()), problems


def test_a_page_with_a_flash_message_passes_axe(
    browser: Any, live_server: Any, settings: Any, world: World
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "admin@acme.example")
    page.goto(f"{live_server.url}/app/policy/")
    page.get_by_role("button", name="Publish the report card").click()
    page.get_by_text("Your report card is public.").wait_for()
    problems = axe_problems(page)
    context.close()
    assert not problems, problems
