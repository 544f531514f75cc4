"""A provider uploads compliance evidence from a phone; partnership staff check and verify it.

Also: files that are not what they claim, empty files and impossible dates are refused with a
message next to the field, and a provider user cannot reach another provider's entry or
documents.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfWriter

from qa_portal import clock
from tests.browser.helpers import navigation, sign_in

pytestmark = pytest.mark.browser

PROVIDER_USER = "provider@example.org"
STAFF_USER = "staff.hbep@example.org"
OWN_PROVIDER = "Riverside Motor Skills CIC"
OTHER_PROVIDER = "Hinckley Horse and Hound Care"  # also used by HBEP, not by provider@
PDF_TYPE = "application/pdf"
FILE_TYPES_MESSAGE = "The selected file must be a PDF, JPG or PNG"
EMPTY_MESSAGE = "The selected file is empty"
DATE_ORDER_MESSAGE = "The expiry date must be on or after the issue date"


def small_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def fill_date(page: Page, field: str, day: date) -> None:
    page.locator(f"#{field}-day").fill(str(day.day))
    page.locator(f"#{field}-month").fill(str(day.month))
    page.locator(f"#{field}-year").fill(str(day.year))


def fill_upload(
    page: Page,
    *,
    name: str,
    data: bytes,
    issued: date,
    expires: date,
    reference: str = "",
    cover: int | None = None,
) -> None:
    page.get_by_label("Upload the document").set_input_files(
        {"name": name, "mimeType": PDF_TYPE, "buffer": data}
    )
    page.get_by_label("Reference or policy number").fill(reference)
    fill_date(page, "issue_date", issued)
    fill_date(page, "expiry_date", expires)
    if cover is not None:
        page.get_by_label("Cover in pounds (insurance only)").fill(str(cover))


def open_own_entry(page: Page) -> None:
    """From the provider user's home page to the register entry of its organisation."""
    page.goto("/")
    page.get_by_role("main").get_by_role(
        "link", name=f"{OWN_PROVIDER}: register entry and compliance documents"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(OWN_PROVIDER)


def badge(page: Page):
    return page.locator("[data-provider-state] [data-compliance]")


def expect_not_found(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def test_provider_uploads_a_renewal_and_staff_verify_it(page: Page, new_context, tmp_path: Path):
    today = clock.today()

    # The provider, on a phone: its public liability insurance expired five days ago.
    sign_in(page, PROVIDER_USER)
    open_own_entry(page)
    expect(page.locator("[data-provider-state] [data-compliance=non_compliant]")).to_have_text(
        "Non-compliant"
    )
    card = page.locator("[data-kind=public_liability]")
    expect(card).to_contain_text("Public liability insurance")
    expect(card).to_contain_text("Expired 5 days ago")
    expect(card.locator("[data-awaiting]")).to_have_count(0)
    # The menu leads to the same entry.
    expect(navigation(page).get_by_role("link", name="Your organisation")).to_be_visible()

    card.get_by_role("link", name=re.compile(r"^Upload a renewal")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a document")
    expect(page.locator("#kind_id option:checked")).to_have_text("Public liability insurance")
    fill_upload(
        page,
        name="public-liability-2027.pdf",
        data=small_pdf(),
        issued=today,
        expires=a_year_after(today),
        reference="PL-2027",
        cover=10_000_000,
    )
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(OWN_PROVIDER)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Public liability insurance uploaded. It will count once partnership staff verify it."
    )
    card = page.locator("[data-kind=public_liability]")
    expect(card.locator("[data-awaiting]")).to_contain_text("Awaiting verification")
    # Not counted until someone checks it.
    expect(card).to_contain_text("Expired 5 days ago")
    expect(badge(page)).to_have_attribute("data-compliance", "non_compliant")
    expect(badge(page)).to_have_text("Non-compliant")

    # Partnership staff, on another phone.
    staff: BrowserContext = new_context()
    staff_page = staff.new_page()
    sign_in(staff_page, STAFF_USER)
    navigation(staff_page).get_by_role("link", name="Expiring").click()
    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Expiring and expired")
    awaiting = staff_page.locator("[data-awaiting-list]")
    link = awaiting.get_by_role("link", name=f"{OWN_PROVIDER}: Public liability insurance")
    expect(link).to_have_count(1)
    link.click()

    expect(staff_page.get_by_role("heading", level=1)).to_have_text("Public liability insurance")
    expect(staff_page.locator("[data-item-status]")).to_have_text("Awaiting verification")
    details = staff_page.locator(".govuk-summary-list")
    expect(details).to_contain_text("PL-2027")
    expect(details).to_contain_text("£10,000,000")
    expect(details).to_contain_text("Pat Provider")

    download_link = staff_page.locator("[data-download]")
    expect(download_link).to_contain_text("Download public-liability-2027.pdf")
    with staff_page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == "public-liability-2027.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    content = saved.read_bytes()
    assert content[:4] == b"%PDF"
    assert b"%%EOF" in content[-32:]
    response = staff.request.get(download_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == PDF_TYPE
    assert response.body()[:4] == b"%PDF"

    staff_page.get_by_label("Yes, verify it").check()
    staff_page.get_by_role("button", name="Save check").click()

    expect(staff_page.get_by_role("heading", level=1)).to_have_text(OWN_PROVIDER)
    expect(staff_page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Public liability insurance verified."
    )
    expect(staff_page.locator("[data-provider-state] [data-compliance=compliant]")).to_have_text(
        "Compliant"
    )
    expect(staff_page.locator("[data-kind=public_liability] [data-awaiting]")).to_have_count(0)

    # The provider sees the change too.
    page.reload()
    expect(badge(page)).to_have_attribute("data-compliance", "compliant")
    expect(page.locator("[data-kind=public_liability]")).not_to_contain_text("Expired")


def expect_refused(page: Page, field_id: str, message: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a document")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name=message)).to_have_attribute("href", f"#{field_id}")
    next_to_field = page.locator(".govuk-form-group--error", has=page.locator(f"#{field_id}"))
    expect(next_to_field.locator(".govuk-error-message").first).to_contain_text(message)
    expect(page.locator(".govuk-notification-banner--success")).to_have_count(0)


def stored_documents(tmp_path_factory, provider_path: str) -> set[Path]:
    """The files in the live server's storage folder (see conftest) for one provider."""
    base = tmp_path_factory.getbasetemp()
    roots = [p for p in base.glob("browser-server[0-9]*/uploads") if not p.parent.is_symlink()]
    assert len(roots) == 1, roots
    folder = roots[0].joinpath(provider_path.strip("/"), "compliance")
    assert folder.is_dir(), folder  # the demo documents are there
    return set(folder.iterdir())


def test_bad_files_and_dates_are_refused_and_nothing_is_stored(
    page: Page, live_server: str, tmp_path_factory
):
    today = clock.today()
    kind = "Health and safety policy"
    sign_in(page, PROVIDER_USER)
    open_own_entry(page)
    own_entry = page.url.removeprefix(live_server)
    files_before = stored_documents(tmp_path_factory, own_entry)
    expect(page.locator("[data-kind=health_safety_policy] [data-awaiting]")).to_have_count(0)
    page.get_by_role("link", name="Upload a document", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a document")

    attempts = [
        ("certificate.pdf", b"MZ" + b"\0" * 200, today, a_year_after(today), "document"),
        ("empty.pdf", b"", today, a_year_after(today), "document"),
        ("policy.pdf", small_pdf(), today, today - timedelta(days=1), "expiry_date"),
    ]
    messages = [FILE_TYPES_MESSAGE, EMPTY_MESSAGE, DATE_ORDER_MESSAGE]
    for (name, data, issued, expires, field_id), message in zip(attempts, messages, strict=True):
        page.get_by_label("Document", exact=True).select_option(label=kind)
        fill_upload(page, name=name, data=data, issued=issued, expires=expires, reference="HS-1")
        page.get_by_role("button", name="Upload", exact=True).click()
        expect_refused(page, field_id, message)
        expect(page).to_have_title(re.compile(r"^Error: "))

    open_own_entry(page)
    expect(page.locator("[data-kind=health_safety_policy] [data-awaiting]")).to_have_count(0)
    expect(page.locator("[data-kind=health_safety_policy]")).not_to_contain_text("HS-1")
    assert stored_documents(tmp_path_factory, own_entry) == files_before


def test_a_provider_user_cannot_reach_another_provider(page: Page, new_context, live_server: str):
    # Partnership staff find a real entry and document of another provider.
    staff: BrowserContext = new_context()
    staff_page = staff.new_page()
    sign_in(staff_page, STAFF_USER)
    staff_page.goto("/providers")
    staff_page.get_by_role("link", name=OTHER_PROVIDER, exact=True).click()
    expect(staff_page.get_by_role("heading", level=1)).to_have_text(OTHER_PROVIDER)
    other_entry = staff_page.url.removeprefix(live_server)
    assert re.fullmatch(r"/providers/\d+", other_entry), other_entry
    staff_page.get_by_role("link", name=re.compile(r"^Details and history")).first.click()
    item_page = staff_page.url.removeprefix(live_server)
    document = staff_page.locator("[data-download]").get_attribute("href")
    assert document and re.fullmatch(rf"{other_entry}/compliance/\d+/document", document)
    assert staff.request.get(document).status == 200  # it is real

    # The provider user, on its own phone.
    sign_in(page, PROVIDER_USER)
    open_own_entry(page)
    own_entry = page.url.removeprefix(live_server)
    for path in {other_entry, "/providers/2", "/providers/3", "/providers/4", "/providers/5"}:
        if path == own_entry:
            continue
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect_not_found(page)
    for path in (item_page, f"{other_entry}/compliance/new", f"{other_entry}/edit"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect_not_found(page)

    response = page.context.request.get(document)
    assert response.status == 404
    assert not response.body().startswith(b"%PDF")
