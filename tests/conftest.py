"""The app on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), each test in a rolled-back
transaction, and signed-in clients for every role."""

from __future__ import annotations

import contextvars
import os
from pathlib import Path

import flask_migrate
import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import event, text

from qa_portal import create_app
from qa_portal.accounts.models import Role
from qa_portal.db import db
from qa_portal.frameworks import outline
from qa_portal.frameworks.services import load_default_framework
from qa_portal.partnerships.services import load_reference
from qa_portal.providers.reference import load_register_reference
from tests import factories

ROOT = Path(__file__).resolve().parent.parent

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-for-the-suite-only-0123456789",
    "WTF_CSRF_ENABLED": False,
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing: tests are not attackers
    "EMAIL_BACKEND": "console",
}


def database_url(tmp_path_factory, env_name: str) -> str:
    url = os.environ.get(env_name)
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"


def is_postgres(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")


def reset_schema(app) -> None:
    """An empty database, then the migration chain to head (never create_all)."""
    with app.app_context():
        if is_postgres(app):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))


class RequestIsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own `g` (so Flask-Login
    loads the user afresh) and its own database session, on the test's connection."""

    def open(self, *args, **kwargs):
        def run():
            _cv_app.set(None)
            return FlaskClient.open(self, *args, **kwargs)

        return contextvars.copy_context().run(run)


def run_cli(app, args: list[str], **kwargs):
    """Invoke a flask command on `app` in an app context of its own, as the CLI does."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        {
            **TEST_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory, "TEST_DATABASE_URL"),
            "STORAGE_LOCAL_ROOT": str(tmp_path_factory.mktemp("uploads")),
        }
    )
    app.test_client_class = RequestIsolatedClient
    reset_schema(app)
    with app.app_context():
        load_reference()
        load_register_reference()
        load_default_framework()
        db.session.commit()
        if not is_postgres(app):
            _sqlite_savepoints(db.engine)
    return app


def _sqlite_savepoints(engine) -> None:
    # pysqlite manages transactions itself and breaks SAVEPOINT; let SQLAlchemy do it.
    engine.dispose()

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


@pytest.fixture(autouse=True)
def _rolled_back(request, app):
    """Every test runs inside one outer transaction that is rolled back at the end."""
    if "live_server" in request.fixturenames:
        yield
        return
    with app.app_context():
        engine = db.engine
        connection = engine.connect()
        outer = connection.begin()
        engines = db.engines
        engines[None] = connection
        db.session.remove()
        db.session.configure(join_transaction_mode="create_savepoint")
        try:
            with app.app_context():
                yield
        finally:
            db.session.remove()
            outer.rollback()
            connection.close()
            engines[None] = engine
            outline.forget()  # rolled-back framework ids may be used again by the next test


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in(client, user, password: str = factories.PASSWORD, remember: bool = False):
    return client.post(
        "/sign-in",
        data={"email": user.email, "password": password, "remember": "y" if remember else ""},
    )


@pytest.fixture
def users():
    """One user of every role, keyed by role value."""
    return {role.value: factories.user(role) for role in Role}


@pytest.fixture
def login(app):
    """login(user) -> a test client signed in as that user."""

    def _login(user):
        client = app.test_client()
        response = sign_in(client, user)
        assert response.status_code == 302, response.data
        return client

    return _login
