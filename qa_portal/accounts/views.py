"""Sign in and out, set a password from an emailed link, change a password."""

from __future__ import annotations

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
from qa_portal.accounts import services
from qa_portal.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    SetPasswordForm,
    SignInForm,
)
from qa_portal.db import db
from qa_portal.extensions import login_manager

bp = Blueprint("accounts", __name__)
bp.record_once(lambda _state: services.dummy_hash())


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
        raw = services.start_session(
            user,
            remember=form.remember.data,
            ip=audit.client_ip(),
            user_agent=request.user_agent.string,
        )
        db.session.commit()
        session.clear()  # a new session at sign-in: nothing from before survives
        session["sid"] = raw
        session.permanent = bool(form.remember.data)
        login_user(user)
        return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("accounts/sign_in.html", form=form)


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
    return render_template("accounts/account.html", form=ConfirmForm())


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
