"""A co-ordinator's first minutes: the home page on their phone says today's visit, and its
link opens the visit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import page_width, sign_in

pytestmark = pytest.mark.browser

PROVIDER = "Riverside Motor Skills CIC"


def test_the_coordinator_home_page_lists_todays_visit_with_a_working_link(page: Page):
    sign_in(page, "staff.hbep@example.org")
    visits = page.locator("[data-next-visits]")
    today = visits.locator("li", has_text="Today")
    expect(today).to_have_count(1)
    expect(today).to_contain_text("you lead it")
    expect(page.locator("[data-needs]")).to_contain_text("action")
    assert page_width(page) <= PHONE["viewport"]["width"]
    today.get_by_role("link", name=PROVIDER).click()
    expect(page).to_have_url(re.compile(r"/visits/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PROVIDER)
