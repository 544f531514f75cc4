"""An admin invites a new member of partnership staff, who sets a password from the email."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import SIGN_IN_HEADING, navigation, sign_in, sign_out
from tests.conftest import Mailbox, capture_mail

pytestmark = pytest.mark.browser

SUBJECT = "You are invited to the AP QA Portal"
LINK = re.compile(r"https?://\S+/account/set-password/\S+")


def add_user(page: Page, name: str, email: str) -> None:
    page.goto("/")
    page.get_by_role("main").get_by_role("link", name="Users", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    page.get_by_role("link", name="Add a user").click()

    expect(page).to_have_url(re.compile(r"/admin/users/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a user")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Job title").fill("Inclusion co-ordinator")
    page.get_by_label("Role").select_option(label="Partnership staff")
    partnership = page.get_by_label("Partnership")
    partnership.select_option(label=_option_label(partnership, "(HBEP)"))
    invitation = page.get_by_label("Email an invitation to set a password now")
    expect(invitation).to_be_checked()
    page.get_by_role("button", name="Save user").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{name} added. An invitation has been emailed."
    )


def _option_label(select, ending: str) -> str:
    labels = [text.strip() for text in select.locator("option").all_text_contents()]
    return next(label for label in labels if label.endswith(ending))


def invitation_link(page: Page, live_app, mailbox: Mailbox, email: str) -> str:
    """The outbox shows the invitation with its link hidden; the link itself is read from what
    the email worker sends."""
    navigation(page).get_by_role("link", name="Outbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email outbox")
    row = page.get_by_role("row").filter(has_text=email)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=SUBJECT).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    expect(page.get_by_text(f"Email to {email}")).to_be_visible()
    body = page.locator("[data-email-body]")
    expect(body).to_contain_text("Set your password here")
    expect(body).to_contain_text("link hidden: it works only for its recipient")
    assert not LINK.search(body.inner_text()), body.inner_text()

    mailbox.deliver()
    (text,) = mailbox.texts_to(email)
    match = LINK.search(text)
    assert match, text
    page.reload()
    assert not LINK.search(body.inner_text()), "still hidden once sent"
    return match.group(0)


@pytest.fixture
def live_mailbox(live_app, monkeypatch):
    return capture_mail(live_app, monkeypatch)


def test_admin_invites_a_user_who_sets_a_password_and_signs_in(
    page: Page, new_context, live_server: str, live_app, live_mailbox
):
    unique = uuid.uuid4().hex[:10]
    name = f"Ivy Invitee {unique}"
    email = f"invitee.{unique}@example.org"
    password = "plum harbour lantern 42"

    sign_in(page, "admin@example.org")
    expect(page.locator("h1[data-home=admin]")).to_be_visible()
    add_user(page, name, email)
    link = invitation_link(page, live_app, live_mailbox, email)
    assert link.startswith(f"{live_server}/account/set-password/")
    sign_out(page)

    # The invitee, on their own phone.
    invitee: BrowserContext = new_context()
    phone = invitee.new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Welcome, {name}")
    expect(phone.get_by_role("main")).to_contain_text(f"Choose a password for {email}.")
    phone.get_by_label("New password", exact=True).fill(password)
    phone.get_by_label("Confirm new password", exact=True).fill(password)
    phone.get_by_role("button", name="Set password").click()

    expect(phone).to_have_url(f"{live_server}/sign-in")
    expect(phone.get_by_role("heading", level=1)).to_have_text(SIGN_IN_HEADING)
    expect(phone.locator(".govuk-notification-banner--success")).to_contain_text(
        "Your password is set. Sign in with your email address and new password."
    )

    sign_in(phone, email, password)
    expect(phone).to_have_url(f"{live_server}/")
    expect(phone.locator("h1[data-home=staff]")).to_have_text(f"Hello, {name}")
    expect(phone.get_by_role("main")).to_contain_text("(HBEP)")

    # The same link does not work twice, even for someone else.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    expect(page.locator("[data-link-problem]")).to_contain_text("This link has already been used")
    expect(page.get_by_role("button", name="Set password")).to_have_count(0)
