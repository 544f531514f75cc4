"""The email outbox: queued in the transaction, delivered by the worker (`flask send-email`)
through the console or SMTP, once, retried with backoff on failure until it gives up."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import threading
import time
from datetime import timedelta

import flask_migrate
import pytest
from sqlalchemy import select, text

from qa_portal import create_app, outbox
from qa_portal.db import db, utcnow
from qa_portal.outbox import HIDDEN_LINK, OutboxMessage
from tests import factories
from tests.conftest import ROOT, TEST_CONFIG, is_postgres, run_cli

SECRET = "https://portal.example.org/account/set-password/a-live-token"


class FakeSMTP:
    sent: list = []
    connections: list = []
    fail = False

    def __init__(self, host, port, timeout):
        self.calls = [("connect", host, port)]
        FakeSMTP.connections.append(self)

    def starttls(self):
        self.calls.append(("starttls",))

    def login(self, user, password):
        self.calls.append(("login", user))

    def send_message(self, message):
        if FakeSMTP.fail:
            raise smtplib.SMTPServerDisconnected("connection lost")
        FakeSMTP.sent.append((message["To"], message["Subject"], message.get_content()))

    def quit(self):
        self.calls.append(("quit",))

    def close(self):
        pass


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "EMAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "SMTP_USERNAME", "portal")
    FakeSMTP.sent, FakeSMTP.connections, FakeSMTP.fail = [], [], False
    return FakeSMTP


def wait_out_backoff() -> None:
    for message in db.session.scalars(select(OutboxMessage)):
        if message.next_attempt_at:
            message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_smtp_backend_sends_queued_mail(smtp):
    message = outbox.queue("head@school.example.org", "Visit on Tuesday", "Hello")
    db.session.commit()
    assert outbox.deliver_pending() == 1
    assert smtp.sent == [("head@school.example.org", "Visit on Tuesday", "Hello\n")]
    db.session.refresh(message)
    assert message.sent_at is not None


def test_a_batch_goes_over_one_smtp_connection(smtp):
    for n in range(5):
        outbox.queue(f"person{n}@example.org", "Subject", "Body")
    db.session.commit()
    assert outbox.deliver_pending() == 5
    assert len(smtp.connections) == 1
    assert smtp.connections[0].calls[-1] == ("quit",)


def test_a_failed_send_is_retried_after_a_growing_wait_then_sent_once(smtp, app):
    message = outbox.queue("head@school.example.org", "Subject", "Body")
    db.session.commit()
    smtp.fail = True
    assert outbox.deliver_pending() == 0
    db.session.refresh(message)
    assert message.sent_at is None and "connection lost" in message.last_error
    first_wait = message.next_attempt_at - utcnow()
    assert outbox.deliver_pending() == 0, "not tried again before its next attempt is due"
    wait_out_backoff()
    assert outbox.deliver_pending() == 0
    db.session.refresh(message)
    assert message.attempts == 2
    assert message.next_attempt_at - utcnow() > first_wait, "the wait doubles"
    smtp.fail = False
    wait_out_backoff()
    assert outbox.deliver_pending() == 1
    assert outbox.deliver_pending() == 0, "sent once"
    assert len(smtp.sent) == 1


def test_after_the_last_attempt_the_message_is_given_up_and_shown_failed(smtp, app, login):
    app.config["EMAIL_MAX_ATTEMPTS"], saved = 3, app.config["EMAIL_MAX_ATTEMPTS"]
    try:
        message = outbox.queue("head@school.example.org", "Lost email", "Body")
        db.session.commit()
        smtp.fail = True
        for _ in range(5):
            outbox.deliver_pending()
            wait_out_backoff()
    finally:
        app.config["EMAIL_MAX_ATTEMPTS"] = saved
    db.session.refresh(message)
    assert message.attempts == 3 and message.failed_at is not None and message.sent_at is None
    admin = login(factories.user("admin"))
    listing = admin.get("/admin/outbox").data
    assert b"Failed</strong> after 3 attempts" in listing
    assert b"given up after 3 attempts" in admin.get(f"/admin/outbox/{message.id}").data


def test_an_unreachable_server_costs_no_attempt_to_the_rest_of_the_batch(app, monkeypatch):
    monkeypatch.setitem(app.config, "EMAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", 9)  # discard: nothing listens there

    def refused(*args, **kwargs):
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(smtplib, "SMTP", refused)
    messages = [outbox.queue(f"p{n}@example.org", "Subject", "Body") for n in range(3)]
    db.session.commit()
    assert outbox.deliver_all() == 0
    for message in messages:
        db.session.refresh(message)
    assert [m.attempts for m in messages] == [1, 0, 0]
    assert all(m.claimed_by is None for m in messages)


def test_a_secret_link_is_sent_but_never_stored_in_the_body(smtp):
    message = outbox.queue(
        "nia@example.org", "Reset", f"Set a new password here:\n{SECRET}\n", secret_link=SECRET
    )
    db.session.commit()
    assert SECRET not in message.body and HIDDEN_LINK in message.body
    outbox.deliver_pending()
    assert SECRET in smtp.sent[0][2]
    stored = db.session.execute(
        text("SELECT body, secret_link FROM outbox_messages WHERE id = :id"), {"id": message.id}
    ).one()
    assert SECRET not in stored.body and stored.secret_link is None


def test_a_page_only_queues_email_and_the_person_never_waits_on_smtp(smtp, login):
    admin = login(factories.user("admin"))
    user = factories.user("officer")
    assert admin.post(f"/admin/users/{user.id}/invite").status_code == 302
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.sent_at is None and message.attempts == 0
    assert smtp.connections == [], "no SMTP during the request"


# --- the worker as a command ------------------------------------------------------------------


def test_send_email_runs_once_by_default(app):
    for n in range(3):
        outbox.queue(f"p{n}@example.org", "Subject", "Body")
    db.session.commit()
    result = run_cli(app, ["send-email"])
    assert result.exit_code == 0, result.output
    assert "Sent 3 email(s)." in result.output
    assert run_cli(app, ["send-email"]).output.strip() == "Sent 0 email(s)."


def test_send_email_loop_keeps_delivering(app, monkeypatch):
    rounds = []

    def sleep(seconds):
        rounds.append(seconds)
        if len(rounds) == 1:
            outbox.queue("later@example.org", "Subject", "Body")
            db.session.commit()
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr("qa_portal.cli.time.sleep", sleep)
    outbox.queue("first@example.org", "Subject", "Body")
    db.session.commit()
    run_cli(app, ["send-email", "--loop", "--interval", "0.5"])
    assert rounds == [0.5, 0.5]
    unsent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))
    assert unsent.all() == []
    assert db.session.scalars(select(OutboxMessage)).all()[-1].to_address == "later@example.org"


@pytest.fixture
def worker_app(tmp_path):
    """An app on a database of its own, committed for real, for several workers at once."""
    url = os.environ.get("TEST_MIGRATIONS_DATABASE_URL") or f"sqlite:///{tmp_path}/w.db"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if is_postgres(app):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_two_workers_at_once_never_send_a_message_twice(worker_app, monkeypatch):
    total = 300 if is_postgres(worker_app) else 120
    with worker_app.app_context():
        for n in range(total):
            outbox.queue(f"person{n}@example.org", "Subject", "Body")
        db.session.commit()
    sent: list[str] = []
    lock = threading.Lock()
    console_send = outbox._Console.send

    def slow_send(transport, message):
        with lock:
            sent.append(message.to_address)
        time.sleep(0.001)  # as a mail server would: the other worker gets its turn
        console_send(transport, message)

    monkeypatch.setattr(outbox._Console, "send", slow_send)
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker():
        try:
            with worker_app.app_context():
                barrier.wait()
                count = 0
                while True:
                    delivered = outbox.deliver_pending(limit=7)
                    count += delivered
                    if not delivered:
                        break
                counts.append(count)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(sent) == total and len(set(sent)) == total, "each message sent exactly once"
    assert sum(counts) == total
    with worker_app.app_context():
        assert (
            db.session.scalar(
                select(db.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None))
            )
            == 0
        )


def test_send_email_command_delivers_through_a_real_smtp_server(tmp_path):
    """`flask send-email` as a process of its own, against an SMTP server on 127.0.0.1."""
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.received = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            self.received.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        database = f"sqlite:///{tmp_path}/cli.db"
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database})
        with app.app_context():
            flask_migrate.upgrade(directory=str(ROOT / "migrations"))
            outbox.queue("a@example.org", "First", "One")
            outbox.queue("b@example.org", "Second", f"Link: {SECRET}\n", secret_link=SECRET)
            db.session.commit()
        env = {
            **os.environ,
            "FLASK_APP": "wsgi.py",
            "DATABASE_URL": database,
            "EMAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_STARTTLS": "false",
            "PORTAL_ENV": "development",
        }
        result = subprocess.run(
            [str(ROOT / ".venv/bin/flask"), "send-email"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "Sent 2 email(s)." in result.stdout
    finally:
        controller.stop()
    assert sorted(r[0][0] for r in sink.received) == ["a@example.org", "b@example.org"]
    assert any(SECRET in content for _, content in sink.received)
    with app.app_context():
        bodies = db.session.scalars(select(OutboxMessage.body)).all()
        assert all(SECRET not in body for body in bodies)
        assert (
            db.session.scalar(
                select(db.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None))
            )
            == 0
        )
