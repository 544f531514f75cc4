"""Home page per role with the follow-up actions it counts, and a health check for the load
balancer."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from qa_portal import clock, policy
from qa_portal.accounts.models import Role
from qa_portal.db import db
from qa_portal.main.services import home_for, visits_with_providers
from qa_portal.pagination import paginate
from qa_portal.visits.models import FollowUpAction

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in"))
    return render_template(f"main/home_{current_user.role.value}.html", **home_for(current_user))


@bp.route("/visits/actions")
@policy.role_required(Role.ADMIN, Role.OFFICER, Role.STAFF)
def follow_up_actions():
    """The follow-up actions still open that the user follows up, soonest due first."""
    due = request.args.get("due", "")
    if due not in ("", "now"):
        abort(400)
    stmt = policy.follow_up_actions_for(current_user)
    if due:
        stmt = stmt.where(FollowUpAction.due_on <= clock.today())
    page = paginate(stmt)
    return render_template(
        "main/actions.html",
        page=page,
        visits=visits_with_providers({a.visit_id for a in page.items}),
        due=due,
        today=clock.today(),
    )


@bp.route("/healthz")
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/accessibility")
def accessibility():
    return render_template("main/accessibility.html")


@bp.route("/privacy")
def privacy():
    return render_template("main/privacy.html")
