"""The checklist goes on with no signal: photos wait on the phone, the page reopens from the
service worker after a reload, and everything reaches the server once when the signal returns."""

from __future__ import annotations

import io
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.browser.helpers import SIGN_IN_HEADING, sign_in, sign_out, wait_until_shown
from tests.browser.test_checklist import LEAD, criterion, open_todays_checklist

pytestmark = pytest.mark.browser

SAVED = "All answers saved."


@pytest.fixture
def database(live_server: str, tmp_path_factory) -> Iterator[sqlite3.Connection]:
    """The live server's own SQLite database (conftest keeps it in "browser-server<n>")."""
    base = Path(tmp_path_factory.getbasetemp())
    (path,) = (
        p for p in base.glob("browser-server[0-9]*/portal.sqlite3") if not p.parent.is_symlink()
    )
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield connection
    finally:
        connection.close()


def jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((2400, 1800), 30).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def visit_id(page: Page) -> int:
    url = page.locator("[data-checklist]").get_attribute("data-answers-url")
    return int(re.search(r"/visits/(\d+)/", url).group(1))


def criterion_id(page: Page, index: int) -> int:
    return int(criterion(page, index).get_attribute("data-criterion"))


def sent_answer_ids(page: Page) -> list[str]:
    """Every client id the page tries to send (retries included)."""
    ids: list[str] = []

    def on_request(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/answers"):
            ids.append(request.post_data_json["client_id"])

    page.on("request", on_request)
    return ids


def wait_until_kept_offline(page: Page) -> None:
    """The service worker controls the page and holds a copy of it."""
    kept = "caches.match(location.pathname).then((copy) => Boolean(copy && {}))"
    for _ in range(100):  # not wait_for_function: it evaluates with eval(), which CSP forbids
        if page.evaluate(kept.format("navigator.serviceWorker.controller")):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the service worker kept no copy of the page")


def test_a_reload_with_no_signal_loses_nothing_and_everything_arrives_once(
    page: Page, context: BrowserContext, database: sqlite3.Connection
):
    sent = sent_answer_ids(page)
    open_todays_checklist(page)
    visit = visit_id(page)
    first, second, third = (criterion_id(page, i) for i in range(3))
    caption = "Fire exit sign, taken with no signal"
    photos_before = database.execute(
        "SELECT count(*) FROM visit_photos WHERE visit_id = ? AND caption = ?", (visit, caption)
    ).fetchone()[0]
    status = page.locator("[data-sync]")

    criterion(page, 0).get_by_label("Met", exact=True).check()
    criterion(page, 1).get_by_label("Not met", exact=True).check()
    expect(status).to_have_text(SAVED)
    wait_until_kept_offline(page)

    context.set_offline(True)
    criterion(page, 1).get_by_label("Met", exact=True).check()  # changed with no signal
    criterion(page, 2).get_by_label("Amber: secure, with development points").check()
    criterion(page, 2).get_by_label("Note").fill("Absence calls made after lunch")
    criterion(page, 2).get_by_label("Note").blur()
    criterion(page, 0).get_by_label("Caption (optional)").fill(caption)
    criterion(page, 0).get_by_label("Add a photo").set_input_files(
        {"name": "IMG_3001.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    expect(criterion(page, 0).locator("[data-photos] li").last).to_contain_text(
        "Waiting to be sent"
    )
    expect(status).to_contain_text("and 1 photo waiting to be sent")

    page.reload()  # still no signal: the service worker's copy, with this phone's work on it
    expect(page.get_by_role("heading", level=1)).to_have_text("Safeguarding")
    expect(criterion(page, 0).get_by_label("Met", exact=True)).to_be_checked()
    expect(criterion(page, 1).get_by_label("Met", exact=True)).to_be_checked()
    expect(
        criterion(page, 2).get_by_label("Amber: secure, with development points")
    ).to_be_checked()
    expect(criterion(page, 2).get_by_label("Note")).to_have_value("Absence calls made after lunch")
    waiting = criterion(page, 0).locator("[data-photos] li[data-waiting]")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Waiting to be sent")
    expect(waiting.locator("img")).to_have_attribute("alt", caption)
    wait_until_shown(waiting.locator("img"))
    expect(status).to_contain_text("1 photo waiting to be sent")

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_text(SAVED)
    expect(criterion(page, 0).locator("[data-photos] li[data-waiting]")).to_have_count(0)
    photo = criterion(page, 0).locator("[data-photos] img").last
    expect(photo).to_have_attribute("src", re.compile(r"/photos/\d+/thumbnail$"))

    # Every answer given is stored once, retries or not; the latest stands; one photo.
    assert sent, "the page sent no answers"
    revisions = database.execute(
        "SELECT client_id FROM answer_revisions WHERE visit_id = ?", (visit,)
    ).fetchall()
    stored = Counter(client_id for (client_id,) in revisions if client_id in set(sent))
    assert stored == Counter(set(sent))  # every id the page sent, each exactly once
    answers = dict(
        (row[0], row[1:])
        for row in database.execute(
            "SELECT criterion_id, rating, note FROM answers WHERE visit_id = ? "
            "AND criterion_id IN (?, ?, ?)",
            (visit, first, second, third),
        )
    )
    assert answers[first][0] == "met"
    assert answers[second][0] == "met"
    assert answers[third] == ("amber", "Absence calls made after lunch")
    photos = database.execute(
        "SELECT criterion_id FROM visit_photos WHERE visit_id = ? AND caption = ?",
        (visit, caption),
    ).fetchall()
    assert len(photos) == photos_before + 1
    assert photos[-1] == (first,)


def test_an_expired_session_keeps_the_answers_until_signing_in_again(
    page: Page, context: BrowserContext, database: sqlite3.Connection
):
    sent = sent_answer_ids(page)
    open_todays_checklist(page)
    status = page.locator("[data-sync]")
    wait_until_kept_offline(page)
    context.clear_cookies()  # the session has ended (idle, or signed out elsewhere)
    criterion(page, 3).get_by_label("Not seen").check()
    expect(status).to_have_text(re.compile("^Sign in again to send"))

    # Signing in again starts a new session with a new CSRF token: the open page's token is
    # refused once, renewed from the server, and the answer goes through.
    sign_in(context.new_page(), LEAD)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_text(SAVED)
    (client_id,) = set(sent)
    assert database.execute(
        "SELECT count(*) FROM answer_revisions WHERE client_id = ?", (client_id,)
    ).fetchone() == (1,)


def test_signing_out_removes_the_offline_copies(page: Page, context: BrowserContext):
    open_todays_checklist(page)
    checklist = page.url
    wait_until_kept_offline(page)

    context.set_offline(True)
    page.goto(re.sub(r"/checklist/\d+$", "/checklist/7", checklist))  # never opened here
    expect(page.get_by_role("heading", level=1)).to_have_text("No signal")
    page.goto(checklist)
    expect(page.get_by_role("heading", level=1)).to_have_text("Safeguarding")

    context.set_offline(False)
    sign_out(page)
    assert page.evaluate("caches.keys()") == []
    context.set_offline(True)
    page.goto(checklist)
    expect(page.get_by_role("heading", level=1)).to_have_text("No signal")
    expect(page.locator("body")).not_to_contain_text("Riverside")
    context.set_offline(False)
    page.goto(checklist)
    expect(page.get_by_role("heading", level=1)).to_have_text(SIGN_IN_HEADING)


def test_without_indexeddb_photos_are_sent_at_once_as_before(page: Page, context: BrowserContext):
    context.add_init_script("Object.defineProperty(window, 'indexedDB', { value: undefined })")
    open_todays_checklist(page)
    status = page.locator("[data-sync]")
    box = criterion(page, 1)
    photos = box.locator("[data-photos] img")
    before = photos.count()

    context.set_offline(True)
    box.get_by_label("Add a photo").set_input_files(
        {"name": "IMG_3002.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    expect(status).to_have_text(re.compile("no signal. Choose it again when the signal returns"))
    expect(photos).to_have_count(before)

    context.set_offline(False)
    box.get_by_label("Add a photo").set_input_files(
        {"name": "IMG_3002.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    expect(status).to_have_text(SAVED)
    expect(photos).to_have_count(before + 1)
    expect(photos.last).to_have_attribute("src", re.compile(r"/photos/\d+/thumbnail$"))
