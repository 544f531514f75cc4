"""Two-step verification on a phone: set up from Your account, then codes at sign-in."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import navigation, sign_in, sign_out

pytestmark = pytest.mark.browser

STAFF = "staff.nwllip@example.org"
WRONG_CODE = "The code is not correct or has already been used"


def settled(totp: pyotp.TOTP) -> pyotp.TOTP:
    """Wait out the last seconds of a half-minute, so a code reaches the server in its own."""
    left = totp.interval - time.time() % totp.interval
    if left < 3:
        time.sleep(left + 0.2)
    return totp


def enter_code(page: Page, code: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Continue").click()


def test_staff_set_up_two_step_verification_and_sign_in_with_codes(page: Page, live_server: str):
    sign_in(page, STAFF)
    navigation(page).get_by_role("link", name="Your account").click()
    expect(page.locator("[data-two-step=off]")).to_contain_text("Off")
    page.get_by_role("link", name="Set up two-step verification").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step verification")
    expect(page.get_by_alt_text(re.compile("QR code"))).to_be_visible()
    shown = page.locator("[data-two-step-secret]").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4})+", shown), shown
    totp = pyotp.TOTP(shown.replace(" ", ""))
    # The app's previous code is still accepted (phones' clocks drift); typing it leaves the
    # current one unused for the last sign-in below.
    page.get_by_label("Code from the app").fill(settled(totp).at(time.time() - totp.interval))
    page.get_by_role("button", name="Turn on two-step verification").click()

    expect(page.locator(".govuk-panel__title")).to_have_text("Two-step verification is on")
    codes = page.locator("[data-recovery-codes] code").all_inner_texts()
    assert len(codes) == len(set(codes)) == 10
    page.get_by_role("link", name="I have kept my recovery codes").click()
    expect(page.locator("[data-two-step=on]")).to_contain_text("On since")

    # A new sign-in asks for a code; a wrong one is refused, a recovery code works.
    sign_out(page)
    sign_in(page, STAFF)
    enter_code(page, "000000")
    expect(page.locator(".govuk-error-summary")).to_contain_text(WRONG_CODE)
    expect(page.locator("#code-error")).to_contain_text(WRONG_CODE)
    expect(page.locator("h1[data-home]")).to_have_count(0)
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1[data-home=staff]")).to_be_visible()

    # The same recovery code does not work twice; the app's current code does.
    sign_out(page)
    sign_in(page, STAFF)
    enter_code(page, codes[0])
    expect(page.locator("#code-error")).to_contain_text(WRONG_CODE)
    enter_code(page, settled(totp).now())
    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("h1[data-home=staff]")).to_be_visible()

    # The phone is lost: an administrator turns two-step verification off.
    sign_out(page)
    sign_in(page, "admin@example.org")
    page.goto(f"/admin/users?q={STAFF}")
    page.get_by_role("link", name="NWLLIP Co-ordinator").click()
    page.get_by_role("link", name="Turn off two-step verification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Turn off two-step verification?")
    page.get_by_role("button", name="Turn off two-step verification").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Two-step verification is off for {STAFF}, who is signed out everywhere."
    )
    sign_out(page)
    sign_in(page, STAFF)
    expect(page.locator("h1[data-home=staff]")).to_be_visible()
