"""Signing in as each demo role, a wrong password, and what signing out leaves behind."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import SIGN_IN_HEADING, navigation, sign_in, sign_out

pytestmark = pytest.mark.browser

DEMO_USERS = [
    ("admin@example.org", "admin", "Priya Admin"),
    ("officer@example.org", "officer", "Owen Officer"),
    ("staff.hbep@example.org", "staff", "HBEP Co-ordinator"),
    ("staff.lip@example.org", "staff", "LIP Co-ordinator"),
    ("staff.mscip@example.org", "staff", "MSCIP Co-ordinator"),
    ("staff.nwllip@example.org", "staff", "NWLLIP Co-ordinator"),
    ("staff.slip@example.org", "staff", "SLIP Co-ordinator"),
    ("head@example.org", "head", "Helen Head"),
    ("provider@example.org", "provider", "Pat Provider"),
]


@pytest.mark.parametrize(("email", "role", "name"), DEMO_USERS, ids=[u[0] for u in DEMO_USERS])
def test_each_demo_role_signs_in_to_its_home_page(
    page: Page, live_server: str, email: str, role: str, name: str
):
    sign_in(page, email)

    expect(page).to_have_url(f"{live_server}/")
    heading = page.locator(f"h1[data-home={role}]")
    expect(heading).to_be_visible()
    expect(heading).to_have_text(f"Hello, {name}")
    expect(page.locator("header [data-who]")).to_contain_text(name)
    expect(navigation(page).get_by_role("button", name="Sign out")).to_be_visible()


def test_wrong_password_is_refused_on_the_sign_in_page(page: Page, live_server: str):
    sign_in(page, "officer@example.org", "not-the-password-at-all")

    expect(page).to_have_url(f"{live_server}/sign-in")
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SIGN_IN_HEADING)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    expect(
        summary.get_by_role("link", name="Enter a correct email address and password")
    ).to_be_visible()
    field_error = page.locator("#email-error")
    expect(field_error).to_be_visible()
    expect(field_error).to_contain_text("Enter a correct email address and password")
    expect(page.get_by_label("Email address")).to_have_value("officer@example.org")
    expect(page.locator("h1[data-home]")).to_have_count(0)


def test_after_sign_out_back_shows_sign_in_not_the_cached_account(page: Page):
    sign_in(page, "admin@example.org")
    navigation(page).get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_role("main")).to_contain_text("admin@example.org")

    sign_out(page)
    page.go_back()

    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Faccount$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SIGN_IN_HEADING)
    expect(page.get_by_text("Sign in to continue.")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("admin@example.org")
    expect(page.get_by_text("Priya Admin")).to_have_count(0)


def test_after_sign_out_reloading_a_protected_page_shows_sign_in(context: BrowserContext):
    first = context.new_page()
    sign_in(first, "admin@example.org")
    second = context.new_page()  # another tab, signed in through the same cookie
    second.goto("/account")
    expect(second.get_by_role("heading", level=1)).to_have_text("Your account")

    first.bring_to_front()  # a page in the background gets few animation frames: slow clicks
    sign_out(first)
    second.bring_to_front()
    second.reload()

    expect(second).to_have_url(re.compile(r"/sign-in\?next=%2Faccount$"))
    expect(second.get_by_role("heading", level=1)).to_have_text(SIGN_IN_HEADING)
    expect(second.get_by_text("Sign in to continue.")).to_be_visible()
    expect(second.get_by_role("main")).not_to_contain_text("admin@example.org")
    expect(second.get_by_role("button", name="Sign out")).to_have_count(0)

    second.goto("/account")
    expect(second).to_have_url(re.compile(r"/sign-in\?next=%2Faccount$"))
    expect(second.get_by_text("Priya Admin")).to_have_count(0)
