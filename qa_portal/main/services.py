"""What needs each user today: the list at the top of their home page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import func, select

from qa_portal import clock, policy
from qa_portal.accounts.models import AccountToken, Role, TokenPurpose, User
from qa_portal.db import db, utcnow
from qa_portal.outbox import OutboxMessage
from qa_portal.providers.compliance import State, compliance_for
from qa_portal.providers.services import awaiting_verification


@dataclass(frozen=True)
class Need:
    """A count of things waiting, said in words: `what` is "noun|nouns rest of sentence"."""

    what: str
    href: str
    count: int

    @property
    def text(self) -> str:
        noun, _, rest = self.what.partition(" ")
        one, _, many = noun.partition("|")
        return f"{one if self.count == 1 else many} {rest}"


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
        Need("user|users whose invitation expired before they set a password", users, expired),
        Need("user|users invited who have not yet set a password", users, waiting),
        Need("email|emails that failed to send", url_for("admin.outbox_list"), unsent),
    ]


def _register_needs(user: User) -> list[Need]:
    providers = db.session.scalars(policy.watched_providers_for(user)).all()
    assessed = compliance_for(providers, clock.today()).values()
    expiring = url_for("providers.expiring")
    return [
        Need(
            "provider|providers non-compliant: evidence missing or expired",
            expiring,
            sum(1 for a in assessed if a.state is State.NON_COMPLIANT),
        ),
        Need(
            "provider|providers with evidence expiring within 30 days",
            expiring,
            sum(1 for a in assessed if a.state is State.DUE_SOON),
        ),
        Need(
            "upload|uploads awaiting your verification",
            expiring,
            len(awaiting_verification(providers)) if user.role is not Role.OFFICER else 0,
        ),
    ]


def _provider_needs(user: User) -> list[Need]:
    provider = db.session.scalars(policy.providers_for(user)).first()
    if provider is None:
        return []
    assessed = compliance_for([provider], clock.today())[provider.id]
    page = url_for("providers.detail", provider_id=provider.id)
    missing_or_expired = [
        k for k in assessed.problems if k.state is State.NON_COMPLIANT and k.pending is None
    ]
    due = [k for k in assessed.problems if k.state is State.DUE_SOON and k.pending is None]
    return [
        Need("document|documents missing or expired: upload them", page, len(missing_or_expired)),
        Need("document|documents expiring within 30 days: upload the renewal", page, len(due)),
    ]


def _admin_and_register_needs(user: User) -> list[Need]:
    return _admin_needs(user) + _register_needs(user)


_BUILDERS = {
    Role.ADMIN: _admin_and_register_needs,
    Role.OFFICER: _register_needs,
    Role.STAFF: _register_needs,
    Role.PROVIDER: _provider_needs,
}
