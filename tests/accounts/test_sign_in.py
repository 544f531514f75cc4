"""Signing in and out, and what a replayed cookie can still do (throttling: test_throttling)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from qa_portal.accounts.models import UserSession
from qa_portal.audit import AuditEvent
from qa_portal.db import db, utcnow
from tests import factories
from tests.conftest import sign_in

WRONG = "Enter a correct email address and password"


def test_sign_in_lands_on_the_role_home_page(client):
    user = factories.user("staff")
    response = sign_in(client, user)
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert b'data-home="staff"' in page.data
    assert user.name.encode() in page.data


def test_unknown_email_and_wrong_password_get_the_same_answer(client):
    user = factories.user("officer")
    wrong_password = client.post("/sign-in", data={"email": user.email, "password": "nope-nope"})
    unknown = client.post("/sign-in", data={"email": "nobody@example.org", "password": "x" * 12})
    assert WRONG.encode() in wrong_password.data
    assert WRONG.encode() in unknown.data
    assert wrong_password.status_code == unknown.status_code == 200
    assert client.get("/account").status_code == 302  # still signed out


def test_failed_sign_ins_are_audited(client):
    user = factories.user("officer")
    client.post("/sign-in", data={"email": user.email, "password": "wrong-password"})
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "sign_in_failed")
    ).one()
    assert event.actor_email == user.email


def test_email_is_matched_without_regard_to_case_and_spaces(client):
    user = factories.user("officer")
    response = client.post(
        "/sign-in", data={"email": f"  {user.email.upper()} ", "password": factories.PASSWORD}
    )
    assert response.status_code == 302


def test_disabled_account_cannot_sign_in(client):
    user = factories.user("staff", disabled_at=utcnow())
    response = sign_in(client, user)
    assert WRONG.encode() in response.data


def test_invited_user_without_password_cannot_sign_in(client):
    user = factories.user("staff", password=None)
    response = client.post("/sign-in", data={"email": user.email, "password": "anything-12"})
    assert WRONG.encode() in response.data


def test_sign_in_rotates_the_session(client):
    user = factories.user("officer")
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session
        first_sid = session["sid"]
    client.post("/sign-out")
    sign_in(client, user)
    with client.session_transaction() as session:
        assert session["sid"] != first_sid


def test_next_only_returns_to_same_site_paths(client):
    user = factories.user("officer")
    data = {"email": user.email, "password": factories.PASSWORD}
    assert client.post("/sign-in?next=/account", data=data).headers["Location"] == "/account"
    client.post("/sign-out")
    evil = client.post("/sign-in?next=https://evil.example/", data=data)
    assert evil.headers["Location"] == "/"


def test_cookie_replayed_after_sign_out_is_refused(app, client):
    user = factories.user("staff")
    sign_in(client, user)
    stolen = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    client.post("/sign-out")
    attacker = app.test_client()
    attacker.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    response = attacker.get("/account")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_password_change_ends_other_sessions_but_not_this_one(app, login):
    user = factories.user("staff")
    laptop, phone = login(user), login(user)
    response = phone.post(
        "/account/password",
        data={
            "current": factories.PASSWORD,
            "password": "new-long-passphrase-7",
            "confirm": "new-long-passphrase-7",
        },
    )
    assert response.status_code == 302
    assert phone.get("/account").status_code == 200
    assert laptop.get("/account").status_code == 302


def test_idle_session_expires(app, login):
    user = factories.user("officer")
    client = login(user)
    user_session = db.session.scalars(select(UserSession)).one()
    user_session.last_seen_at = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_absolute_session_limit_applies_even_when_active(login):
    user = factories.user("officer")
    client = login(user)
    user_session = db.session.scalars(select(UserSession)).one()
    user_session.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/account").status_code == 302


def test_remember_me_keeps_a_long_lived_cookie(app, client):
    user = factories.user("staff")
    sign_in(client, user, remember=True)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie.expires is not None
    user_session = db.session.scalars(select(UserSession)).one()
    assert user_session.expires_at - user_session.created_at >= timedelta(days=29)


def test_session_cookie_is_http_only_and_same_site(app, client):
    user = factories.user("staff")
    response = sign_in(client, user)
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def test_sign_out_needs_a_post(client, login):
    user = factories.user("officer")
    signed_in = login(user)
    assert signed_in.get("/sign-out").status_code == 200  # a confirmation page, not a sign-out
    assert signed_in.get("/account").status_code == 200
    count = db.session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.revoked_at.is_(None))
    )
    assert count == 1
