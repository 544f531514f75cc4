"""An invited head joins today's visit on their phone and adds an observation, marked as
theirs; on a phone someone else used before, that person's unsent work is never sent under the
head's name."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.helpers import navigation, sign_in, sign_out
from tests.browser.test_checklist import LEAD, criterion
from tests.browser.test_offline_checklist import database  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

HEAD = "head@example.org"


def open_as(page: Page, email: str) -> None:
    sign_in(page, email)
    navigation(page).get_by_role("link", name="Visits").click()
    page.locator("[data-upcoming]").get_by_role("link", name="Riverside Motor Skills CIC").click()
    page.locator("[data-open-checklist]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Safeguarding")
    page.wait_for_load_state("load")


def test_a_head_adds_an_observation_the_lead_then_sees(
    page: Page,
    database: sqlite3.Connection,  # noqa: F811
):
    open_as(page, HEAD)
    box = criterion(page, 1)
    expect(box.locator("input[type=radio]").first).to_be_disabled()  # the team rates
    note = "Pupils could name the safeguarding lead"
    box.get_by_label("Your observation").fill(note)
    box.get_by_label("Your observation").blur()
    expect(page.locator("[data-sync]")).to_have_text("All answers saved.")
    (author,) = database.execute(
        "SELECT users.email FROM visit_observations JOIN users ON users.id = author_id "
        "WHERE text = ?",
        (note,),
    ).fetchone()
    assert author == HEAD
    assert database.execute("SELECT count(*) FROM answers WHERE note = ?", (note,)).fetchone() == (
        0,
    )

    sign_out(page)
    open_as(page, LEAD)
    expect(criterion(page, 1).locator("[data-observations]")).to_contain_text(note)
    expect(criterion(page, 1).locator("[data-observations]")).to_contain_text(
        "Helen Head (head or senior leader)"
    )


def test_unsent_work_of_the_last_person_is_never_sent_under_the_next_name(page: Page):
    sign_in(page, HEAD)
    theirs = str(uuid.uuid4())
    page.evaluate(
        """(id) => localStorage.setItem("qa-portal-answers-v1", JSON.stringify([{
            url: "/visits/1/answers", page: "/visits/1/checklist/1", user: "999999",
            answer: {client_id: id, criterion_id: 1, rating: "met", note: "",
                     answered_at: new Date().toISOString()}}]))""",
        theirs,
    )
    posted: list[str] = []

    def on_request(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/answers"):
            posted.append(request.post_data_json["client_id"])

    page.on("request", on_request)
    page.goto("/")
    navigation(page).get_by_role("link", name="Visits").click()
    page.locator("[data-upcoming]").get_by_role("link", name="Riverside Motor Skills CIC").click()
    page.locator("[data-open-checklist]").click()
    page.wait_for_load_state("load")
    expect(page.locator("[data-sync]")).not_to_contain_text("waiting to be sent")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(300)
    assert theirs not in posted
    kept = page.evaluate('JSON.parse(localStorage.getItem("qa-portal-answers-v1"))')
    assert [item["answer"]["client_id"] for item in kept] == [theirs]
