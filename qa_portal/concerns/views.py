"""Concern pages: the list, a concern and its resolution, and raising one about a provider."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from qa_portal import clock, policy, rules
from qa_portal.accounts.models import Role
from qa_portal.concerns import services
from qa_portal.concerns.forms import ConcernFilterForm, RaiseConcernForm, ResolveConcernForm
from qa_portal.concerns.models import Concern, ConcernCategory
from qa_portal.db import db
from qa_portal.pagination import paginate
from qa_portal.visits.models import Visit

bp = Blueprint("concerns", __name__)

READERS = (Role.ADMIN, Role.OFFICER, Role.STAFF, Role.HEAD)
PER_PAGE = 50


def _filter(form: ConcernFilterForm) -> services.ConcernFilter:
    if not form.validate():
        return services.ConcernFilter()  # the page says what is wrong next to the filter
    return services.ConcernFilter(
        status=form.status.data or "",
        category=ConcernCategory(form.category.data) if form.category.data else None,
        provider=form.q.data or "",
        provider_id=form.provider.data,
    )


@bp.route("/concerns")
@policy.role_required(*READERS)
def index():
    form = ConcernFilterForm(request.args)
    chosen = _filter(form)
    page = paginate(
        services.listed_concerns(policy.concerns_for(current_user), chosen), per_page=PER_PAGE
    )
    return render_template("concerns/index.html", form=form, page=page), (
        400 if form.errors else 200
    )


def _concern_or_404(concern_id: int) -> Concern:
    stmt = policy.concerns_for(current_user).options(
        joinedload(Concern.provider),
        joinedload(Concern.partnership),
        joinedload(Concern.school),
        joinedload(Concern.raised_by),
        joinedload(Concern.resolved_by),
        joinedload(Concern.visit),
    )
    return policy.get_or_404(stmt, id=concern_id)


def _detail_page(concern: Concern, form: ResolveConcernForm | None = None, status: int = 200):
    # The planned visit is linked only for those who may read it.
    visit_readable = concern.visit_id is not None and (
        db.session.scalar(
            policy.visits_for(current_user)
            .where(Visit.id == concern.visit_id)
            .with_only_columns(Visit.id)
            .order_by(None)
        )
        is not None
    )
    return render_template(
        "concerns/detail.html",
        concern=concern,
        form=form or ResolveConcernForm(formdata=None),
        visit_readable=visit_readable,
    ), status


@bp.route("/concerns/<int:concern_id>")
@policy.role_required(*READERS)
def detail(concern_id: int):
    return _detail_page(_concern_or_404(concern_id))


@bp.route("/concerns/<int:concern_id>/resolve", methods=["POST"])
@policy.role_required(Role.ADMIN, Role.STAFF)
def resolve(concern_id: int):
    concern = _concern_or_404(concern_id)
    policy.require(current_user, "resolve", concern)
    form = ResolveConcernForm()
    if (
        form.validate_on_submit()
        and rules.apply(
            form,
            lambda: services.resolve_concern(
                current_user,
                concern,
                resolution=form.resolution.data,
                resolved_on=form.resolved_on.data,
                today=clock.today(),
            ),
        )
        is not rules.FAILED
    ):
        flash("Resolution recorded.", "success")
        return redirect(url_for("concerns.detail", concern_id=concern.id))
    return _detail_page(concern, form, 400)


@bp.route("/providers/<int:provider_id>/concerns/new", methods=["GET", "POST"])
@policy.role_required(*services.RAISERS)
def new(provider_id: int):
    provider = policy.get_or_404(policy.providers_for(current_user), id=provider_id)
    policy.require(current_user, "raise_concern", provider)
    form = RaiseConcernForm()
    if (
        form.validate_on_submit()
        and (
            concern := rules.apply(
                form,
                lambda: services.raise_concern(
                    current_user,
                    provider,
                    category=ConcernCategory(form.category.data),
                    happened_on=form.happened_on.data,
                    description=form.description.data,
                    pupils_involved=form.pupils_involved.data or "",
                    today=clock.today(),
                ),
            )
        )
        is not rules.FAILED
    ):
        flash("Concern raised. Your partnership's staff can see it.", "success")
        return redirect(url_for("concerns.detail", concern_id=concern.id))
    return render_template("concerns/new.html", form=form, provider=provider)
