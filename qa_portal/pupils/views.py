"""Pupils: the list (counts for officers), the record and its timeline, adding and editing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from qa_portal import clock, policy, rules
from qa_portal.accounts.models import Role, User
from qa_portal.db import db
from qa_portal.pagination import paginate
from qa_portal.partnerships.models import School
from qa_portal.pupils import services
from qa_portal.pupils.forms import PupilFilterForm, PupilForm
from qa_portal.pupils.models import Pupil, academic_year
from qa_portal.pupils.timeline import timeline

bp = Blueprint("pupils", __name__)

READERS = (Role.ADMIN, Role.STAFF, Role.HEAD)
EDITORS = (Role.ADMIN, Role.STAFF)
PER_PAGE = 50

_apply, FAILED = rules.apply, rules.FAILED


@bp.route("/pupils")
@policy.role_required(Role.ADMIN, Role.OFFICER, Role.STAFF, Role.HEAD)
def index():
    if not policy.can(current_user, "list_pupils"):
        counts = services.counts(policy.pupils_counted_for(current_user), clock.today())
        return render_template("pupils/counts.html", counts=counts)
    form = PupilFilterForm(request.args)
    _filter_choices(form)
    # A filter that is not one of its choices is shown with its error, the list unfiltered.
    valid = form.validate()
    stmt = services.list_query(policy.pupils_for(current_user), form.data if valid else {})
    page = paginate(stmt, per_page=PER_PAGE)
    return render_template(
        "pupils/index.html", form=form, page=page, year=academic_year(clock.today())
    ), (200 if valid else 400)


def _filter_choices(form: PupilFilterForm) -> None:
    partnerships = db.session.scalars(policy.partnerships_for(current_user)).all()
    form.partnership.choices = [("", "Any partnership")] + [(p.code, p.code) for p in partnerships]
    form.school.choices = [("", "Any school")] + [
        (str(s.id), s.name) for s in db.session.scalars(policy.schools_for(current_user))
    ]
    form.key_worker.choices = [("", "Any key worker")] + _key_workers()


def _key_workers() -> list[tuple[str, str]]:
    stmt = policy.key_workers_for(current_user).options(joinedload(User.partnership))
    return [(str(u.id), f"{u.name} ({u.partnership.code})") for u in db.session.scalars(stmt)]


def _pupil_form(pupil: Pupil | None = None) -> PupilForm:
    form = PupilForm(obj=pupil)
    if pupil is not None and request.method == "GET":
        form.gender.data = pupil.gender.value
        form.ethnicity.data = pupil.ethnicity.value
        form.year_group.data = services.chosen_year_group(pupil, clock.today())
    form.school_id.choices = [(None, "Choose the school")] + [
        (s.id, f"{s.name} ({s.partnership.code})")
        for s in db.session.scalars(
            policy.schools_for(current_user).options(joinedload(School.partnership))
        )
    ]
    form.key_worker_id.choices = [(None, "None yet")] + [
        (int(value), label) for value, label in _key_workers()
    ]
    return form


def _fields(form: PupilForm) -> dict:
    fields = {name: getattr(form, name).data for name in services.FIELDS}
    fields["year_group"] = form.year_group.data
    return fields


def _save(form: PupilForm, action) -> Pupil | object:
    """Run the save; when the UPN is another pupil's, say so, and link to that pupil's
    record only for someone who may read it."""
    duplicate = None

    def run():
        nonlocal duplicate
        try:
            return action()
        except services.DuplicateUpn as exc:
            if policy.can(current_user, "view", exc.pupil):
                duplicate = exc.pupil
            raise

    result = _apply(form, run)
    form.duplicate = duplicate
    return result


@bp.route("/pupils/new", methods=["GET", "POST"])
@policy.role_required(*EDITORS)
def new():
    form = _pupil_form()
    if (
        form.validate_on_submit()
        and (
            pupil := _save(
                form,
                lambda: services.create_pupil(current_user, _fields(form), clock.today()),
            )
        )
        is not FAILED
    ):
        flash(f"{pupil.name} added.", "success")
        return redirect(url_for("pupils.detail", pupil_id=pupil.id))
    return render_template("pupils/form.html", form=form, pupil=None)


def _pupil(pupil_id: int) -> Pupil:
    stmt = policy.pupils_for(current_user).options(
        joinedload(Pupil.school).joinedload(School.partnership), joinedload(Pupil.key_worker)
    )
    return policy.get_or_404(stmt, id=pupil_id)


@bp.route("/pupils/<int:pupil_id>")
@policy.role_required(*READERS)
def detail(pupil_id: int):
    pupil = _pupil(pupil_id)
    services.record_view(current_user, pupil)
    db.session.commit()
    today = clock.today()
    return render_template(
        "pupils/detail.html",
        pupil=pupil,
        year=academic_year(today),
        chosen_year=services.chosen_year_group(pupil, today),
        events=timeline(pupil, current_user),
    )


@bp.route("/pupils/<int:pupil_id>/edit", methods=["GET", "POST"])
@policy.role_required(*EDITORS)
def edit(pupil_id: int):
    pupil = _pupil(pupil_id)
    policy.require(current_user, "edit", pupil)
    if request.method == "GET":  # the form shows the whole record: a view like any other
        services.record_view(current_user, pupil)
        db.session.commit()
    form = _pupil_form(pupil)
    if (
        form.validate_on_submit()
        and _save(
            form,
            lambda: services.update_pupil(current_user, pupil, _fields(form), clock.today()),
        )
        is not FAILED
    ):
        flash("Changes saved.", "success")
        return redirect(url_for("pupils.detail", pupil_id=pupil.id))
    return render_template("pupils/form.html", form=form, pupil=pupil)
