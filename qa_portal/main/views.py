"""Home page per role, and a health check for the load balancer."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from qa_portal import policy
from qa_portal.db import db
from qa_portal.main.services import needs_for

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in"))
    return render_template(
        f"main/home_{current_user.role.value}.html",
        needs=needs_for(current_user),
        partnerships=db.session.scalars(policy.partnerships_for(current_user)).all(),
        schools=db.session.scalars(policy.schools_for(current_user).limit(100)).all(),
        providers=db.session.scalars(policy.providers_for(current_user).limit(100)).all(),
        visits=[
            v for v in db.session.scalars(policy.visits_for(current_user).limit(50)) if v.is_open
        ],
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
