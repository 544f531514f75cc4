"""What needs each user today: the list at the top of their home page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func, select

from qa_portal.accounts.models import AccountToken, Role, TokenPurpose, User
from qa_portal.db import db, utcnow
from qa_portal.outbox import OutboxMessage


@dataclass(frozen=True)
class Need:
    text: str
    href: str
    count: int


def needs_for(user: User) -> list[Need]:
    builder = _BUILDERS.get(user.role)
    return [need for need in builder(user) if need.count] if builder else []


def _admin_needs(user: User) -> list[Need]:
    now = utcnow()
    live_invitation = (
        select(AccountToken.id)
        .where(
            AccountToken.user_id == User.id,
            AccountToken.purpose == TokenPurpose.INVITATION,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .exists()
    )
    no_password = (
        select(func.count())
        .select_from(User)
        .where(User.password_hash.is_(None), User.disabled_at.is_(None))
    )
    expired = db.session.scalar(no_password.where(~live_invitation))
    waiting = db.session.scalar(no_password.where(live_invitation))
    unsent = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts > 0)
    )
    users = url_for("admin.users", status="invited")
    return [
        Need("users whose invitation expired before they set a password", users, expired),
        Need("users invited who have not yet set a password", users, waiting),
        Need("emails that failed to send", url_for("admin.outbox_list"), unsent),
    ]


_BUILDERS = {Role.ADMIN: _admin_needs}
