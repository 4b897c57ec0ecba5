"""The API's Swagger UI in a real browser: it renders every operation from the bundled assets
under the site's strict Content-Security-Policy, without a single violation."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Registered before any of the page's scripts run: every CSP violation the page causes.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def test_the_api_docs_render_with_no_csp_violations(page: Any, live_server: Any) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    external: list[str] = []
    page.on(
        "request",
        lambda request: (
            external.append(request.url)
            if not request.url.startswith((live_server.url, "data:"))
            else None
        ),
    )
    page.add_init_script(WATCH_CSP)

    response = page.goto(f"{live_server.url}/api/v1/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_role("heading", name="Heardback API").wait_for()
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 21
    # Open one operation: its parameters, body example and documented problems render too.
    page.locator("#operations-applications-heardback_api_api_decline .opblock-summary").click()
    page.get_by_text("other_candidate").first.wait_for()
    page.locator(".response", has_text="422").first.wait_for()
    page.get_by_role("button", name="Authorize").wait_for()

    violations = page.evaluate("window.__cspViolations")
    assert violations == [], violations
    assert problems == [], problems
    assert external == [], external  # everything served by us: works offline
