"""Framework pages: read any published version; admins draft, edit and publish new versions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from qa_portal import policy, rules
from qa_portal.accounts.forms import ConfirmForm
from qa_portal.accounts.models import Role
from qa_portal.db import db
from qa_portal.frameworks import services
from qa_portal.frameworks.forms import CriterionForm
from qa_portal.frameworks.models import Criterion

bp = Blueprint("frameworks", __name__, url_prefix="/frameworks")


def _framework(framework_id: int):
    return policy.get_or_404(policy.frameworks_for(current_user), id=framework_id)


def _criterion(framework, criterion_id: int) -> Criterion:
    for area in framework.areas:
        for criterion in area.criteria:
            if criterion.id == criterion_id:
                return criterion
    abort(404)


def _fields(form: CriterionForm) -> dict:
    fields = {name: getattr(form, name).data or "" for name in services.CRITERION_FIELDS}
    return {**fields, "evidence_required": bool(form.evidence_required.data)}


def _saved(form, action) -> bool:
    return rules.apply(form, action) is not rules.FAILED


@bp.route("")
@policy.role_required(*Role)
def index():
    frameworks = db.session.scalars(policy.frameworks_for(current_user)).all()
    return render_template("frameworks/index.html", frameworks=frameworks, form=ConfirmForm())


@bp.route("/<int:framework_id>")
@policy.role_required(*Role)
def detail(framework_id: int):
    return render_template(
        "frameworks/detail.html", framework=_framework(framework_id), form=ConfirmForm()
    )


@bp.route("/<int:framework_id>/draft", methods=["POST"])
@policy.role_required(Role.ADMIN)
def draft(framework_id: int):
    framework = _framework(framework_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        new = services.new_draft(current_user, framework)
    except services.FrameworkError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("frameworks.index"))
    db.session.commit()
    flash(f"Version {new.version} drafted. Published versions stay as they are.", "success")
    return redirect(url_for("frameworks.detail", framework_id=new.id))


@bp.route("/<int:framework_id>/criteria/<int:criterion_id>", methods=["GET", "POST"])
@policy.role_required(Role.ADMIN)
def edit_criterion(framework_id: int, criterion_id: int):
    framework = _framework(framework_id)
    criterion = _criterion(framework, criterion_id)
    policy.require(current_user, "edit", framework)
    form = CriterionForm(obj=criterion)
    if form.validate_on_submit() and _saved(
        form, lambda: services.update_criterion(current_user, criterion, _fields(form))
    ):
        flash("Criterion saved.", "success")
        return redirect(
            url_for(
                "frameworks.detail", framework_id=framework.id, _anchor=f"criterion-{criterion.id}"
            )
        )
    return render_template(
        "frameworks/criterion_form.html",
        form=form,
        framework=framework,
        area=criterion.area,
        criterion=criterion,
    )


@bp.route("/<int:framework_id>/areas/<int:area_id>/criteria/new", methods=["GET", "POST"])
@policy.role_required(Role.ADMIN)
def new_criterion(framework_id: int, area_id: int):
    framework = _framework(framework_id)
    area = next((a for a in framework.areas if a.id == area_id), None) or abort(404)
    policy.require(current_user, "edit", framework)
    form = CriterionForm()
    if form.validate_on_submit() and _saved(
        form, lambda: services.add_criterion(current_user, area, _fields(form))
    ):
        flash(f"Criterion added to {area.name}.", "success")
        return redirect(url_for("frameworks.detail", framework_id=framework.id))
    return render_template(
        "frameworks/criterion_form.html", form=form, framework=framework, area=area, criterion=None
    )


@bp.route("/<int:framework_id>/criteria/<int:criterion_id>/remove", methods=["POST"])
@policy.role_required(Role.ADMIN)
def remove_criterion(framework_id: int, criterion_id: int):
    framework = _framework(framework_id)
    criterion = _criterion(framework, criterion_id)
    policy.require(current_user, "edit", framework)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.remove_criterion(current_user, criterion)
        except services.FrameworkError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("Criterion removed.", "success")
    return redirect(url_for("frameworks.detail", framework_id=framework.id))


@bp.route("/<int:framework_id>/publish", methods=["POST"])
@policy.role_required(Role.ADMIN)
def publish(framework_id: int):
    framework = _framework(framework_id)
    policy.require(current_user, "edit", framework)
    if ConfirmForm().validate_on_submit():
        try:
            services.publish(current_user, framework)
        except services.FrameworkError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"Version {framework.version} published: new visits use it.", "success")
    return redirect(url_for("frameworks.detail", framework_id=framework.id))
