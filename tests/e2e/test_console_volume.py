"""The console at volume, in a real browser: the list of applications (paging, filters, a
bad filter), finding a finished candidate, the board's keyboard shortcuts and its ? dialog,
removing a member with a handover; axe on every page these touch, and their screenshots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from heardback import clock
from heardback.console.listing import PAGE_SIZE
from heardback.hiring.models import Application, Member
from tests import factories
from tests.e2e.test_console_pages import SHOTS, axe_problems, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def axe_page(browser: Any) -> Any:
    # axe is injected as a script, which the console's CSP rightly blocks: this context
    # bypasses CSP (the pages' own scripts are checked by the other tests, CSP on).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _crowd(job: Any, n: int) -> None:
    """n more candidates on `job`, one a minute apart, so the newest-first order is known."""
    now = clock.now()
    for i in range(n):
        with time_machine.travel(now - timedelta(hours=2, minutes=n - i), tick=False):
            factories.make_application(job=job, name=f"Person {i:03d} Crowd")


def test_list_pages_and_filters(axe_page: Any, site: str, hiring_season: dict) -> None:
    page = axe_page
    job = hiring_season["job"]
    _crowd(job, PAGE_SIZE)
    total = Application.objects.filter(org=hiring_season["org"]).count()
    sign_in(page, site, "alex@northwind.example")
    page.get_by_role("link", name="Applications", exact=True).click()
    page.get_by_role("heading", name="Applications").wait_for()
    assert page.locator("#list-total").inner_text() == str(total)
    assert axe_problems(page) == []
    page.screenshot(path=str(SHOTS / "console-applications.png"), full_page=True)
    first = page.locator("#app-list tbody tr").count()
    assert first == PAGE_SIZE
    page.get_by_role("link", name="Next page →").click()
    page.get_by_role("link", name="First page").wait_for()
    assert page.locator("#app-list tbody tr").count() == total - PAGE_SIZE
    # Filters: finished only, then one job's overdue, then a bad value from a stale link.
    page.get_by_label("Status").select_option(label="Finished (any outcome)")
    page.get_by_role("button", name="Show").click()
    page.locator("#list-total", has_text="2").wait_for()  # Goran declined, Hana hired
    names = page.locator("#app-list tbody tr td:first-child a:first-child").all_inner_texts()
    assert sorted(names) == ["Goran Silva", "Hana Novak"]
    page.get_by_label("Status").select_option(value="")
    page.get_by_label("Job").select_option(label="Robotics Engineer")
    page.get_by_label("Unreachable").check()
    page.get_by_role("button", name="Show").click()
    unreachable = Application.objects.get(job=job, candidate__unreachable_since__isnull=False)
    page.locator("#list-total", has_text="1").wait_for()
    row = page.locator("#app-list tbody tr").inner_text()
    assert row.startswith(unreachable.candidate.name)
    page.goto(f"{site}/app/applications/?applied_from=31.12.2026&status=lost")
    page.get_by_text("Some filters can't be used").wait_for()
    page.get_by_text("Enter a date as YYYY-MM-DD").wait_for()
    page.get_by_text("Unknown status").wait_for()
    assert page.locator("#app-list").count() == 0
    assert axe_problems(page) == []
    # The export link carries the filter.
    page.goto(f"{site}/app/applications/?status=finished")
    href = page.get_by_role("link", name="Download CSV").get_attribute("href")
    assert href is not None and href.endswith("export.csv?status=finished")


def test_a_finished_candidate_is_found(axe_page: Any, site: str, hiring_season: dict) -> None:
    page = axe_page
    job = hiring_season["job"]
    goran = Application.objects.get(job=job, candidate__name="Goran Silva")
    other_job = factories.make_job(org=hiring_season["org"], title="Field Technician")
    factories.make_application(job=other_job, name="Goran Silva", email=goran.candidate.email)
    sign_in(page, site, "alex@northwind.example")
    # The board searches people in process; it offers to search everyone.
    page.goto(f"{site}/app/jobs/{job.pk}/")
    page.get_by_label("Search by name or email").fill("goran")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Search everyone, finished candidates too").click()
    page.locator("#app-list", has_text="Goran Silva").wait_for()
    assert "Declined" in page.locator("#app-list").inner_text()
    # The candidates list and the candidate's page across jobs.
    page.get_by_role("link", name="Candidates", exact=True).click()
    assert axe_problems(page) == []
    page.screenshot(path=str(SHOTS / "console-candidates.png"), full_page=True)
    page.get_by_label("Name or email").fill("silva")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Goran Silva").click()
    page.get_by_role("heading", name="Goran Silva").wait_for()
    rows = page.locator("#cand-apps tbody tr").all_inner_texts()
    assert len(rows) == 2
    assert any("Robotics Engineer" in r and "Declined" in r for r in rows)
    assert any("Field Technician" in r and "In process" in r for r in rows)
    assert axe_problems(page) == []
    page.screenshot(path=str(SHOTS / "console-candidate.png"), full_page=True)


def _focused(page: Any) -> str:
    return page.evaluate(
        "() => { const c = document.activeElement.closest('.card-item');"
        " return c ? c.querySelector('a.who').textContent : ''; }"
    )


def test_board_keyboard_shortcuts(page: Any, site: str, hiring_season: dict) -> None:
    """With the site's real CSP on: the shortcuts are the console's own script."""
    job = hiring_season["job"]
    sign_in(page, site, "alex@northwind.example")
    page.goto(f"{site}/app/jobs/{job.pk}/")
    columns = page.locator(".column")
    first_column = columns.nth(0).locator(".card-item a.who").all_inner_texts()
    page.keyboard.press("j")
    assert _focused(page) == first_column[0]
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible
    page.keyboard.press("j")
    assert _focused(page) == first_column[1]
    page.keyboard.press("k")
    assert _focused(page) == first_column[0]
    page.keyboard.press("l")  # the next column with anyone in it
    next_names = [
        name
        for i in range(1, columns.count())
        for name in columns.nth(i).locator(".card-item a.who").all_inner_texts()[:1]
    ]
    assert _focused(page) == next_names[0]
    page.keyboard.press("h")
    assert _focused(page) == first_column[0]
    # ? opens the help; Escape closes it and focus goes back to the card.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    dialog.wait_for()
    page.get_by_text("Next card in the column").wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('dialog') !== null")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert _focused(page) == first_column[0]
    # The button opens the same dialog (for mouse users and to discover the keys).
    page.get_by_role("button", name="Keyboard shortcuts").click()
    dialog.wait_for()
    page.get_by_role("button", name="Close").click()
    dialog.wait_for(state="hidden")
    # Typing in the search box is typing, not shortcuts.
    page.get_by_label("Search by name or email").fill("jk")
    assert page.get_by_label("Search by name or email").input_value() == "jk"
    # m: the move preview for the card's chosen stage (the next one); nothing sent yet.
    page.locator(".card-item").first.focus()
    page.keyboard.press("m")
    page.get_by_role("heading", name=f"Move {first_column[0]} to").wait_for()
    stages = list(job.pipeline.stages.order_by("position"))
    assert f"to {stages[1].name}" in page.locator("h1").inner_text()
    page.go_back()
    page.locator(".card-item").first.focus()
    page.keyboard.press("d")
    page.get_by_role("heading", name="Decline").first.wait_for()
    # Switched off, the one-key shortcuts do nothing (WCAG 2.1.4); ? still helps.
    page.go_back()
    page.keyboard.press("?")
    page.get_by_label("Turn the one-key shortcuts off").check()
    page.keyboard.press("Escape")
    page.locator("#shortcuts-open").focus()
    page.keyboard.press("j")
    assert _focused(page) == ""


def test_board_is_compact_and_passes_axe(axe_page: Any, site: str, hiring_season: dict) -> None:
    page = axe_page
    job = hiring_season["job"]
    _crowd(job, 67)
    sign_in(page, site, "alex@northwind.example")
    page.goto(f"{site}/app/jobs/{job.pk}/")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2000, f"the board is {height}px tall"
    assert page.get_by_text("1\N{EN DASH}50 of").count() == 1
    page.get_by_role("link", name="Next in Applied →").click()
    page.get_by_text("51\N{EN DASH}").wait_for()
    assert axe_problems(page) == []
    page.keyboard.press("?")
    page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
    assert axe_problems(page) == []
    page.keyboard.press("Escape")
    page.get_by_role("link", name="as a list (Applied)").click()
    page.locator("#list-total").wait_for()
    assert page.get_by_label("Stage").locator("option:checked").inner_text() == "Applied"


def test_removing_a_member_hands_over(axe_page: Any, site: str, hiring_season: dict) -> None:
    page = axe_page
    org = hiring_season["org"]
    factories.make_member(org=org, role="recruiter", email="rita@northwind.example")
    manager = Member.objects.get(org=org, user__email="mo@northwind.example")
    sign_in(page, site, "alex@northwind.example")
    page.get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Remove… Morgan Manager").click()
    page.get_by_role("heading", name="Remove Morgan Manager").wait_for()
    handover = page.locator("#handover").inner_text()
    assert "2 jobs they own" in handover
    assert axe_problems(page) == []
    page.screenshot(path=str(SHOTS / "console-member-remove.png"), full_page=True)
    page.get_by_label("Hand over to").select_option(label="rita@northwind.example (recruiter)")
    page.get_by_role("button", name="Remove Morgan Manager and hand over").click()
    page.get_by_text("Morgan Manager was removed.").wait_for()
    assert not Member.objects.filter(pk=manager.pk).exists()
    assert set(org.jobs.values_list("owner__user__email", flat=True)) == {"rita@northwind.example"}
    # The admin themself has no Remove link.
    assert page.get_by_role("link", name="Remove… Alex Admin").count() == 0


def test_phone_nav_is_one_row(browser: Any, site: str, hiring_season: dict) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    sign_in(page, site, "alex@northwind.example")
    for path in ("/app/", "/app/applications/", f"/app/jobs/{hiring_season['job'].pk}/"):
        page.goto(site + path)
        rows = page.evaluate(
            "() => new Set([...document.querySelectorAll('.console-nav li')]"
            ".map(li => li.getBoundingClientRect().top)).size"
        )
        assert rows == 1, f"{path}: the nav wraps into {rows} rows"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide"
    page.goto(f"{site}/app/applications/")
    page.screenshot(path=str(SHOTS / "console-phone-applications.png"), full_page=True)
    context.close()
