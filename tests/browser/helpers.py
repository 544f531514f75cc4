"""What a person does again and again: sign in, open the phone menu, sign out."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from qa_portal.demo import DEMO_PASSWORD

SIGN_IN_HEADING = "Sign in to the AP QA Portal"


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in and send the sign-in form (whatever the outcome)."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def navigation(page: Page):
    """The site navigation, opened first when a phone shows it behind the "Menu" button."""
    page.wait_for_load_state()  # GOV.UK Frontend has set up the toggle by "load"
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
    return page.get_by_role("navigation", name="Menu")


def sign_out(page: Page) -> None:
    navigation(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SIGN_IN_HEADING)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You have signed out."
    )


def page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def wait_until_shown(img: Locator) -> None:
    """An image has loaded and has pixels to show; times out if it never does (a broken src)."""
    img.page.wait_for_function(
        "img => img.isConnected && img.complete && img.naturalWidth > 0",
        arg=img.element_handle(),
    )
