"""The app on SQLite (default) or PostgreSQL (TEST_DATABASE_URL), each test in a rolled-back
transaction, and signed-in clients for every role."""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import flask_migrate
import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from qa_portal import create_app, outbox
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
    "PUBLIC_URL": "https://portal.example.org",
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


class Mailbox:
    """What the email worker hands to the console backend, kept for the test to read (the
    outbox itself never shows a password link)."""

    LINK = re.compile(r"https?://\S+/account/set-password/\S+")

    def __init__(self, app):
        self.app = app
        self.sent: list[tuple[str, str, str]] = []

    def deliver(self) -> None:
        """Run the email worker once, as `flask send-email` does."""
        result = run_cli(self.app, ["send-email"])
        assert result.exit_code == 0, result.output

    def texts_to(self, to: str) -> list[str]:
        return [text for address, _, text in self.sent if address == to]

    def link_to(self, to: str) -> str:
        """Deliver, then the password link of the latest email to `to`, as a path."""
        self.deliver()
        texts = self.texts_to(to)
        assert texts, f"no email to {to}"
        return urlsplit(self.LINK.search(texts[-1]).group(0)).path


def capture_mail(app, monkeypatch) -> Mailbox:
    """A Mailbox that keeps every email the console backend sends (from any thread)."""
    box = Mailbox(app)
    console_send = outbox._Console.send

    def send(transport, message):
        box.sent.append((message.to_address, message.subject, message.text_to_send()))
        console_send(transport, message)

    monkeypatch.setattr(outbox._Console, "send", send)
    return box


@pytest.fixture
def mailbox(app, monkeypatch):
    return capture_mail(app, monkeypatch)


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


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """The SQL statements run inside the block, as a list filled in as they run. The suite's
    own savepoints (each test's transaction) are left out: they are not the page's queries."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)
