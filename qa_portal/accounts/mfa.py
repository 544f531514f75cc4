"""Two-step verification: authenticator-app codes, single-use recovery codes, who must use it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from qa_portal import audit
from qa_portal.accounts import services
from qa_portal.accounts.models import RecoveryCode, Role, TwoStepCredential, User
from qa_portal.db import db, utcnow
from qa_portal.rules import RuleBroken

ISSUER = "AP QA Portal"
RECOVERY_CODES = 10
# Letters and digits that cannot be mistaken for one another: 12 of them carry 59 bits.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_GROUPS = 3
# Between the password and the code: long enough to open the app, too short to walk away.
PENDING_MINUTES = 5
# Wrong codes of a signed-in user (set-up, turning off, new recovery codes): three free, then
# the sign-in's growing waits, counted per account. At sign-in they count as failed sign-ins.
FREE_FAILURES = 3
FAILURE_MEMORY = timedelta(hours=24)
WRONG_CODE = (
    "The code is not correct or has already been used. Enter the newest code from your "
    "authenticator app, or one of your recovery codes"
)


class TwoStepError(RuleBroken):
    """A code or password was refused; the message goes next to `field`."""


# --- who must use it -------------------------------------------------------------------------


def check_required_roles(config) -> None:
    """Refuse to start with a role name that would silently require nothing."""
    known = {role.value for role in Role}
    unknown = set(config["MFA_REQUIRED_ROLES"]) - known
    if unknown:
        raise RuntimeError(
            f"MFA_REQUIRED_ROLES names unknown role(s) {', '.join(sorted(unknown))}; "
            f"use any of {', '.join(role.value for role in Role)}"
        )


def is_required(user: User) -> bool:
    return user.role.value in current_app.config["MFA_REQUIRED_ROLES"]


def credential(user: User) -> TwoStepCredential | None:
    """The user's credential once it is on; None while off or only being set up."""
    found = db.session.get(TwoStepCredential, user.id)
    return found if found is not None and found.enabled_at is not None else None


def is_on(user: User) -> bool:
    return credential(user) is not None


def setup_needed(user: User) -> bool:
    """A user whose role requires two-step verification and who has not set it up yet."""
    return is_required(user) and not is_on(user)


# --- setting it up ---------------------------------------------------------------------------


def start_setup(user: User) -> TwoStepCredential:
    """The secret being set up: the same one until it is confirmed, so a reload keeps it."""
    found = db.session.get(TwoStepCredential, user.id)
    if found is not None and found.enabled_at is not None:
        raise TwoStepError("Two-step verification is already on", "code")
    if found is None:
        try:
            with db.session.begin_nested():
                db.session.add(TwoStepCredential(user_id=user.id, secret=pyotp.random_base32()))
        except IntegrityError:
            pass  # the page opened twice at once: the secret the other one made is kept
        found = db.session.get(TwoStepCredential, user.id)
    return found


def grouped(secret: str) -> str:
    """The secret in fours, as people type it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code(pending: TwoStepCredential, user: User) -> str:
    """The set-up link as an SVG data URI, for an <img> (no script, allowed by the CSP)."""
    uri = pyotp.TOTP(pending.secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


def confirm_setup(user: User, code: str) -> list[str]:
    """Turn two-step verification on once a current code proves the app has the secret;
    returns the recovery codes, which are never shown again."""
    pending = db.session.get(TwoStepCredential, user.id)
    if pending is None or pending.enabled_at is not None:
        raise TwoStepError("Start setting up two-step verification again", "code")
    _refuse_if_waiting(pending)
    step = _matching_step(pending, _normalise(code))
    if step is None or not _claim_step(pending, step):
        _record_failure(pending, user)
        raise TwoStepError(WRONG_CODE, "code")
    pending.enabled_at = utcnow()
    _clear_failures(pending)
    codes = _new_recovery_codes(user)
    audit.record("two_step_on", actor=user, target=user, summary="Turned on two-step verification")
    return codes


# --- codes -----------------------------------------------------------------------------------


def verify(user: User, code: str) -> None:
    """For a signed-in user: accept a current code from the app or an unused recovery code,
    once; otherwise count a failure against the account (the caller commits it) and raise."""
    found = _credential_or_refuse(user)
    _refuse_if_waiting(found)
    if not _accept(found, user, code):
        _record_failure(found, user)
        raise TwoStepError(WRONG_CODE, "code")
    _clear_failures(found)


def verify_at_sign_in(user: User, code: str, ip: str) -> None:
    """The code step of signing in. A wrong code is a failed sign-in of this email from this
    address, with the same growing waits as a wrong password (`services.sign_in_wait`), so a
    guesser elsewhere who has the password never keeps the owner from finishing on their own
    device; the failures are cleared only when the session starts."""
    found = _credential_or_refuse(user)
    _one_attempt_at_a_time(found)
    wait = services.sign_in_wait(user.email, ip)
    if wait:
        raise TwoStepError(f"Too many wrong attempts. {services.wait_message(wait)}", "code")
    if not _accept(found, user, code):
        services.count_failure(user.email, ip)
        audit.record(
            "two_step_failed", actor=user, target=user, summary="Wrong two-step verification code"
        )
        raise TwoStepError(WRONG_CODE, "code")


def _one_attempt_at_a_time(found: TwoStepCredential) -> None:
    """Hold the account's code step until this attempt is committed, so codes sent side by side
    are counted one after another and cannot all slip in before the wait they earn. A write
    that changes nothing locks on every database: the row on PostgreSQL, the file on SQLite."""
    db.session.execute(
        update(TwoStepCredential)
        .where(TwoStepCredential.user_id == found.user_id)
        .values(last_used_step=TwoStepCredential.last_used_step)
        .execution_options(synchronize_session=False)
    )


def _credential_or_refuse(user: User) -> TwoStepCredential:
    found = credential(user)
    if found is None:
        raise TwoStepError("Two-step verification is not on for this account", "code")
    return found


def _accept(found: TwoStepCredential, user: User, code: str) -> bool:
    """Whether this is a current app code or an unused recovery code, claimed for this use."""
    cleaned = _normalise(code)
    if _is_app_code(cleaned):
        step = _matching_step(found, cleaned)
        return step is not None and _claim_step(found, step)
    return _use_recovery_code(user, cleaned)


def _normalise(code: str) -> str:
    """The code's letters and digits; only ASCII ones, as apps and recovery codes use (other
    scripts' digits, full-width forms and the like are simply not part of any code)."""
    return "".join(ch for ch in (code or "").lower() if ch.isascii() and ch.isalnum())


def _is_app_code(cleaned: str) -> bool:
    return len(cleaned) == 6 and cleaned.isdigit()


def _matching_step(found: TwoStepCredential, cleaned: str) -> int | None:
    """The time step whose code this is: this one or either neighbour (phones' clocks drift),
    and only a step later than the last code used."""
    if not _is_app_code(cleaned):
        return None
    totp = pyotp.TOTP(found.secret)
    now = totp.timecode(utcnow())
    for step in (now - 1, now, now + 1):
        if step > found.last_used_step and hmac.compare_digest(totp.generate_otp(step), cleaned):
            return step
    return None


def _claim_step(found: TwoStepCredential, step: int) -> bool:
    """Record the step as used with a guarded update, so two requests cannot both use it."""
    claimed = db.session.execute(
        update(TwoStepCredential)
        .where(
            TwoStepCredential.user_id == found.user_id,
            TwoStepCredential.last_used_step < step,
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(found)
    return claimed == 1


def _refuse_if_waiting(found: TwoStepCredential, field: str = "code") -> None:
    if found.last_failure_at is None or utcnow() - found.last_failure_at >= FAILURE_MEMORY:
        return
    cap = timedelta(minutes=current_app.config["SIGN_IN_MAX_DELAY_MINUTES"])
    wait = found.last_failure_at + services.growing_delay(found.failures, FREE_FAILURES, cap)
    if wait > utcnow():
        raise TwoStepError(
            f"Too many wrong attempts. {services.wait_message(wait - utcnow())}", field
        )


def _record_failure(found: TwoStepCredential, user: User) -> None:
    now = utcnow()
    if found.last_failure_at is None or now - found.last_failure_at >= FAILURE_MEMORY:
        found.failures = 0
    found.failures += 1
    found.last_failure_at = now
    audit.record(
        "two_step_failed", actor=user, target=user, summary="Wrong two-step verification code"
    )


def _clear_failures(found: TwoStepCredential) -> None:
    found.failures = 0
    found.last_failure_at = None


# --- recovery codes --------------------------------------------------------------------------


def _recovery_hash(user_id: int, cleaned: str) -> str:
    return hashlib.sha256(f"{user_id}:{cleaned}".encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    """Ten new codes in place of any earlier ones; only their hashes are kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "-".join(
            "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4))
            for _ in range(_RECOVERY_GROUPS)
        )
        for _ in range(RECOVERY_CODES)
    ]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user.id, _normalise(code)))
        for code in codes
    )
    return codes


def _use_recovery_code(user: User, cleaned: str) -> bool:
    digest = _recovery_hash(user.id, cleaned)
    unused = db.session.execute(
        select(RecoveryCode.id, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    match = None
    for code_id, code_hash in unused:  # every one compared, in constant time
        if hmac.compare_digest(code_hash, digest):
            match = code_id
    if match is None:
        return False
    claimed = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == match, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if claimed == 1:
        audit.record("recovery_code_used", actor=user, target=user, summary="Used a recovery code")
    return claimed == 1


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def renew_recovery_codes(user: User, password: str) -> list[str]:
    """New recovery codes, after the password; the earlier ones stop working."""
    _check_password(user, password)
    codes = _new_recovery_codes(user)
    audit.record(
        "recovery_codes_renewed", actor=user, target=user, summary="Made new recovery codes"
    )
    return codes


# --- turning it off --------------------------------------------------------------------------


def turn_off(user: User, password: str, code: str) -> None:
    """The user's own choice: their password and a code, as at sign-in."""
    _check_password(user, password)
    verify(user, code)
    _remove(user)
    audit.record(
        "two_step_off", actor=user, target=user, summary="Turned off two-step verification"
    )


def reset_by_admin(actor: User, user: User) -> None:
    """For a lost phone: off, and signed out everywhere, so only a new sign-in gets back in."""
    if user.id == actor.id:
        raise TwoStepError("Turn off your own two-step verification from Your account")
    if not is_on(user):
        raise TwoStepError(f"Two-step verification is not on for {user.email}")
    _remove(user)
    ended = services.end_other_sessions(user)
    audit.record(
        "two_step_reset",
        actor=actor,
        target=user,
        summary=f"Turned off two-step verification of {user.email}",
        details={"sessions_ended": ended},
    )


def _remove(user: User) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoStepCredential).where(TwoStepCredential.user_id == user.id))


def _check_password(user: User, password: str) -> TwoStepCredential:
    """The credential, once the password is right; a wrong one counts like a wrong code, so
    a signed-in device left open cannot be used to guess the password here."""
    found = credential(user)
    if found is None:
        raise TwoStepError("Two-step verification is not on for your account", "password")
    _refuse_if_waiting(found, "password")
    if not user.password_hash or not check_password_hash(user.password_hash, password or ""):
        _record_failure(found, user)
        raise TwoStepError("Your password is not correct", "password")
    return found


def on_since(user: User) -> datetime | None:
    found = credential(user)
    return found.enabled_at if found else None
