"""A co-ordinator walks today's visit checklist on a phone; answers survive losing the signal."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect

from tests import factories
from tests.browser.helpers import navigation, sign_in, wait_until_shown

pytestmark = pytest.mark.browser

LEAD = "staff.hbep@example.org"


def open_todays_checklist(page: Page) -> None:
    sign_in(page, LEAD)
    navigation(page).get_by_role("link", name="Visits").click()
    page.locator("[data-upcoming]").get_by_role("link", name="Riverside Motor Skills CIC").click()
    page.locator("[data-open-checklist]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Safeguarding")
    # Its scripts have run (a module and its imports load after the heading shows): a test
    # that cuts the signal straight away must not cut them off.
    page.wait_for_load_state()


def criterion(page: Page, index: int):
    return page.locator("[data-criterion]").nth(index)


def test_answers_save_as_given_and_wait_out_a_lost_signal(page: Page, context: BrowserContext):
    open_todays_checklist(page)
    status = page.locator("[data-sync]")
    criterion(page, 2).get_by_label("Green: strong").check()
    expect(status).to_have_text("All answers saved.")

    context.set_offline(True)
    criterion(page, 3).get_by_label("Amber: secure, with development points").check()
    criterion(page, 3).get_by_label("Note").fill("Registers kept, one late report")
    criterion(page, 3).get_by_label("Note").blur()
    expect(status).to_contain_text("waiting to be sent")

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(status).to_have_text("All answers saved.")

    page.reload()
    expect(criterion(page, 2).get_by_label("Green: strong")).to_be_checked()
    expect(
        criterion(page, 3).get_by_label("Amber: secure, with development points")
    ).to_be_checked()
    expect(criterion(page, 3).get_by_label("Note")).to_have_value("Registers kept, one late report")
    expect(page.locator("nav.portal-areas")).to_contain_text("1. Safeguarding 2/6")


def test_signing_out_with_unsent_answers_warns_first(page: Page, context: BrowserContext):
    open_todays_checklist(page)
    context.set_offline(True)
    criterion(page, 4).get_by_label("Red: inadequate, action required").check()
    expect(page.locator("[data-sync]")).to_contain_text("waiting to be sent")
    messages = []

    def dismiss(dialog):
        messages.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    with page.expect_event("dialog"):
        navigation(page).get_by_role("button", name="Sign out").click()
    assert messages and "not reached the server yet" in messages[0]
    expect(page.get_by_role("heading", level=1)).to_have_text("Safeguarding")  # still here
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-sync]")).to_have_text("All answers saved.")


def test_a_photo_taken_on_the_checklist_shows_as_a_thumbnail(page: Page):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((2400, 1800), 30).convert("RGB").save(buffer, "JPEG", quality=90)
    open_todays_checklist(page)
    box = criterion(page, 5)
    box.get_by_label("Caption (optional)").fill("Sign-in sheet by the door")
    box.get_by_label("Add a photo").set_input_files(
        {"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}
    )
    thumbnail = box.locator("[data-photos] img")
    expect(thumbnail).to_have_count(1)
    expect(thumbnail).to_have_attribute("alt", "Sign-in sheet by the door")
    wait_until_shown(thumbnail)
    page.reload()
    expect(criterion(page, 5).locator("[data-photos] img")).to_have_count(1)


def test_a_twelve_megapixel_photo_is_sent_small_enough_for_a_weak_signal(page: Page):
    """Made smaller on the phone before it is sent: the whole upload fits in 4 seconds at
    750 kbit/s, and the server still gets a photo worth keeping."""
    camera = io.BytesIO()
    factories.photo_like(0, (4000, 3000)).save(camera, "JPEG", quality=92)
    assert len(camera.getvalue()) > 3_000_000  # what a phone's camera gives
    open_todays_checklist(page)
    box = criterion(page, 4)
    thumbnails = box.locator("[data-photos] img")
    before = thumbnails.count()
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/photos")) as sent:
        box.get_by_label("Add a photo").set_input_files(
            {"name": "IMG_2042.jpg", "mimeType": "image/jpeg", "buffer": camera.getvalue()}
        )
    upload = sent.value
    size = int(upload.all_headers()["content-length"])
    assert 100_000 < size <= 750_000 / 8 * 4, size
    assert upload.response().ok
    expect(thumbnails).to_have_count(before + 1)
    src = thumbnails.last.get_attribute("src")
    stored = page.request.get(src.replace("/thumbnail", "/image"))
    with Image.open(io.BytesIO(stored.body())) as image:
        assert max(image.size) == 1600
