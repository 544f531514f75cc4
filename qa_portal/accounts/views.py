"""Sign in and out (with two-step verification), set a password from an emailed link, change
a password, set up and turn off two-step verification."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from qa_portal import audit
from qa_portal.accounts import mfa, services
from qa_portal.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    RecoveryCodesForm,
    SetPasswordForm,
    SignInCodeForm,
    SignInForm,
    TwoStepOffForm,
    TwoStepSetupForm,
)
from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.extensions import login_manager

bp = Blueprint("accounts", __name__)
bp.record_once(lambda _state: services.dummy_hash())
bp.record_once(lambda state: mfa.check_required_roles(state.app.config))


@login_manager.user_loader
def load_user(user_id: str):
    return services.resume_session(session.get("sid"), user_id)


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths may be returned to after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, audit.client_ip())
        except services.SignInRefused as exc:
            db.session.commit()  # keep the failure: it counts towards throttling
            form.email.errors = [str(exc)]
            return render_template("accounts/sign_in.html", form=form), 200
        next_url = _safe_next(request.args.get("next"))
        if mfa.is_on(user):
            return _ask_for_code(user, bool(form.remember.data), next_url)
        return _start_session(user, bool(form.remember.data), next_url)
    return render_template("accounts/sign_in.html", form=form)


def _start_session(user, remember: bool, next_url: str | None):
    raw = services.start_session(
        user, remember=remember, ip=audit.client_ip(), user_agent=request.user_agent.string
    )
    db.session.commit()
    session.clear()  # a new session at sign-in: nothing from before survives
    session["sid"] = raw
    session.permanent = remember
    login_user(user)
    return redirect(next_url or url_for("main.home"))


# Between the password and the code: who, until when, and where to go. Never a session, and
# nothing secret (the cookie is signed, not encrypted).
PENDING = "two_step_pending"


def _password_version(user) -> float | None:
    """Which password the pending sign-in was given: a change voids a cookie kept from before."""
    return user.password_changed_at.timestamp() if user.password_changed_at else None


def _ask_for_code(user, remember: bool, next_url: str | None):
    db.session.commit()  # ends the password attempt's hold on its email and address
    session.clear()
    until = utcnow() + timedelta(minutes=mfa.PENDING_MINUTES)
    session[PENDING] = {
        "user": user.id,
        "password": _password_version(user),
        "until": until.timestamp(),
        "remember": remember,
        "next": next_url,
    }
    return redirect(url_for("accounts.sign_in_code"))


def _pending_user():
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("until", 0) <= utcnow().timestamp():
        return None
    user_id = pending.get("user")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.is_active or not mfa.is_on(user):
        return None
    if pending.get("password") != _password_version(user):
        return None
    return user


@bp.route("/sign-in/code", methods=["GET", "POST"])
def sign_in_code():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash("Sign in again: the time for entering your code has run out.", "info")
        return redirect(url_for("accounts.sign_in"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        try:
            mfa.verify_at_sign_in(user, form.code.data, audit.client_ip())
        except mfa.TwoStepError as exc:
            db.session.commit()  # keep the failure: it counts towards the wait
            form.code.errors = [str(exc)]
        else:
            pending = session[PENDING]
            return _start_session(user, bool(pending["remember"]), pending["next"])
    return render_template("accounts/sign_in_code.html", form=form)


# What a user who must set up two-step verification can still reach before doing so.
OPEN_BEFORE_SETUP = frozenset(
    {
        "static",
        "accounts.two_step_setup",
        "accounts.sign_out",
        "main.health",
        "main.accessibility",
        "main.privacy",
    }
)


@bp.before_app_request
def _two_step_first():
    if request.endpoint in OPEN_BEFORE_SETUP or not current_user.is_authenticated:
        return None
    if mfa.setup_needed(current_user):
        return redirect(url_for("accounts.two_step_setup"))
    return None


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def two_step_setup():
    if mfa.is_on(current_user):
        return redirect(url_for("accounts.account"))
    pending = mfa.start_setup(current_user)
    form = TwoStepSetupForm()
    if form.validate_on_submit():
        try:
            codes = mfa.confirm_setup(current_user, form.code.data)
        except mfa.TwoStepError as exc:
            form.code.errors = [str(exc)]
        else:
            db.session.commit()
            return render_template("accounts/recovery_codes.html", codes=codes, first=True)
    db.session.commit()  # the secret stays the same until it is confirmed
    return render_template(
        "accounts/two_step_setup.html",
        form=form,
        secret=mfa.grouped(pending.secret),
        qr_code=mfa.qr_code(pending, current_user),
        required=mfa.is_required(current_user),
    )


@bp.route("/account/two-step/recovery-codes", methods=["GET", "POST"])
@login_required
def recovery_codes():
    if not mfa.is_on(current_user):
        return redirect(url_for("accounts.account"))
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        try:
            codes = mfa.renew_recovery_codes(current_user, form.password.data)
        except mfa.TwoStepError as exc:
            db.session.commit()  # a wrong password counts towards the wait
            form.password.errors = [str(exc)]
        else:
            db.session.commit()
            return render_template("accounts/recovery_codes.html", codes=codes, first=False)
    return render_template("accounts/recovery_codes_new.html", form=form)


@bp.route("/account/two-step/turn-off", methods=["GET", "POST"])
@login_required
def two_step_off():
    if not mfa.is_on(current_user):
        return redirect(url_for("accounts.account"))
    form = TwoStepOffForm()
    if form.validate_on_submit():
        try:
            mfa.turn_off(current_user, form.password.data, form.code.data)
        except mfa.TwoStepError as exc:
            db.session.commit()  # a wrong password or code counts towards the wait
            getattr(form, exc.field).errors = [str(exc)]
        else:
            db.session.commit()
            flash("Two-step verification is off.", "success")
            return redirect(url_for("accounts.account"))
    return render_template(
        "accounts/two_step_off.html", form=form, required=mfa.is_required(current_user)
    )


@bp.route("/sign-out", methods=["GET", "POST"])
def sign_out():
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.sign_in"))
        return render_template("accounts/sign_out.html", form=ConfirmForm())
    if ConfirmForm().validate_on_submit():
        user = current_user if current_user.is_authenticated else None
        services.end_session(session.get("sid"), user)
        db.session.commit()
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/account")
@login_required
def account():
    return render_template(
        "accounts/account.html",
        form=ConfirmForm(),
        two_step_since=mfa.on_since(current_user),
        two_step_required=mfa.is_required(current_user),
    )


@bp.route("/account/sign-out-other-devices", methods=["POST"])
@login_required
def sign_out_others():
    if ConfirmForm().validate_on_submit():
        count = services.end_other_sessions(current_user, session.get("sid"))
        audit.record(
            "sessions_ended",
            actor=current_user,
            target=current_user,
            summary=f"Signed out {count} other session(s)",
        )
        db.session.commit()
        flash(f"Signed out of {count} other device(s).", "success")
    return redirect(url_for("accounts.account"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    form.password_email = current_user.email
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current.data, form.password.data, session.get("sid")
            )
        except services.AccountError as exc:
            form.current.errors = [str(exc)]
        else:
            db.session.commit()
            flash("Your password has been changed. Other devices have been signed out.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    try:
        account_token = services.token_user(token)
    except services.AccountError as exc:
        return render_template("accounts/link_problem.html", message=str(exc)), 410
    form = SetPasswordForm()
    form.password_email = account_token.user.email
    if form.validate_on_submit():
        try:
            services.redeem_token(token, form.password.data)
        except services.AccountError as exc:
            db.session.rollback()
            return render_template("accounts/link_problem.html", message=str(exc)), 410
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()
        session.clear()
        flash("Your password is set. Sign in with your email address and new password.", "success")
        return redirect(url_for("accounts.sign_in"))
    return render_template(
        "accounts/set_password.html",
        form=form,
        account_user=account_token.user,
        purpose=account_token.purpose.value,
    )


@bp.route("/account/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, audit.client_ip())
        db.session.commit()
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/forgot_password.html", form=form)
