"""The visit's lead finds someone to invite by typing part of their partnership's code: the
matches appear as they type, and the ticked ones are emailed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import navigation, sign_in
from tests.browser.test_checklist import LEAD

pytestmark = pytest.mark.browser


def test_the_lead_finds_and_invites_staff_of_another_partnership(page: Page):
    sign_in(page, LEAD)
    navigation(page).get_by_role("link", name="Visits").click()
    page.locator("[data-upcoming]").get_by_role("link", name="Riverside Motor Skills CIC").click()
    page.wait_for_load_state("load")
    results = page.locator("[data-people-results]")
    expect(results).to_be_hidden()

    page.get_by_label("Search by name, school or partnership").press_sequentially("LIP co")
    expect(results).to_be_visible()
    expect(page).not_to_have_url(re.compile("people="))  # found as typed, not by sending the form
    choice = results.get_by_label(re.compile(r"^LIP Co-ordinator \("))
    expect(choice).to_have_count(1)
    choice.check()
    results.get_by_role("button", name="Send invitations").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "1 invitation(s) emailed."
    )
    expect(page.locator(".govuk-summary-list")).to_contain_text(re.compile(r"\bLIP Co-ordinator"))
