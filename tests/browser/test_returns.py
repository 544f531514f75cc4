"""Termly returns on a phone: the provider sees "7 of 9 done", sends one return by its form and
the rest by the spreadsheet (a file with one bad row imports nothing and names the row and
column); the key worker accepts one and asks for a change on another, which the provider reads.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.helpers import page_width, sign_in

pytestmark = pytest.mark.browser

PROVIDER_USER = "provider@example.org"
STAFF_USER = "staff.hbep@example.org"
DONE = re.compile(r"^\w+ \d{4}: (\d+) of (\d+) done$")
CHANGE = "Please give the sessions possible for the whole term, not to date."


def done_count(page: Page) -> tuple[int, int]:
    text = page.locator("h1[data-returns-done], h2[data-returns-done]").first.inner_text()
    match = DONE.match(text.strip())
    assert match, text
    return int(match.group(1)), int(match.group(2))


def fill_form(page: Page) -> None:
    page.get_by_label("Sessions possible").fill("110")
    page.get_by_label("Sessions attended", exact=True).fill("96")
    page.get_by_label("Authorised absence", exact=True).fill("10")
    page.get_by_label("Unauthorised absence").fill("4")
    page.locator("[name=behaviour][value=good]").check()
    for radio in page.locator("[data-target] input[type=radio][value=on_track]").all():
        radio.check()
    page.locator("[name=accreditation_status][value=not_started]").check()
    page.get_by_label("Pupil voice").fill("I like fixing bikes")


def template(page: Page):
    with page.expect_download() as info:
        page.locator("[data-template-xlsx]").click()
    return load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))


def fill_row(sheet, row: int, attended: int) -> None:
    headings = {cell.value: cell.column for cell in sheet[1]}
    values = {
        "Sessions possible": 100,
        "Sessions attended": attended,
        "Authorised absence (sessions)": 0,
        "Unauthorised absence (sessions)": 0,
        "Behaviour": "Excellent",
        "Accreditation status": "Not started",
    }
    for n in range(1, 7):
        if sheet.cell(row, headings[f"Target {n}"]).value:
            values[f"Target {n} progress"] = "Some progress"
    for heading, value in values.items():
        sheet.cell(row, headings[heading], value)


def upload(page: Page, book) -> None:
    out = io.BytesIO()
    book.save(out)
    page.goto("/returns")
    page.locator("[data-upload-link]").click()
    page.get_by_label("Upload the filled-in spreadsheet").set_input_files(
        {"name": "returns.xlsx", "mimeType": "application/octet-stream", "buffer": out.getvalue()}
    )
    page.get_by_role("button", name="Upload and submit").click()
    page.wait_for_load_state()


def test_a_provider_sends_the_terms_returns_and_the_key_worker_reviews_them(new_context):
    page = new_context().new_page()
    sign_in(page, PROVIDER_USER)
    assert done_count(page) == (7, 9)
    due = page.locator("[data-returns-due] a")
    expect(due).to_have_count(2)
    names = [name.strip() for name in due.all_inner_texts()]

    # The spreadsheet, downloaded while both are due; then one return by its form.
    page.goto("/returns")
    book = template(page)
    sheet = book.worksheets[0]
    rows = {sheet.cell(r, 3).value: r for r in range(2, sheet.max_row + 1)}
    assert set(rows) == set(names)
    page.goto("/")
    page.locator("[data-returns-due] a", has_text=names[-1]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(names[-1])
    assert page_width(page) <= 390
    fill_form(page)
    page.get_by_role("button", name="Submit return").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Return submitted")
    assert done_count(page) == (8, 9)

    # The rest by the spreadsheet: a bad row first imports nothing and names the row.
    bad_row = rows[names[-1]]
    fill_row(sheet, rows[names[0]], attended=90)
    fill_row(sheet, bad_row, attended=120)
    upload(page, book)
    summary = page.locator("[data-upload-errors]")
    expect(summary).to_contain_text(f"Row {bad_row}, Sessions attended")
    expect(summary).to_contain_text("Nothing was imported")
    page.goto("/")
    assert done_count(page) == (8, 9)
    sheet.delete_rows(bad_row)
    upload(page, book)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "1 return(s) submitted"
    )
    assert done_count(page) == (9, 9)

    # The key worker accepts one and asks for a change on another.
    staff = new_context().new_page()
    sign_in(staff, STAFF_USER)
    staff.goto("/returns?status=submitted")
    staff.locator("[data-return-row] a", has_text=names[0]).first.click()
    staff.get_by_role("button", name="Accept the return").click()
    expect(staff.locator("[data-return-status]").first).to_have_text("Accepted")
    staff.goto("/returns?status=submitted")
    staff.locator("[data-return-row] a", has_text=names[-1]).first.click()  # the one by the form
    changed = staff.get_by_role("heading", level=1).inner_text()
    assert changed == names[-1]
    staff.get_by_label("Comment for the provider").fill(CHANGE)
    staff.get_by_role("button", name="Ask for a change").click()
    expect(staff.locator("[data-return-status]").first).to_have_text("Changes requested")
    expect(staff.locator("[data-return-history]")).to_contain_text("Changes requested")

    # The provider reads the change asked for.
    page.goto("/")
    assert done_count(page) == (8, 9)
    page.locator("[data-returns-due] a", has_text=changed).click()
    expect(page.locator("[data-review-comment]")).to_contain_text(CHANGE)
