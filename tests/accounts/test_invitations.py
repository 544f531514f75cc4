"""Invitations and password resets: single-use, expiring links sent through the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qa_portal.accounts.models import AccountToken, User
from qa_portal.db import db, utcnow
from qa_portal.outbox import OutboxMessage
from tests import factories
from tests.conftest import run_cli, sign_in

NEW_PASSWORD = "three-random-words-here"


def invite(admin_client, **overrides) -> str:
    data = {
        "name": "Nia Newcomer",
        "email": "nia@example.org",
        "role": "staff",
        "partnership_id": str(factories.partnership("LIP").id),
        "school_id": "",
        "provider_id": "",
        "job_title": "Key worker",
        "send_invitation": "y",
    }
    data.update(overrides)
    response = admin_client.post("/admin/users/new", data=data)
    assert response.status_code == 302, response.data
    return data["email"]


@pytest.fixture
def admin_client(login):
    return login(factories.user("admin"))


def test_invited_user_sets_a_password_and_signs_in(mailbox, admin_client, client):
    email = invite(admin_client)
    link = mailbox.link_to(email)
    page = client.get(link)
    assert b"Welcome, Nia Newcomer" in page.data
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/sign-in"
    signed_in = client.post("/sign-in", data={"email": email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert b'data-home="staff"' in client.get("/").data


def test_invitation_email_is_delivered_by_the_worker_through_the_console(admin_client, app, caplog):
    caplog.set_level("INFO", logger="qa_portal.outbox")
    email = invite(admin_client)
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == email)
    ).one()
    assert message.sent_at is None, "the request only queues it"
    assert "You are invited" not in caplog.text
    assert "Sent 1 email(s)" in run_cli(app, ["send-email"]).output
    db.session.refresh(message)
    assert message.sent_at is not None
    assert "You are invited to the AP QA Portal" in caplog.text
    assert "https://portal.example.org/account/set-password/" in caplog.text


def test_invitation_link_works_once(mailbox, admin_client, client):
    link = mailbox.link_to(invite(admin_client))
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = client.get(link)
    assert again.status_code == 410
    assert b"already been used" in again.data
    replay = client.post(
        link, data={"password": "another-long-pass", "confirm": "another-long-pass"}
    )
    assert replay.status_code == 410
    assert (
        sign_in(
            client,
            db.session.scalars(select(User).where(User.email == "nia@example.org")).one(),
            NEW_PASSWORD,
        ).status_code
        == 302
    )


def test_expired_invitation_is_refused(mailbox, admin_client, client):
    link = mailbox.link_to(invite(admin_client))
    for token in db.session.scalars(select(AccountToken)):
        token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(link)
    assert response.status_code == 410
    assert b"expired" in response.data


def test_resending_an_invitation_retires_the_old_link(mailbox, admin_client, client):
    email = invite(admin_client)
    first = mailbox.link_to(email)
    user = db.session.scalars(select(User).where(User.email == email)).one()
    admin_client.post(f"/admin/users/{user.id}/invite")
    second = mailbox.link_to(email)
    assert first != second
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_unknown_link_is_refused(client):
    response = client.get("/account/set-password/not-a-real-token")
    assert response.status_code == 410
    assert b"not valid" in response.data


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", b"at least 10 characters"),
        ("password123", b"too easy to guess"),
        ("aaaaaaaaaaaa", b"too easy to guess"),
        ("ask-nia.newcomer-now", b"must not contain your email address"),
    ],
)
def test_weak_passwords_are_refused_and_the_link_still_works(
    mailbox, admin_client, client, password, message
):
    link = mailbox.link_to(invite(admin_client, email="nia.newcomer@example.org"))
    response = client.post(link, data={"password": password, "confirm": password})
    assert response.status_code == 200
    assert message in response.data
    user = db.session.scalars(select(User).where(User.email == "nia.newcomer@example.org")).one()
    assert user.password_hash is None
    assert client.get(link).status_code == 200


def test_mismatched_confirmation_is_refused(mailbox, admin_client, client):
    link = mailbox.link_to(invite(admin_client))
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert b"The passwords do not match" in response.data


def test_password_reset_uses_the_same_mechanism(mailbox, client):
    user = factories.user("head")
    response = client.post("/account/forgot-password", data={"email": user.email})
    assert b"Check your email" in response.data
    link = mailbox.link_to(user.email)
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert sign_in(client, user, NEW_PASSWORD).status_code == 302
    client.post("/sign-out")
    assert sign_in(client, user, factories.PASSWORD).status_code == 200


def test_reset_for_unknown_email_answers_the_same_and_sends_nothing(client):
    response = client.post("/account/forgot-password", data={"email": "ghost@example.org"})
    assert b"Check your email" in response.data
    assert db.session.scalars(select(OutboxMessage)).first() is None


def test_password_reset_signs_out_other_sessions(mailbox, login, client):
    user = factories.user("staff")
    elsewhere = login(user)
    client.post("/account/forgot-password", data={"email": user.email})
    client.post(
        mailbox.link_to(user.email), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert elsewhere.get("/account").status_code == 302
