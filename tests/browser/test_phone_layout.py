"""At a phone's width the pages fit without sideways scrolling and break no security policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import navigation, page_width, sign_in

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390
ADMIN_PAGES = {
    "/": "Hello, Priya Admin",
    "/admin/users": "Users",
    "/admin/audit": "Audit log",
}


def test_admin_pages_fit_a_phone_without_sideways_scrolling(page: Page):
    sign_in(page, "admin@example.org")
    too_wide = {}
    for path, heading in ADMIN_PAGES.items():
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        width = page_width(page)
        if width > PHONE_WIDTH:
            too_wide[path] = width
    assert too_wide == {}, f"wider than {PHONE_WIDTH}px (scrollWidth): {too_wide}"


def test_pages_break_no_content_security_policy(page: Page, csp_errors: list[str]):
    for path in ("/sign-in", "/account/forgot-password", "/accessibility", "/privacy"):
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
    sign_in(page, "admin@example.org")
    for path in (
        "/",
        "/admin/users",
        "/admin/users/new",
        "/admin/audit",
        "/admin/outbox",
        "/partnerships",
        "/partnerships/HBEP",
        "/account",
        "/account/password",
    ):
        response = page.goto(path)
        assert response is not None and response.ok, (path, response and response.status)
        expect(page.locator("main h1")).to_be_visible()
    # Scripted parts run too: the phone menu and the password "Show" button.
    navigation(page)
    page.goto("/account/password")
    page.get_by_role("button", name="Show password").first.click()

    assert csp_errors == []


def test_a_policy_violation_would_be_noticed(page: Page, csp_errors: list[str]):
    """The console check above can fail: an image from elsewhere is refused and reported."""
    page.goto("/sign-in")
    page.evaluate(
        """() => {
          const img = document.createElement("img");
          img.src = "https://example.com/tracker.png";
          document.body.append(img);
        }"""
    )
    for _ in range(20):  # console messages arrive asynchronously
        if csp_errors:
            break
        page.wait_for_timeout(100)
    assert any("img-src" in message for message in csp_errors), csp_errors
    csp_errors.clear()  # expected here: do not fail the test at teardown
