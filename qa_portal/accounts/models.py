"""Users with their role and affiliation, server-side sessions, one-time tokens, failed sign-ins,
two-step verification."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from qa_portal.db import TimestampMixin, db, enum_column, utcnow
from qa_portal.partnerships.models import Partnership, School
from qa_portal.providers.models import Provider


class Role(enum.StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    STAFF = "staff"
    HEAD = "head"
    PROVIDER = "provider"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.OFFICER: "Local authority officer",
    Role.STAFF: "Partnership staff",
    Role.HEAD: "Head or senior leader",
    Role.PROVIDER: "Provider",
}


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        # Each role carries exactly the affiliation it needs, and no other.
        CheckConstraint(
            "(role = 'staff' AND partnership_id IS NOT NULL AND school_id IS NULL"
            " AND provider_id IS NULL)"
            " OR (role = 'head' AND school_id IS NOT NULL AND partnership_id IS NULL"
            " AND provider_id IS NULL)"
            " OR (role = 'provider' AND provider_id IS NOT NULL AND partnership_id IS NULL"
            " AND school_id IS NULL)"
            " OR (role IN ('admin', 'officer') AND partnership_id IS NULL AND school_id IS NULL"
            " AND provider_id IS NULL)",
            name="role_affiliation",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnerships.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]

    # The affiliation, shown beside every name in lists of people: loaded with the users (see
    # `WITH_AFFILIATION`) or not at all.
    partnership: Mapped[Partnership | None] = relationship(lazy="raise")
    school: Mapped[School | None] = relationship(lazy="raise")
    provider: Mapped[Provider | None] = relationship(lazy="raise")

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot sign in
        return self.disabled_at is None

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def affiliation(self) -> str:
        target = self.partnership or self.school or self.provider
        return str(target) if target else "County-wide"

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


# What every query whose users show their affiliation loads with them.
WITH_AFFILIATION = (
    joinedload(User.partnership),
    joinedload(User.school),
    joinedload(User.provider),
)


class UserSession(db.Model):
    """A signed-in browser; the cookie holds only a random token whose hash is stored here."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    remember: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    user: Mapped[User] = relationship()


class TokenPurpose(enum.StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose, not a secret)


class AccountToken(db.Model):
    """A single-use, expiring link that lets a person set their password."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "token_purpose"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SignInFailure(db.Model):
    """A failed sign-in, counted per email and per address for throttling."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_email_created_at", "email", "created_at"),
        Index("ix_sign_in_failures_ip_created_at", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TwoStepCredential(db.Model):
    """A user's authenticator-app secret: shared with the app, so kept like a password."""

    __tablename__ = "two_step_credentials"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None until the user has entered a code from the app: only then is it on.
    enabled_at: Mapped[datetime | None]
    # The 30-second time step of the last code accepted: no code works twice.
    last_used_step: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code for signing in without the phone; only its hash is kept."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash", name="uq_recovery_codes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class PasswordResetRequest(db.Model):
    """A "forgot password" form sent: counted per email and per address for throttling, and
    turned into an email (when the account exists) by the email worker, not the request."""

    __tablename__ = "password_reset_requests"
    __table_args__ = (
        Index("ix_password_reset_requests_email_created_at", "email", "created_at"),
        Index("ix_password_reset_requests_ip_created_at", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="")
