"""The email outbox: queued in the transaction, delivered by console or SMTP, retried on failure."""

from __future__ import annotations

import smtplib

import pytest

from qa_portal import outbox
from qa_portal.db import db


class FakeSMTP:
    sent: list = []
    fail = False

    def __init__(self, host, port, timeout):
        self.calls = [("connect", host, port)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        self.calls.append(("starttls",))

    def login(self, user, password):
        self.calls.append(("login", user))

    def send_message(self, message):
        if FakeSMTP.fail:
            raise smtplib.SMTPServerDisconnected("connection lost")
        FakeSMTP.sent.append((message["To"], message["Subject"], message.get_content()))


@pytest.fixture
def smtp(app, monkeypatch):
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "EMAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "SMTP_USERNAME", "portal")
    FakeSMTP.sent, FakeSMTP.fail = [], False
    return FakeSMTP


def test_smtp_backend_sends_queued_mail(smtp):
    message = outbox.queue("head@school.example.org", "Visit on Tuesday", "Hello")
    db.session.commit()
    assert outbox.deliver_pending() == 1
    assert smtp.sent == [("head@school.example.org", "Visit on Tuesday", "Hello\n")]
    db.session.refresh(message)
    assert message.sent_at is not None


def test_a_failed_send_stays_queued_and_is_retried_once_it_works(smtp):
    message = outbox.queue("head@school.example.org", "Subject", "Body")
    db.session.commit()
    smtp.fail = True
    assert outbox.deliver_pending() == 0
    db.session.refresh(message)
    assert message.sent_at is None and "connection lost" in message.last_error
    smtp.fail = False
    assert outbox.deliver_pending() == 1
    assert outbox.deliver_pending() == 0, "sent once"
    assert len(smtp.sent) == 1
