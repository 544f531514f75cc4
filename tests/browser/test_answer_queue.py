"""Nothing on the phone waits behind one answer: an answer the server refuses is put aside and
shown beside its criterion, to correct or discard, and one that meets a server error is tried
again later, while the answers after it go on."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import BrowserContext, Page, Response, Route, expect

from tests.browser.test_checklist import criterion, open_todays_checklist
from tests.browser.test_offline_checklist import SAVED, database, visit_id  # noqa: F401

pytestmark = pytest.mark.browser

# A note ending in half an emoji: what a phone's keyboard can leave behind when text is cut.
HALF_AN_EMOJI = """(note) => {
    note.value = "Door propped open " + String.fromCharCode(0xd83d);
    note.dispatchEvent(new Event("change", { bubbles: true }));
}"""


def posted_answers(page: Page) -> list[tuple[str, int]]:
    """(client id, criterion id) of every answer the server answered, retries included."""
    posted: list[tuple[str, int]] = []

    def on_response(response: Response) -> None:
        request = response.request
        if request.method == "POST" and request.url.endswith("/answers"):
            body = request.post_data_json
            posted.append((body["client_id"], body["criterion_id"]))

    page.on("response", on_response)
    return posted


def ids_for(posted: list[tuple[str, int]], criterion_id: int) -> set[str]:
    return {client_id for client_id, sent_for in posted if sent_for == criterion_id}


def stored_times(database: sqlite3.Connection, client_id: str) -> int:  # noqa: F811
    return database.execute(
        "SELECT count(*) FROM answer_revisions WHERE client_id = ?", (client_id,)
    ).fetchone()[0]


def answer_on(database: sqlite3.Connection, visit: int, criterion_id: int):  # noqa: F811
    return database.execute(
        "SELECT rating, note FROM answers WHERE visit_id = ? AND criterion_id = ?",
        (visit, criterion_id),
    ).fetchone()


def open_area(page: Page, number: int, name: str) -> None:
    """Today's checklist at an area no other journey answers, so each test starts unanswered."""
    open_todays_checklist(page)
    page.locator("nav.portal-areas").get_by_role("link", name=f"{number}. {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.wait_for_load_state()


def box_id(page: Page, index: int) -> int:
    return int(criterion(page, index).get_attribute("data-criterion"))


def test_a_refused_note_is_put_aside_the_rest_arrive_and_it_can_be_corrected(
    page: Page,
    context: BrowserContext,
    database: sqlite3.Connection,  # noqa: F811
):
    posted = posted_answers(page)
    open_area(page, 5, "Pastoral care and behaviour")
    visit = visit_id(page)
    good, bad, later = box_id(page, 0), box_id(page, 2), box_id(page, 4)
    status = page.locator("[data-sync]")

    context.set_offline(True)
    criterion(page, 0).get_by_label("Amber: secure, with development points").check()
    criterion(page, 2).get_by_label("Note").evaluate(HALF_AN_EMOJI)
    criterion(page, 4).get_by_label("Red: inadequate, action required").check()
    expect(status).to_contain_text("3 answers waiting to be sent")

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    refused = criterion(page, 2).locator("[data-refused]")
    expect(refused).to_contain_text("Not accepted: This text holds a broken character")
    expect(refused.get_by_role("button", name="Discard this answer")).to_be_visible()
    expect(status).to_have_text(
        '1 answer not accepted: correct or discard what is marked "Not accepted".'
    )
    # The answers either side of it are stored, once each; the refused one not at all.
    for criterion_id in (good, later):
        (client_id,) = ids_for(posted, criterion_id)
        assert stored_times(database, client_id) == 1
    assert answer_on(database, visit, good)[0] == "amber"
    assert answer_on(database, visit, later)[0] == "red"
    (refused_id,) = ids_for(posted, bad)
    assert stored_times(database, refused_id) == 0
    assert posted.count((refused_id, bad)) == 1  # refused once, never tried again

    corrected = "Door propped open, closed when asked"
    criterion(page, 2).get_by_label("Note").fill(corrected)  # sent as it is typed, no blur
    expect(refused).to_have_count(0)
    expect(status).to_have_text(SAVED)
    assert answer_on(database, visit, bad)[1] == corrected
    page.reload()
    expect(criterion(page, 2).get_by_label("Note")).to_have_value(corrected)
    expect(page.locator("[data-refused]")).to_have_count(0)
    expect(status).to_have_text(SAVED)


def test_a_refused_answer_can_be_discarded(page: Page):
    open_area(page, 6, "Teaching, learning and assessment")
    status = page.locator("[data-sync]")
    box = criterion(page, 1)
    box.get_by_label("Note").evaluate(HALF_AN_EMOJI)
    expect(box).to_contain_text("Not accepted:")
    page.reload()  # put aside on the phone, not lost: still there to decide on
    expect(box.locator("[data-refused]")).to_contain_text("Not accepted:")
    box.get_by_role("button", name="Discard this answer").click()
    expect(box.locator("[data-refused]")).to_have_count(0)
    expect(status).to_have_text(SAVED)
    assert page.evaluate('JSON.parse(localStorage.getItem("qa-portal-answers-v1"))') == []


def test_a_server_error_for_one_answer_does_not_hold_back_the_next(
    page: Page,
    context: BrowserContext,
    database: sqlite3.Connection,  # noqa: F811
):
    open_area(page, 2, "Health and safety and premises")
    visit = visit_id(page)
    first, second = box_id(page, 1), box_id(page, 0)
    reached: list[int] = []  # criterion of each answer that reached the server, in order
    signal = {"back": False, "failed": False}

    def answers(route: Route) -> None:
        if not signal["back"]:
            route.abort("internetdisconnected")
            return
        criterion_id = route.request.post_data_json["criterion_id"]
        reached.append(criterion_id)
        if criterion_id == first and not signal["failed"]:
            signal["failed"] = True
            route.fulfill(status=503, json={"error": "The server is busy"})
        else:
            route.continue_()

    page.route("**/answers", answers)
    context.set_offline(True)
    criterion(page, 1).get_by_label("Red: inadequate, action required").check()
    criterion(page, 0).get_by_label("Not met", exact=True).check()
    expect(page.locator("[data-sync]")).to_contain_text("2 answers waiting to be sent")

    signal["back"] = True
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    # The first meets a server error; the second goes straight after it, not behind it; the
    # first is tried again a little later, and both are stored.
    expect(page.locator("[data-sync]")).to_have_text(SAVED)
    assert reached[:3] == [first, second, first], reached
    assert answer_on(database, visit, first)[0] == "red"
    assert answer_on(database, visit, second)[0] == "not_met"
