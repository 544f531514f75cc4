"""Email queued in the database, then delivered by the console (development) or SMTP backend."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import current_app, g, has_request_context
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from qa_portal.db import db, utcnow

log = logging.getLogger(__name__)


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    to_address: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")


def queue(to_address: str, subject: str, body: str) -> OutboxMessage:
    """Add a message to the current transaction; it is delivered once that commits."""
    message = OutboxMessage(to_address=to_address, subject=subject, body=body)
    db.session.add(message)
    if has_request_context():
        g.outbox_pending = True
    return message


def deliver_pending(limit: int = 100) -> int:
    """Send queued messages; a failure stays queued for the next run. Returns how many were sent."""
    pending = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < 10)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    for message in pending:
        message.attempts += 1
        try:
            _send(message)
        except (OSError, smtplib.SMTPException) as exc:
            message.last_error = str(exc)[:500]
            log.warning("email %s to %s not sent: %s", message.id, message.to_address, exc)
        else:
            message.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent


def _send(message: OutboxMessage) -> None:
    config = current_app.config
    if config["EMAIL_BACKEND"] == "console":
        log.info(
            "Email to %s\nSubject: %s\n\n%s", message.to_address, message.subject, message.body
        )
        return
    email = EmailMessage()
    email["From"] = config["EMAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email.set_content(message.body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        smtp.send_message(email)
