"""Forgot password: throttled per email and per address, the same work for any email, links
that end with a password change, and never readable in the outbox."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from qa_portal.accounts import services
from qa_portal.accounts.models import AccountToken, PasswordResetRequest, User
from qa_portal.db import db
from qa_portal.outbox import HIDDEN_LINK, OutboxMessage
from tests import factories

NEW_PASSWORD = "three-random-words-here"


def forgot(client, email: str, ip: str = "198.51.100.7"):
    response = client.post(
        "/account/forgot-password", data={"email": email}, environ_base={"REMOTE_ADDR": ip}
    )
    assert response.status_code == 200
    assert b"Check your email" in response.data
    return response


def test_a_flood_of_requests_for_one_account_sends_one_email(client, mailbox):
    user = factories.user("head")
    for n in range(20):
        forgot(client, user.email, ip=f"198.51.100.{n}")
    mailbox.deliver()
    assert len(mailbox.texts_to(user.email)) == 1


def test_one_address_is_limited_per_hour(app, client, mailbox):
    people = [
        factories.user("officer") for _ in range(app.config["PASSWORD_RESET_MAX_PER_ADDRESS"] + 5)
    ]
    for person in people:
        forgot(client, person.email)
    mailbox.deliver()
    assert len(mailbox.sent) == app.config["PASSWORD_RESET_MAX_PER_ADDRESS"]
    stored = db.session.scalars(select(PasswordResetRequest)).all()
    assert len(stored) == app.config["PASSWORD_RESET_MAX_PER_ADDRESS"], "throttled: nothing kept"


def test_another_reset_email_only_after_the_quiet_period(client, mailbox):
    user = factories.user("head")
    forgot(client, user.email)
    mailbox.deliver()
    for reset_request in db.session.scalars(select(PasswordResetRequest)):
        reset_request.created_at -= timedelta(minutes=10)
    for token in user_tokens(user):
        token.created_at -= timedelta(minutes=10)
    db.session.commit()
    forgot(client, user.email)
    mailbox.deliver()
    assert len(mailbox.texts_to(user.email)) == 2


def user_tokens(user):
    return db.session.scalars(select(AccountToken).where(AccountToken.user_id == user.id)).all()


def statements_of(client, email: str) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint", re.sub(r"\s+", " ", statement)))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        forgot(client, email)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return seen


def test_known_and_unknown_emails_cost_the_request_the_same_work(client):
    user = factories.user("head")
    db.session.commit()
    known = statements_of(client, user.email)
    unknown = statements_of(client, "ghost@example.org")
    assert known == unknown
    assert not any("users" in statement for statement in known), "no account lookup"
    assert not any("account_tokens" in statement for statement in known)


def test_the_request_only_records_and_the_worker_sends(client, mailbox):
    user = factories.user("head")
    forgot(client, user.email)
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert user_tokens(user) == []
    mailbox.deliver()
    assert len(mailbox.texts_to(user.email)) == 1
    outcomes = db.session.scalars(select(PasswordResetRequest.outcome)).all()
    assert outcomes == ["sent"]


def test_a_disabled_account_is_sent_nothing(client, mailbox):
    user = factories.user("head")
    user.disabled_at = services.utcnow()
    db.session.commit()
    forgot(client, user.email)
    mailbox.deliver()
    assert mailbox.sent == []


def test_two_workers_handling_one_request_send_one_email(client, mailbox):
    user = factories.user("head")
    forgot(client, user.email)
    (request_id,) = services.pending_reset_requests()
    assert services.handle_reset_request(request_id) is True
    assert services.handle_reset_request(request_id) is False
    db.session.commit()
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_a_reset_link_stops_working_once_the_password_changes(client, login, mailbox):
    user = factories.user("staff")
    forgot(client, user.email)
    link = mailbox.link_to(user.email)
    signed_in = login(user)
    changed = signed_in.post(
        "/account/password",
        data={"current": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    response = client.get(link)
    assert response.status_code == 410
    assert b"expired" in response.data


def test_a_link_older_than_the_password_is_refused(client, mailbox):
    user = factories.user("staff")
    forgot(client, user.email)
    link = mailbox.link_to(user.email)
    # However the password changed (here a command, not a form), the older link is over.
    services.set_password(db.session.get(User, user.id), NEW_PASSWORD)
    db.session.commit()
    assert client.get(link).status_code == 410


@pytest.fixture
def admin_client(login):
    return login(factories.user("admin"))


def test_the_outbox_never_shows_a_working_link(admin_client, client, mailbox):
    user = factories.user("officer")
    admin_client.post(f"/admin/users/{user.id}/invite")
    forgot(client, factories.user("head", email="reset.me@example.org").email)
    mailbox.deliver()
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert len(messages) == 2
    for message in messages:
        page = admin_client.get(f"/admin/outbox/{message.id}").data.decode()
        assert "link hidden: it works only for its recipient" in page
        assert "/account/set-password/" not in page
        db.session.refresh(message)
        assert HIDDEN_LINK in message.body and "/account/set-password/" not in message.body
        assert message.secret_link is None, "the link is dropped once sent"
    # The links the recipients got still work.
    assert client.get(mailbox.link_to(user.email)).status_code == 200
    assert client.get(mailbox.link_to("reset.me@example.org")).status_code == 200


def test_the_outbox_hides_the_link_before_it_is_sent_too(admin_client):
    user = factories.user("officer")
    admin_client.post(f"/admin/users/{user.id}/invite")
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.sent_at is None and message.secret_link
    page = admin_client.get(f"/admin/outbox/{message.id}").data.decode()
    assert "link hidden" in page and message.secret_link not in page
    assert message.secret_link not in admin_client.get("/admin/outbox").data.decode()


def test_handled_requests_are_dropped_after_a_day(client, mailbox):
    forgot(client, "ghost@example.org")
    forgot(client, "another.ghost@example.org")
    mailbox.deliver()
    old = db.session.scalars(
        select(PasswordResetRequest).where(PasswordResetRequest.email == "ghost@example.org")
    ).one()
    old.created_at -= timedelta(days=2)
    db.session.commit()
    mailbox.deliver()
    emails = db.session.scalars(select(PasswordResetRequest.email)).all()
    assert emails == ["another.ghost@example.org"]


def test_one_ipv6_network_is_limited_per_hour_like_one_address(app, client, mailbox):
    """A single connection is given a /64 of addresses: sending from each in turn is still
    one requester."""
    people = [
        factories.user("officer") for _ in range(app.config["PASSWORD_RESET_MAX_PER_ADDRESS"] + 5)
    ]
    for n, person in enumerate(people):
        forgot(client, person.email, ip=f"2001:db8:5:7:{n:x}::1")
    mailbox.deliver()
    assert len(mailbox.sent) == app.config["PASSWORD_RESET_MAX_PER_ADDRESS"]
