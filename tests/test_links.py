"""Links in email are built on PUBLIC_URL, never on the Host a request claims; production
answers only to its trusted hosts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from qa_portal import create_app, links
from qa_portal.db import db
from qa_portal.outbox import OutboxMessage
from qa_portal.visits.models import Visit
from tests import factories
from tests.conftest import TEST_CONFIG, run_cli
from tests.providers.test_reminders import EXPIRY, setup_provider
from tests.visits.test_scheduling import TODAY, schedule_form

FORGED = {
    "Host": "attacker.example",
    "X-Forwarded-Host": "attacker.example",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "203.0.113.9",
}
PRODUCTION = {"PORTAL_ENV": "production", "SECRET_KEY": "s" * 48}


def test_a_forged_host_gets_a_reset_link_on_the_public_url(client, mailbox):
    user = factories.user("head")
    response = client.post("/account/forgot-password", data={"email": user.email}, headers=FORGED)
    assert b"Check your email" in response.data
    mailbox.deliver()
    (text,) = mailbox.texts_to(user.email)
    assert "https://portal.example.org/account/set-password/" in text
    assert "attacker.example" not in text


def signed_in_through_forged_host(app, user):
    """A client whose every request, sign-in included, claims the attacker's host."""
    client = app.test_client()
    response = client.post(
        "/sign-in", data={"email": user.email, "password": factories.PASSWORD}, headers=FORGED
    )
    assert response.status_code == 302
    return client


def test_an_invitation_sent_through_a_forged_host_links_to_the_public_url(app, mailbox):
    admin = signed_in_through_forged_host(app, factories.user("admin"))
    user = factories.user("officer")
    response = admin.post(f"/admin/users/{user.id}/invite", headers=FORGED)
    assert response.status_code == 302
    mailbox.deliver()
    (text,) = mailbox.texts_to(user.email)
    assert "https://portal.example.org/account/set-password/" in text
    assert "attacker.example" not in text


def test_visit_invitations_link_to_the_public_url(app, monkeypatch):
    monkeypatch.setattr("qa_portal.clock.today", lambda: TODAY)
    staff = factories.user("staff")
    head = factories.user("head", email="head.joins@example.org")
    provider = factories.provider("Visited Provider Ltd")
    db.session.commit()
    client = signed_in_through_forged_host(app, staff)
    response = client.post("/visits/new", data=schedule_form(provider, staff), headers=FORGED)
    assert response.status_code == 302
    assert "/visits/" in response.headers["Location"]
    visit = db.session.scalars(select(Visit)).one()
    invited = client.post(
        f"/visits/{visit.id}", data={"invitee_ids": [str(head.id)]}, headers=FORGED
    )
    assert invited.status_code == 302
    body = db.session.scalars(
        select(OutboxMessage.body).where(OutboxMessage.to_address == head.email)
    ).one()
    assert f"https://portal.example.org/visits/{visit.id}" in body
    assert "attacker.example" not in body


def test_links_are_built_outside_a_request_too(app):
    with app.app_context():
        assert links.external("visits.detail", visit_id=7) == (
            "https://portal.example.org/visits/7"
        )


def test_a_public_url_under_a_path_keeps_its_path(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://council.example/qa/")
    assert links.external("accounts.set_password", token="t") == (
        "https://council.example/qa/account/set-password/t"
    )


def test_daily_reminders_link_to_the_provider_on_the_public_url(app):
    provider, _, _ = setup_provider()
    db.session.commit()
    result = run_cli(app, ["send-reminders", "--date", (EXPIRY - timedelta(days=7)).isoformat()])
    assert result.exit_code == 0, result.output
    bodies = db.session.scalars(select(OutboxMessage.body)).all()
    assert bodies
    assert all(f"https://portal.example.org/providers/{provider.id}" in b for b in bodies)


# --- configuration ------------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_public_url(monkeypatch, tmp_path):
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_development_links_default_to_the_local_port(monkeypatch, tmp_path):
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.setenv("PORT", "8123")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["PUBLIC_URL"] == "http://127.0.0.1:8123"
    assert app.config["TRUSTED_HOSTS"] is None


def production_app(monkeypatch, tmp_path, **env):
    for name, value in {**PRODUCTION, "PUBLIC_URL": "https://qa-portal.example.org", **env}.items():
        monkeypatch.setenv(name, value)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
            "WTF_CSRF_ENABLED": False,
        }
    )


def test_production_refuses_a_forged_host(monkeypatch, tmp_path):
    app = production_app(monkeypatch, tmp_path)
    assert app.config["TRUSTED_HOSTS"] == ["qa-portal.example.org"]
    client = app.test_client()
    assert client.get("/sign-in", headers={"Host": "attacker.example"}).status_code == 400
    forgot = client.post(
        "/account/forgot-password",
        data={"email": "someone@example.org"},
        headers={"Host": "attacker.example"},
    )
    assert forgot.status_code == 400
    assert client.get("/sign-in", headers={"Host": "qa-portal.example.org"}).status_code == 200


def test_trusted_hosts_can_be_set_for_production(monkeypatch, tmp_path):
    app = production_app(
        monkeypatch, tmp_path, TRUSTED_HOSTS="qa-portal.example.org, portal.internal"
    )
    assert app.config["TRUSTED_HOSTS"] == ["qa-portal.example.org", "portal.internal"]
    client = app.test_client()
    assert client.get("/sign-in", headers={"Host": "portal.internal:8000"}).status_code == 200
    assert client.get("/sign-in", headers={"Host": "attacker.example"}).status_code == 400


def test_a_malformed_public_url_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app(
            {
                **TEST_CONFIG,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db",
                "PUBLIC_URL": "portal.example.org",
            }
        )
