"""Admin pages: users and invitations, the audit log, the email outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import false, func, or_, select

from qa_portal import audit, links, outbox, policy
from qa_portal.accounts import mfa
from qa_portal.accounts import services as accounts
from qa_portal.accounts.forms import ConfirmForm
from qa_portal.accounts.models import Role, User, UserSession
from qa_portal.admin.forms import AuditFilterForm, UserFilterForm, UserForm
from qa_portal.audit import AuditEvent
from qa_portal.db import db, utcnow
from qa_portal.pagination import paginate, paginate_open
from qa_portal.pupils import services as pupils

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _invite_link(raw: str) -> str:
    return links.external("accounts.set_password", token=raw)


@bp.route("/users")
@policy.role_required(Role.ADMIN)
def users():
    form = UserFilterForm(request.args)
    stmt = policy.users_for(current_user)
    if form.validate():
        if form.q.data:
            like = f"%{form.q.data.strip().lower()}%"
            stmt = stmt.where(or_(func.lower(User.name).like(like), User.email.like(like)))
        if form.role.data:
            stmt = stmt.where(User.role == Role(form.role.data))
        if form.status.data == "disabled":
            stmt = stmt.where(User.disabled_at.is_not(None))
        elif form.status.data == "invited":
            stmt = stmt.where(User.disabled_at.is_(None), User.password_hash.is_(None))
        elif form.status.data == "active":
            stmt = stmt.where(User.disabled_at.is_(None), User.password_hash.is_not(None))
    page = paginate(stmt, per_page=50)
    return render_template("admin/users.html", form=form, page=page)


def _user_form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user)
    if user is not None and request.method == "GET":
        form.role.data = user.role.value
    none = [(None, "Not applicable")]
    form.partnership_id.choices = none + [
        (p.id, str(p)) for p in db.session.scalars(policy.partnerships_for(current_user))
    ]
    form.school_id.choices = none + [
        (s.id, s.name) for s in db.session.scalars(policy.schools_for(current_user))
    ]
    form.provider_id.choices = none + [
        (p.id, p.name) for p in db.session.scalars(policy.providers_for(current_user))
    ]
    return form


def _user_fields(form: UserForm) -> dict:
    return {
        "email": form.email.data,
        "name": form.name.data,
        "role": Role(form.role.data),
        "job_title": form.job_title.data or "",
        "partnership_id": form.partnership_id.data,
        "school_id": form.school_id.data,
        "provider_id": form.provider_id.data,
    }


def _field_for(message: str) -> str:
    for word, field in (
        ("email", "email"),
        ("partnership", "partnership_id"),
        ("school", "school_id"),
        ("provider", "provider_id"),
    ):
        if word in message.lower():
            return field
    return "name"


@bp.route("/users/new", methods=["GET", "POST"])
@policy.role_required(Role.ADMIN)
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(current_user, **_user_fields(form))
            if form.send_invitation.data:
                accounts.invite_user(current_user, user, _invite_link)
        except accounts.AccountError as exc:
            db.session.rollback()
            getattr(form, _field_for(str(exc))).errors = [str(exc)]
        else:
            db.session.commit()
            flash(
                f"{user.name} added."
                + (" An invitation has been emailed." if form.send_invitation.data else ""),
                "success",
            )
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>")
@policy.role_required(Role.ADMIN)
def user(user_id: int):
    user = policy.get_or_404(policy.users_for(current_user), id=user_id)
    live_sessions = db.session.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
    )
    return render_template(
        "admin/user.html",
        user=user,
        form=ConfirmForm(),
        live_sessions=live_sessions,
        invitation=accounts.latest_invitation(user),
        now=utcnow(),
        two_step_since=mfa.on_since(user),
        two_step_required=mfa.is_required(user),
    )


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@policy.role_required(Role.ADMIN)
def edit_user(user_id: int):
    user = policy.get_or_404(policy.users_for(current_user), id=user_id)
    form = _user_form(user)
    del form.send_invitation
    if form.validate_on_submit():
        try:
            accounts.update_user(current_user, user, **_user_fields(form))
        except accounts.AccountError as exc:
            db.session.rollback()
            getattr(form, _field_for(str(exc))).errors = [str(exc)]
        else:
            db.session.commit()
            flash(f"{user.name} saved.", "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=user)


ACTIONS = {
    "invite": lambda user: accounts.invite_user(current_user, user, _invite_link),
    "disable": lambda user: accounts.disable_user(current_user, user),
    "enable": lambda user: accounts.enable_user(current_user, user),
}
ACTION_MESSAGES = {
    "invite": "A new invitation has been emailed to {email}. Earlier links no longer work.",
    "disable": "{email} is disabled and signed out everywhere.",
    "enable": "{email} is enabled. Send an invitation if they need to set a password.",
}


@bp.route("/users/<int:user_id>/<any(invite, disable, enable):action>", methods=["POST"])
@policy.role_required(Role.ADMIN)
def user_action(user_id: int, action: str):
    user = policy.get_or_404(policy.users_for(current_user), id=user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ACTIONS[action](user)
    except accounts.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(ACTION_MESSAGES[action].format(email=user.email), "success")
    return redirect(url_for("admin.user", user_id=user.id))


@bp.route("/users/<int:user_id>/two-step", methods=["GET", "POST"])
@policy.role_required(Role.ADMIN)
def reset_two_step(user_id: int):
    """For a lost phone: a confirmation page, then two-step verification off everywhere."""
    user = policy.get_or_404(policy.users_for(current_user), id=user_id)
    if not mfa.is_on(user) or not policy.can(current_user, "reset_two_step", user):
        flash(f"Two-step verification is not on for {user.email}, or is your own.", "info")
        return redirect(url_for("admin.user", user_id=user.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        mfa.reset_by_admin(current_user, user)
        db.session.commit()
        flash(
            f"Two-step verification is off for {user.email}, who is signed out everywhere.",
            "success",
        )
        return redirect(url_for("admin.user", user_id=user.id))
    return render_template(
        "admin/two_step_reset.html", user=user, form=form, required=mfa.is_required(user)
    )


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@bp.route("/audit")
@policy.role_required(Role.ADMIN)
def audit_log():
    form = AuditFilterForm(request.args)
    form.action.choices = [("", "Any action")] + [(a, a.replace("_", " ")) for a in audit.ACTIONS]
    form.target_type.choices = [("", "Any record")] + [(t, t) for t in audit.TARGET_TYPES]
    stmt = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if form.validate():
        stmt = _audit_filtered(stmt, form)
    page = paginate_open(stmt, per_page=50)
    return render_template("admin/audit.html", form=form, page=page)


def _audit_filtered(stmt, form: AuditFilterForm):
    """Each filter an equality or a range on an indexed column, so none reads every event."""
    if form.actor.data:
        stmt = stmt.where(AuditEvent.actor_email == form.actor.data.strip().lower())
    if form.action.data:
        stmt = stmt.where(AuditEvent.action == form.action.data)
    if form.target_type.data:
        stmt = stmt.where(AuditEvent.target_type == form.target_type.data)
        if form.target_id.data:
            stmt = stmt.where(AuditEvent.target_id == str(form.target_id.data))
    if form.pupil.data:
        pupil_id = db.session.scalar(pupils.pupil_with_upn(form.pupil.data))
        if pupil_id is None:
            form.pupil.errors = ["No pupil has this UPN"]
            return stmt.where(false())
        stmt = stmt.where(AuditEvent.pupil_id == pupil_id)
    if form.date_from.data:
        stmt = stmt.where(AuditEvent.created_at >= _day_start(form.date_from.data))
    if form.date_to.data and form.date_to.data < date.max:  # the last day has no next
        stmt = stmt.where(AuditEvent.created_at < _day_start(form.date_to.data) + timedelta(days=1))
    return stmt


@bp.route("/outbox")
@policy.role_required(Role.ADMIN)
def outbox_list():
    stmt = select(outbox.OutboxMessage).order_by(outbox.OutboxMessage.id.desc())
    return render_template("admin/outbox.html", page=paginate_open(stmt, per_page=50))


@bp.route("/outbox/<int:message_id>")
@policy.role_required(Role.ADMIN)
def outbox_message(message_id: int):
    message = db.get_or_404(outbox.OutboxMessage, message_id)
    return render_template("admin/outbox_message.html", message=message)
