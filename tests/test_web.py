"""What every page promises: security headers, no caching of personal pages, CSRF, size limits,
friendly error pages."""

from __future__ import annotations

import pytest

from qa_portal import create_app
from qa_portal.config import DEV_SECRET
from tests import factories
from tests.conftest import TEST_CONFIG


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts_or_styles(login):
    client = login(factories.user("admin"))
    for url in ("/", "/admin/users", "/admin/users/new", "/admin/audit", "/partnerships"):
        html = client.get(url).data.decode()
        assert "<script>" not in html and "<script " not in html.replace(
            "<script src=", ""
        ).replace('<script type="module" src=', ""), url
        assert " style=" not in html, url


def test_signed_in_pages_are_not_cached(login):
    client = login(factories.user("officer"))
    assert client.get("/account").headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"


def test_layout_is_the_portals_own_not_govuk(client):
    html = client.get("/sign-in").data.decode()
    assert "AP QA Portal" in html
    assert "govuk-header__logotype" not in html  # no crown
    css = client.get("/static/vendor/govuk-frontend-6.3.0/govuk-frontend.min.css").data
    assert b"GDS Transport" not in css


def test_missing_csrf_token_is_refused_with_a_clear_page(app):
    csrf_app = create_app(
        {
            **TEST_CONFIG,
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        }
    )
    user = factories.user("officer")
    response = csrf_app.test_client().post(
        "/sign-in", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert b"Your form has expired" in response.data


def test_oversized_form_is_refused_and_changes_nothing(app, login):
    client = login(factories.user("admin"))
    response = client.post("/admin/users/new", data={"name": "x" * 2_000_000, "email": "a@b.org"})
    assert response.status_code == 413
    assert b"too large" in response.data
    assert b"a@b.org" not in client.get("/admin/users").data


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.data


def test_production_refuses_the_development_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("PUBLIC_URL", "https://qa-portal.example.org")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_database_url_switches_to_postgresql(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/portal")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://u:p@db.example:5432/portal"
    )


def test_health_check_touches_the_database(client):
    assert client.get("/healthz").json == {"status": "ok"}


def test_an_unexpected_error_shows_a_friendly_page(app, login, monkeypatch):
    client = login(factories.user("officer"))

    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr("qa_portal.main.views.home_for", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.data
    assert b"boom" not in response.data
