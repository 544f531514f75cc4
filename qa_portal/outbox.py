"""Email queued in the database, then delivered by a worker (`flask send-email`) through the
console (development) or SMTP backend: claimed atomically, so no message goes out twice
whatever the number of workers, and retried with exponential backoff until it gives up."""

from __future__ import annotations

import logging
import re
import smtplib
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import Index, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from qa_portal.db import db, utcnow

log = logging.getLogger(__name__)

HIDDEN_LINK = "[link hidden: it works only for its recipient]"
# How long a worker may hold a claimed batch before another may take it over (a worker that
# died mid-batch); far longer than a batch takes.
CLAIM_LEASE = timedelta(minutes=10)
# A worker starts no send this close to the end of its lease: one send (connecting, TLS,
# signing in, the message, each allowed SMTP_TIMEOUT) ends before another worker may take the
# message over, so a slow batch is handed back rather than sent twice.
CLAIM_MARGIN = timedelta(minutes=4)
SMTP_TIMEOUT = 20
# A subject is one header line: a line break of any kind (including Unicode's line and
# paragraph separators, which Python's email package also refuses) would make it unsendable.
_LINE_BREAKS = re.compile(r"\s+")
SUBJECT_LENGTH = 300


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    # A link that works only for its recipient is kept apart from the body (which holds
    # HIDDEN_LINK in its place), and only until the message is sent.
    secret_link: Mapped[str | None] = mapped_column(String(2000))
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]

    @property
    def status(self) -> str:
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "failed"
        return "retrying" if self.attempts else "queued"

    def text_to_send(self) -> str:
        if self.secret_link is None:
            return self.body
        return self.body.replace(HIDDEN_LINK, self.secret_link)


def queue(to_address: str, subject: str, body: str, *, secret_link: str | None = None):
    """Add a message to the current transaction; the worker delivers it once that commits.
    A `secret_link` in the body (a link that lets its holder set a password) is stored apart
    and never shown in the outbox."""
    if secret_link is not None:
        if secret_link not in body:
            raise ValueError("the secret link must be in the body")
        body = body.replace(secret_link, HIDDEN_LINK)
    message = OutboxMessage(
        to_address=to_address,
        subject=one_line(subject)[:SUBJECT_LENGTH],
        body=body,
        secret_link=secret_link,
    )
    db.session.add(message)
    return message


def one_line(text: str) -> str:
    """`text` as a single header line: every run of spaces or line breaks becomes one space."""
    return _LINE_BREAKS.sub(" ", text).strip()


def _due(now: datetime):
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


def claim(limit: int) -> list[OutboxMessage]:
    """Take up to `limit` due messages for this worker alone, committed at once. The guarded
    UPDATE is atomic on every backend; on PostgreSQL, SKIP LOCKED lets workers pass each
    other's rows instead of waiting for them."""
    now = utcnow()
    worker = uuid.uuid4().hex
    candidates = (
        select(OutboxMessage.id)
        .where(*_due(now))
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates.scalar_subquery()), *_due(now))
        .values(claimed_by=worker, claimed_until=now + CLAIM_LEASE)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.claimed_by == worker)
            .order_by(OutboxMessage.id)
        )
    )


def deliver_pending(limit: int = 100) -> int:
    """Claim one batch and send it over one connection; a failure is retried later, with
    exponential backoff, until EMAIL_MAX_ATTEMPTS. Returns how many were sent."""
    return _deliver_batch(limit)[1]


def deliver_all(batch: int = 100) -> int:
    """Batch after batch until nothing is due or the mail server cannot be reached."""
    total = 0
    while True:
        claimed, sent, reachable = _deliver_batch(batch)
        total += sent
        if claimed < batch or not reachable:
            return total


def _deliver_batch(limit: int) -> tuple[int, int, bool]:
    # Reckoned before the claim, so never later than the lease the claim records.
    deadline = utcnow() + CLAIM_LEASE - CLAIM_MARGIN
    messages = claim(limit)
    with _transport() as transport, _kept_after_commit():
        return _send_each(messages, transport, deadline)


@contextmanager
def _kept_after_commit():
    """Each message is committed as soon as it is sent; the batch's other messages need not
    be read again after each commit (only this worker holds them)."""
    session = db.session()
    saved, session.expire_on_commit = session.expire_on_commit, False
    try:
        yield
    finally:
        session.expire_on_commit = saved


def _send_each(
    messages: list[OutboxMessage], transport, deadline: datetime
) -> tuple[int, int, bool]:
    sent = 0
    for index, message in enumerate(messages):
        if utcnow() >= deadline:
            # The lease is nearly over: another worker may soon take these, so hand them back.
            _release(messages[index:])
            return len(messages), sent, True
        message.attempts += 1
        try:
            transport.send(message)
        except (OSError, smtplib.SMTPException) as exc:
            _failed(message, exc)
            transport.reset()
        except (ValueError, TypeError) as exc:  # no email can be made of it: no retry helps
            _given_up(message, exc)
        else:
            _sent(message)
            sent += 1
        message.claimed_by = message.claimed_until = None
        db.session.commit()
        if transport.unreachable:
            # No server to talk to: the rest wait for the next run, their attempts intact.
            _release(messages[index + 1 :])
            return len(messages), sent, False
    return len(messages), sent, True


def _release(messages: list[OutboxMessage]) -> None:
    for message in messages:
        message.claimed_by = message.claimed_until = None
    db.session.commit()


def _sent(message: OutboxMessage) -> None:
    message.sent_at = utcnow()
    message.secret_link = None  # the stored body keeps only HIDDEN_LINK
    message.last_error = ""


def _failed(message: OutboxMessage, exc: Exception) -> None:
    config = current_app.config
    if message.attempts >= config["EMAIL_MAX_ATTEMPTS"]:
        _given_up(message, exc)
        return
    message.last_error = _error_text(exc)
    delay = config["EMAIL_RETRY_SECONDS"] * 2 ** (message.attempts - 1)
    message.next_attempt_at = utcnow() + timedelta(seconds=delay)
    log.warning("email %s to %s not sent: %s", message.id, message.to_address, exc)


def _given_up(message: OutboxMessage, exc: Exception) -> None:
    message.last_error = _error_text(exc)
    message.failed_at = utcnow()
    message.secret_link = None  # never sent: the link is of no use to anyone now
    log.error("email %s to %s given up: %s", message.id, message.to_address, exc)


def _error_text(exc: Exception) -> str:
    return str(exc)[:500] or type(exc).__name__


class _Console:
    unreachable = False

    def send(self, message: OutboxMessage) -> None:
        log.info(
            "Email to %s\nSubject: %s\n\n%s",
            message.to_address,
            message.subject,
            message.text_to_send(),
        )

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass


class _SMTP:
    """One connection for a batch, opened on first use and again after a failure."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.unreachable = False

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=SMTP_TIMEOUT)
        try:
            if config["SMTP_STARTTLS"]:
                smtp.starttls()
            if config["SMTP_USERNAME"]:
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        except (OSError, smtplib.SMTPException):
            smtp.close()
            raise
        return smtp

    def send(self, message: OutboxMessage) -> None:
        email = EmailMessage()
        email["From"] = self.config["EMAIL_FROM"]
        email["To"] = message.to_address
        email["Subject"] = message.subject
        email.set_content(message.text_to_send())
        if self.smtp is None:
            try:
                self.smtp = self._connect()
            except (OSError, smtplib.SMTPException):
                self.unreachable = True
                raise
        self.smtp.send_message(email)

    def reset(self) -> None:
        self.close()

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


@contextmanager
def _transport():
    config = current_app.config
    transport = _Console() if config["EMAIL_BACKEND"] == "console" else _SMTP(config)
    try:
        yield transport
    finally:
        transport.close()
