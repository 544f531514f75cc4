"""Account rules: passwords, sign-in with throttling, server-side sessions, invitations, resets."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import String, bindparam, delete, false, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from qa_portal import audit, links, outbox
from qa_portal.accounts.models import (
    WITH_AFFILIATION,
    AccountToken,
    PasswordResetRequest,
    Role,
    SignInFailure,
    TokenPurpose,
    User,
    UserSession,
)
from qa_portal.db import db, utcnow
from qa_portal.rules import RuleBroken

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
_COMMON_PASSWORDS = frozenset((Path(__file__).parent / "common_passwords.txt").read_text().split())


@cache
def dummy_hash() -> str:
    """Checked against when the email is unknown, so both answers take the same time. Made
    when the sign-in pages are set up (not at import: hashing takes tens of MiB, which every
    process would pay), so even a process's first answer takes no longer."""
    return generate_password_hash("not-a-real-password")


LinkBuilder = Callable[[str], str]


class AccountError(RuleBroken):
    """A rule was broken; the message is shown to the person."""


class SignInRefused(AccountError):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- passwords -------------------------------------------------------------------------------


def password_problem(password: str, email: str = "") -> str | None:
    """Why this password is too weak, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Password must be at least {PASSWORD_MIN_LENGTH} characters"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Password must be {PASSWORD_MAX_LENGTH} characters or fewer"
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS or len(set(lowered)) < 4:
        return "Password is too easy to guess: choose a less common one, like three random words"
    local_part = normalise_email(email).split("@")[0]
    if len(local_part) >= 4 and local_part in lowered:
        return "Password must not contain your email address"
    return None


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.email)
    if problem:
        raise AccountError(problem)
    user.password_hash = generate_password_hash(
        password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    )
    user.password_changed_at = utcnow()


# --- sign-in and sessions --------------------------------------------------------------------


def authenticate(email: str, password: str, ip: str) -> User:
    """The user whose credentials these are; one answer for every kind of failure."""
    email = normalise_email(email)
    _one_attempt_at_a_time(email, ip)
    _refuse_if_throttled(email, ip)
    user = db.session.scalars(select(User).where(User.email == email)).first()
    password_ok = check_password_hash(
        user.password_hash if user and user.password_hash else dummy_hash(), password
    )
    if user is None or not password_ok or not user.is_active or not user.has_password:
        count_failure(email, ip)
        audit.record(
            "sign_in_failed",
            actor=user,
            actor_email=email,
            summary="Failed sign-in",
            target=user,
        )
        raise SignInRefused("Enter a correct email address and password")
    # The pair's failures are cleared when a session starts: a code may still be to come,
    # and its wrong guesses must not be wiped by giving the password again.
    return user


def _one_attempt_at_a_time(email: str, ip: str) -> None:
    """Hold this email and address pair until the attempt is committed, so attempts sent side
    by side are checked one after another and cannot all slip in before the wait they earn.
    The same for a known and an unknown email. PostgreSQL locks the pair; SQLite has a single
    writer, so a write that changes nothing holds the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(
            f"{email}\n{network_of(ip)}".encode("utf-8", "surrogatepass")
        ).digest()
        db.session.execute(
            select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True)))
        )
    else:
        db.session.execute(delete(SignInFailure).where(false()))


def count_failure(email: str, ip: str) -> None:
    """A failed sign-in of this email from this address: a wrong password or a wrong code."""
    db.session.add(SignInFailure(email=normalise_email(email), ip=network_of(ip)))


def growing_delay(failures: int, free: int, cap: timedelta) -> timedelta:
    """No wait for the first `free` failures, then 1 s, 2 s, 4 s... never more than `cap`."""
    beyond = failures - free
    if beyond <= 0:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(beyond - 1, 20)), cap)


def wait_message(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 120:
        return f"Wait {seconds} second{'s' if seconds != 1 else ''} before trying again"
    return f"Wait {math.ceil(seconds / 60)} minutes before trying again"


def _refuse_if_throttled(email: str, ip: str) -> None:
    """Refuse, without checking the password, an attempt inside the wait its failures earned.

    Only failures of this email from this address make it wait: nobody elsewhere can stop an
    owner signing in (see README, "Sign-in throttling"). Failures against the account from
    other addresses, or on many accounts from this address, only take away the free attempts.
    """
    wait = sign_in_wait(email, ip)
    if wait:
        audit.record("sign_in_throttled", actor_email=email, summary="Sign-in refused: throttled")
        raise SignInRefused(f"Too many failed attempts to sign in. {wait_message(wait)}")


def sign_in_wait(email: str, ip: str) -> timedelta | None:
    """How long this email must still wait from this address, or None (the rules are in
    `_refuse_if_throttled`); the code step of two-step verification waits the same way."""
    config = current_app.config
    ip = network_of(ip)
    now = utcnow()
    since = now - timedelta(hours=config["SIGN_IN_FAILURE_MEMORY_HOURS"])
    failures, last = db.session.execute(
        select(func.count(), func.max(SignInFailure.created_at)).where(
            SignInFailure.email == email, SignInFailure.ip == ip, SignInFailure.created_at >= since
        )
    ).one()
    if not failures:
        return None
    free = config["SIGN_IN_FREE_FAILURES"]
    if free and _under_attack(email, ip, since):
        free = 0
    cap = timedelta(minutes=config["SIGN_IN_MAX_DELAY_MINUTES"])
    wait = last + growing_delay(failures, free, cap) - now
    return wait if wait > timedelta(0) else None


def _under_attack(email: str, ip: str, since: datetime) -> bool:
    """Whether the account is failing from many other addresses, or this address on many
    accounts (spraying)."""
    config = current_app.config
    elsewhere = db.session.scalar(
        select(func.count()).where(
            SignInFailure.email == email, SignInFailure.ip != ip, SignInFailure.created_at >= since
        )
    )
    if elsewhere >= config["SIGN_IN_ACCOUNT_ATTACK_FAILURES"]:
        return True
    accounts = db.session.scalar(
        select(func.count(func.distinct(SignInFailure.email))).where(
            SignInFailure.ip == ip, SignInFailure.created_at >= since
        )
    )
    return accounts >= config["SIGN_IN_ADDRESS_SPRAY_ACCOUNTS"]


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta


def session_limits(remember: bool) -> SessionLimits:
    config = current_app.config
    if remember:
        days = timedelta(days=config["SESSION_REMEMBER_DAYS"])
        return SessionLimits(idle=days, absolute=days)
    return SessionLimits(
        idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        absolute=timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
    )


def start_session(user: User, *, remember: bool, ip: str, user_agent: str) -> str:
    """Open a new server-side session and return its raw token for the cookie; the sign-in
    has succeeded, so its email and address pair's failures are cleared."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(
        delete(SignInFailure).where(
            SignInFailure.email == user.email, SignInFailure.ip == network_of(ip)
        )
    )
    db.session.add(
        UserSession(
            token_hash=hash_token(raw),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + session_limits(remember).absolute,
            remember=remember,
            ip=ip,
            user_agent=user_agent[:300],
        )
    )
    user.last_sign_in_at = now
    audit.record("sign_in", actor=user, target=user, summary="Signed in")
    return raw


@cache
def _live_session():
    """Built once: every signed-in request runs it. Pages show the user's affiliation."""
    return (
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .options(*WITH_AFFILIATION)
        .where(
            UserSession.token_hash == bindparam("token_hash", type_=String),
            UserSession.revoked_at.is_(None),
        )
    )


def resume_session(raw: str | None, user_id: str) -> User | None:
    """The user of a live session token, or None once it is revoked, idle or expired."""
    if not raw:
        return None
    row = db.session.execute(_live_session(), {"token_hash": hash_token(raw)}).first()
    if row is None:
        return None
    user_session, user = row
    now = utcnow()
    idle = session_limits(user_session.remember).idle
    if (
        str(user.id) != str(user_id)
        or not user.is_active
        or now >= user_session.expires_at
        or now - user_session.last_seen_at >= idle
    ):
        return None
    # Touch at most once a minute, so reading pages is not a write per request.
    if now - user_session.last_seen_at > timedelta(minutes=1):
        user_session.last_seen_at = now
        db.session.commit()
        # The commit expired the user, and its affiliation is never loaded on its own.
        user = db.session.get(User, user.id, options=WITH_AFFILIATION, populate_existing=True)
    return user


def end_session(raw: str | None, user: User | None) -> None:
    if raw:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == hash_token(raw), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    if user is not None:
        audit.record("sign_out", actor=user, target=user, summary="Signed out")


def end_other_sessions(user: User, keep_raw: str | None = None) -> int:
    """Revoke every session of the user except the one given; returns how many ended."""
    stmt = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep_raw:
        stmt = stmt.where(UserSession.token_hash != hash_token(keep_raw))
    return db.session.execute(stmt.values(revoked_at=utcnow())).rowcount


def change_password(user: User, current: str, new: str, keep_raw: str | None) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise AccountError("Your current password is not correct")
    set_password(user, new)
    end_other_sessions(user, keep_raw)
    _expire_tokens(user)
    audit.record("password_changed", actor=user, target=user, summary="Changed own password")


# --- users, invitations and resets -----------------------------------------------------------


def email_taken(email: str, exclude_id: int | None = None) -> bool:
    stmt = select(User.id).where(User.email == normalise_email(email))
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt) is not None


def _affiliation(role: Role, partnership_id=None, school_id=None, provider_id=None) -> dict:
    """Keep only the affiliation the role uses; refuse when it is missing."""
    needed = {
        Role.STAFF: ("partnership_id", partnership_id, "Choose the partnership"),
        Role.HEAD: ("school_id", school_id, "Choose the school"),
        Role.PROVIDER: ("provider_id", provider_id, "Choose the provider"),
    }.get(role)
    values = {"partnership_id": None, "school_id": None, "provider_id": None}
    if needed:
        field, value, message = needed
        if not value:
            raise AccountError(message)
        values[field] = value
    return values


def create_user(
    actor: User, *, email: str, name: str, role: Role, job_title: str = "", **affiliation
) -> User:
    if email_taken(email):
        raise AccountError("A user with this email address already exists")
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        job_title=job_title.strip(),
        role=role,
        **_affiliation(role, **affiliation),
    )
    db.session.add(user)
    db.session.flush()
    # Given by id, the affiliation is loaded for what shows it next (the invitation).
    db.session.refresh(user, ["partnership", "school", "provider"])
    audit.record(
        "user_created", actor=actor, target=user, summary=f"Created {user.email} as {role.label}"
    )
    return user


def update_user(
    actor: User, user: User, *, email: str, name: str, role: Role, job_title: str, **affiliation
) -> dict:
    if email_taken(email, exclude_id=user.id):
        raise AccountError("A user with this email address already exists")
    diff = audit.changes(
        user,
        {
            "email": normalise_email(email),
            "name": name.strip(),
            "job_title": job_title.strip(),
            "role": role,
            **_affiliation(role, **affiliation),
        },
    )
    if diff:
        db.session.flush()
        # A change of role or scope must not ride on sessions opened under the old one.
        if diff.keys() & {"role", "partnership_id", "school_id", "provider_id", "email"}:
            end_other_sessions(user)
        # A link already sent to the old address must not set the password of the account
        # that has moved to the new one.
        if "email" in diff:
            _expire_tokens(user)
        audit.record(
            "user_changed", actor=actor, target=user, summary=f"Changed {user.email}", details=diff
        )
    return diff


def disable_user(actor: User, user: User) -> None:
    if user.id == actor.id:
        raise AccountError("You cannot disable your own account")
    user.disabled_at = utcnow()
    end_other_sessions(user)
    _expire_tokens(user)
    audit.record("user_disabled", actor=actor, target=user, summary=f"Disabled {user.email}")


def enable_user(actor: User, user: User) -> None:
    user.disabled_at = None
    audit.record("user_enabled", actor=actor, target=user, summary=f"Enabled {user.email}")


def _expire_tokens(user: User, purpose: TokenPurpose | None = None) -> None:
    stmt = update(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.used_at.is_(None)
    )
    if purpose is not None:
        stmt = stmt.where(AccountToken.purpose == purpose)
    db.session.execute(stmt.values(expires_at=utcnow()))


def _issue_token(
    user: User, purpose: TokenPurpose, valid_for: timedelta, actor: User | None
) -> str:
    """A new single-use token; earlier unused ones for the same purpose stop working."""
    _expire_tokens(user, purpose)
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            token_hash=hash_token(raw),
            user_id=user.id,
            purpose=purpose,
            expires_at=utcnow() + valid_for,
            created_by_id=actor.id if actor else None,
        )
    )
    return raw


def invite_user(actor: User, user: User, link: LinkBuilder) -> None:
    if not user.is_active:
        raise AccountError("Enable the account before inviting its user")
    hours = current_app.config["INVITATION_VALID_HOURS"]
    raw = _issue_token(user, TokenPurpose.INVITATION, timedelta(hours=hours), actor)
    url = link(raw)
    outbox.queue(
        user.email,
        "You are invited to the AP QA Portal",
        f"Hello {user.name},\n\n{actor.name} has given you an account on the AP QA Portal "
        f"as {user.role.label} ({user.affiliation}).\n\n"
        f"Set your password here within {hours} hours:\n{url}\n\n"
        "The link works once. If it has expired, ask your administrator for a new one.\n",
        secret_link=url,
    )
    audit.record("user_invited", actor=actor, target=user, summary=f"Invited {user.email}")


def request_password_reset(email: str, ip: str) -> None:
    """Record the request for the email worker, which sends a link when the account exists.
    The request does the same work for any email, known or not (two counts, one row), and
    nothing at all once throttled: the caller answers the same in every case."""
    email = normalise_email(email)
    ip = network_of(ip)
    config = current_app.config
    now = utcnow()
    recent = select(func.count()).select_from(PasswordResetRequest)
    by_email = db.session.scalar(
        recent.where(
            PasswordResetRequest.email == email,
            PasswordResetRequest.created_at
            >= now - timedelta(minutes=config["PASSWORD_RESET_EMAIL_MINUTES"]),
        )
    )
    by_ip = db.session.scalar(
        recent.where(
            PasswordResetRequest.ip == ip,
            PasswordResetRequest.created_at >= now - timedelta(hours=1),
        )
    )
    if by_email or by_ip >= config["PASSWORD_RESET_MAX_PER_ADDRESS"]:
        return
    db.session.add(PasswordResetRequest(email=email, ip=ip, created_at=now))


def network_of(ip: str) -> str:
    """The address that sign-in failures and reset requests are counted against: an IPv4
    address, or the /64 an IPv6 address belongs to (one connection is given a /64, so a single
    machine can send from countless addresses in it)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def forget_old_reset_requests(older_than: timedelta = timedelta(days=1)) -> int:
    """Handled requests count for throttling for an hour at most; keep a day, then drop them."""
    return db.session.execute(
        delete(PasswordResetRequest).where(
            PasswordResetRequest.processed_at.is_not(None),
            PasswordResetRequest.created_at < utcnow() - older_than,
        )
    ).rowcount


def pending_reset_requests(limit: int = 100) -> list[int]:
    return list(
        db.session.scalars(
            select(PasswordResetRequest.id)
            .where(PasswordResetRequest.processed_at.is_(None))
            .order_by(PasswordResetRequest.id)
            .limit(limit)
        )
    )


def handle_reset_request(request_id: int) -> bool:
    """Turn one recorded request into a reset email when the account exists, is active and
    was not sent one in the last PASSWORD_RESET_EMAIL_MINUTES. Claimed with a guarded update,
    so two workers cannot both send it. True when an email was queued."""
    now = utcnow()
    claimed = db.session.execute(
        update(PasswordResetRequest)
        .where(PasswordResetRequest.id == request_id, PasswordResetRequest.processed_at.is_(None))
        .values(processed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    reset_request = db.session.get(PasswordResetRequest, request_id)
    user = db.session.scalars(select(User).where(User.email == reset_request.email)).first()
    reset_request.outcome = _reset_outcome(user, now)
    if reset_request.outcome != "sent":
        return False
    minutes = current_app.config["PASSWORD_RESET_VALID_MINUTES"]
    raw = _issue_token(user, TokenPurpose.PASSWORD_RESET, timedelta(minutes=minutes), None)
    url = links.external("accounts.set_password", token=raw)
    outbox.queue(
        user.email,
        "Reset your AP QA Portal password",
        f"Hello {user.name},\n\nSomeone asked to reset the password of your AP QA Portal account."
        f"\n\nSet a new password here within {minutes} minutes:\n{url}\n\n"
        "If it was not you, ignore this email: your password has not changed.\n",
        secret_link=url,
    )
    audit.record(
        "password_reset_requested", actor=user, target=user, summary="Password reset requested"
    )
    return True


def _reset_outcome(user: User | None, now: datetime) -> str:
    if user is None or not user.is_active:
        return "no_account"
    since = now - timedelta(minutes=current_app.config["PASSWORD_RESET_EMAIL_MINUTES"])
    recent = db.session.scalar(
        select(AccountToken.id).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == TokenPurpose.PASSWORD_RESET,
            AccountToken.created_at >= since,
        )
    )
    return "throttled" if recent is not None else "sent"


def token_user(raw: str) -> AccountToken:
    """The live token for this link, or AccountError saying why it no longer works."""
    token = db.session.scalars(
        select(AccountToken).where(AccountToken.token_hash == hash_token(raw))
    ).first()
    if token is None:
        raise AccountError("This link is not valid. Check you copied the whole link from the email")
    if token.used_at is not None:
        raise AccountError("This link has already been used. Sign in, or ask for a new link")
    changed = token.user.password_changed_at
    if (
        utcnow() >= token.expires_at
        or not token.user.is_active
        or (changed is not None and token.created_at < changed)
    ):
        # A link sent before the password last changed is of that older time: it is over.
        raise AccountError("This link has expired. Ask for a new one")
    return token


def redeem_token(raw: str, password: str) -> User:
    token = token_user(raw)
    user = token.user
    set_password(user, password)
    now = utcnow()
    # Mark used with a guarded update, so two submits of the same link cannot both succeed.
    claimed = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise AccountError("This link has already been used. Sign in, or ask for a new link")
    end_other_sessions(user)
    audit.record(
        "invitation_accepted" if token.purpose is TokenPurpose.INVITATION else "password_reset",
        actor=user,
        target=user,
        summary="Set password from emailed link",
    )
    return user


def latest_invitation(user: User) -> AccountToken | None:
    return db.session.scalars(
        select(AccountToken)
        .where(AccountToken.user_id == user.id, AccountToken.purpose == TokenPurpose.INVITATION)
        .order_by(AccountToken.created_at.desc())
        .limit(1)
    ).first()


def when(dt: datetime | None) -> str:
    return dt.strftime("%-d %b %Y %H:%M") if dt else ""
