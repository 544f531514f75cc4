"""Partnership and school pages: everyone sees their own scope, admins edit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from qa_portal import policy, rules
from qa_portal.accounts.models import Role
from qa_portal.db import db
from qa_portal.pagination import paginate
from qa_portal.partnerships import services
from qa_portal.partnerships.forms import PartnershipForm, SchoolForm
from qa_portal.partnerships.models import School

bp = Blueprint("partnerships", __name__)

VIEWERS = (Role.ADMIN, Role.OFFICER, Role.STAFF, Role.HEAD)


@bp.route("/partnerships")
@policy.role_required(*VIEWERS)
def index():
    rows = services.with_school_counts(policy.partnerships_for(current_user))
    return render_template("partnerships/index.html", rows=rows)


@bp.route("/partnerships/<code>")
@policy.role_required(*VIEWERS)
def detail(code: str):
    partnership = policy.get_or_404(policy.partnerships_for(current_user), code=code)
    schools = paginate(
        policy.schools_for(current_user).where(School.partnership_id == partnership.id)
    )
    return render_template(
        "partnerships/detail.html",
        partnership=partnership,
        schools=schools,
        providers_used=services.providers_used(partnership),
    )


@bp.route("/partnerships/<code>/edit", methods=["GET", "POST"])
@policy.role_required(Role.ADMIN)
def edit(code: str):
    partnership = policy.get_or_404(policy.partnerships_for(current_user), code=code)
    form = PartnershipForm(obj=partnership)
    if form.validate_on_submit():
        services.update_partnership(
            current_user, partnership, name=form.name.data, area=form.area.data
        )
        db.session.commit()
        flash(f"{partnership.code} saved.", "success")
        return redirect(url_for("partnerships.detail", code=partnership.code))
    return render_template("partnerships/edit.html", form=form, partnership=partnership)


@bp.route("/schools/<int:school_id>")
@policy.role_required(*VIEWERS)
def school(school_id: int):
    school = policy.get_or_404(policy.schools_for(current_user), id=school_id)
    return render_template("partnerships/school.html", school=school)


def _school_form(school: School | None = None) -> SchoolForm:
    form = SchoolForm(obj=school)
    form.partnership_id.choices = [
        (p.id, str(p)) for p in db.session.scalars(policy.partnerships_for(current_user))
    ]
    return form


def _save_school(form: SchoolForm, school: School | None):
    partnership = policy.get_or_404(
        policy.partnerships_for(current_user), id=form.partnership_id.data
    )

    def save() -> School:
        if school is None:
            return services.create_school(
                current_user, name=form.name.data, partnership=partnership
            )
        services.update_school(current_user, school, name=form.name.data, partnership=partnership)
        return school

    school = rules.apply(form, save)
    if school is rules.FAILED:
        return None
    flash(f"{school.name} saved.", "success")
    return redirect(url_for("partnerships.school", school_id=school.id))


@bp.route("/schools/new", methods=["GET", "POST"])
@policy.role_required(Role.ADMIN)
def new_school():
    form = _school_form()
    if form.validate_on_submit() and (response := _save_school(form, None)):
        return response
    return render_template("partnerships/school_form.html", form=form, school=None)


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@policy.role_required(Role.ADMIN)
def edit_school(school_id: int):
    school = policy.get_or_404(policy.schools_for(current_user), id=school_id)
    form = _school_form(school)
    if form.validate_on_submit() and (response := _save_school(form, school)):
        return response
    return render_template("partnerships/school_form.html", form=form, school=school)
