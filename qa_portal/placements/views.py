"""Placements: the list, a placement's page with its agreement, targets and reviews, adding and
changing one from the pupil's page, recording a review, ending it, the agreement as a PDF."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from qa_portal import clock, policy, rules
from qa_portal.accounts.models import Role, User
from qa_portal.contracts.models import Contract
from qa_portal.db import db
from qa_portal.pagination import paginate
from qa_portal.partnerships.models import School
from qa_portal.placements import services, timeline  # noqa: F401 (the timeline's source)
from qa_portal.placements.forms import (
    EndForm,
    PlacementFilterForm,
    PlacementForm,
    ReviewForm,
    placement_form,
    trim,
)
from qa_portal.placements.models import (
    Destination,
    Placement,
    Progress,
    Review,
    TargetArea,
)
from qa_portal.providers.models import Provider
from qa_portal.pupils.models import Pupil, academic_year

bp = Blueprint("placements", __name__)

READERS = (Role.ADMIN, Role.STAFF, Role.HEAD, Role.PROVIDER)
EDITORS = (Role.ADMIN, Role.STAFF)
PER_PAGE = 50

_apply, FAILED = rules.apply, rules.FAILED


# --- the list ---------------------------------------------------------------------------------


@bp.route("/placements")
@policy.role_required(*READERS)
def index():
    form = PlacementFilterForm(request.args)
    _filter_choices(form)
    # A filter that is not one of its choices is shown with its error, the list unfiltered.
    valid = form.validate()
    today = clock.today()
    filters = {**form.data, "provider": form.provider_id if form.provider else None}
    filters = filters if valid else {}
    stmt = services.list_query(policy.placements_for(current_user), filters, today)
    page = paginate(stmt, per_page=PER_PAGE)
    provider = None
    if filters.get("provider"):
        provider = db.session.scalars(
            policy.providers_for(current_user).where(Provider.id == filters["provider"])
        ).first()
    return render_template(
        "placements/index.html",
        form=form,
        page=page,
        today=today,
        year=academic_year(today),
        provider=provider,
    ), (200 if valid else 400)


def _filter_choices(form: PlacementFilterForm) -> None:
    if policy.can(current_user, "filter_placements_by_partnership"):
        form.partnership.choices = [("", "Any partnership")] + [
            (p.code, p.code) for p in db.session.scalars(policy.partnerships_for(current_user))
        ]
    else:
        del form.partnership
    if not policy.can(current_user, "filter_placements_by_provider"):
        del form.provider
    if current_user.role in (Role.ADMIN, Role.STAFF, Role.HEAD):
        stmt = policy.key_workers_for(current_user).options(joinedload(User.partnership))
        form.key_worker.choices = [("", "Any key worker")] + [
            (str(u.id), f"{u.name} ({u.partnership.code})") for u in db.session.scalars(stmt)
        ]
    else:
        del form.key_worker


# --- one placement ------------------------------------------------------------------------------


def _placement(placement_id: int, *, with_page: bool = False) -> Placement:
    stmt = policy.placements_for(current_user).options(
        joinedload(Placement.pupil).joinedload(Pupil.school).joinedload(School.partnership),
        joinedload(Placement.provider),
        joinedload(Placement.contract),
        selectinload(Placement.targets),
        selectinload(Placement.review_dates),
    )
    if with_page:
        stmt = stmt.options(
            selectinload(Placement.reviews).selectinload(Review.progress),
            selectinload(Placement.reviews).joinedload(Review.recorded_by),
            joinedload(Placement.ended_by),
        )
    return policy.get_or_404(stmt, id=placement_id)


@bp.route("/placements/<int:placement_id>")
@policy.role_required(*READERS)
def detail(placement_id: int):
    placement = _placement(placement_id, with_page=True)
    services.record_view(current_user, placement)
    db.session.commit()
    today = clock.today()
    return render_template(
        "placements/detail.html",
        placement=placement,
        state=placement.state(today),
        today=today,
        year=academic_year(today),
    )


@bp.route("/placements/<int:placement_id>/agreement.pdf")
@policy.role_required(*READERS)
def agreement(placement_id: int):
    from qa_portal import pdf  # WeasyPrint loads Pango when imported: only PDFs need it

    placement = _placement(placement_id)
    services.record_agreement_download(current_user, placement)
    db.session.commit()
    data = pdf.render_pdf(
        "placements/agreement_pdf.html",
        placement=placement,
        year=academic_year(placement.start_date),
    )
    name = f"placement-agreement-{placement.id}.pdf"
    return current_app.response_class(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- adding and changing ------------------------------------------------------------------------


def _choices(form: PlacementForm, pupil: Pupil, placement: Placement | None) -> None:
    """The providers and contracts the user may choose, from policy's scoped queries."""
    providers = list(db.session.scalars(policy.placement_providers_for(current_user)))
    if placement is not None and placement.provider not in providers:
        providers.insert(0, placement.provider)
    form.provider_id.choices = [(p.id, p.name) for p in providers]
    recent = clock.today() - timedelta(days=365)
    contracts = (
        policy.contracts_for(current_user)
        .where(
            Contract.partnership_id == pupil.school.partnership_id,
            (Contract.school_id.is_(None)) | (Contract.school_id == pupil.school_id),
            Contract.end_date >= recent,
        )
        .options(joinedload(Contract.provider))
    )
    listed = list(db.session.scalars(contracts))
    if placement is not None and placement.contract and placement.contract not in listed:
        listed.insert(0, placement.contract)
    form.contract_id.choices = [(0, "No contract recorded yet")] + [
        (
            c.id,
            f"{c.reference}: {c.provider.name}, {c.start_date:%-d %b %Y} to {c.end_date:%-d %b %Y}",
        )
        for c in listed
    ]


def _fill(form: PlacementForm, placement: Placement) -> None:
    """The form's numbered fields from the placement (GET of the edit form)."""
    form.transport.data = placement.transport.value
    form.contract_id.data = placement.contract_id or 0
    for n, target in enumerate(placement.targets, start=1):
        form[f"target_{n}_area"].data = target.area.value
        form[f"target_{n}_description"].data = target.description
        form[f"target_{n}_baseline"].data = target.baseline
    for n, planned in enumerate(placement.review_dates, start=1):
        form[f"review_date_{n}"].data = planned.due_on


def _plan(form: PlacementForm) -> services.Plan:
    targets = []
    for n in range(1, services.MAX_TARGETS + 1):
        description = form[f"target_{n}_description"].data or ""
        if description.strip():
            targets.append(
                services.TargetIn(
                    area=TargetArea(form[f"target_{n}_area"].data or TargetArea.PERSONAL.value),
                    description=description,
                    baseline=form[f"target_{n}_baseline"].data or "",
                )
            )
    return services.Plan(
        fields={name: form[name].data for name in services.AGREEMENT_FIELDS},
        targets=targets,
        review_dates=[form[f"review_date_{n}"].data for n in range(1, form.review_slots + 1)],
        provider_reason=form.provider_reason.data or "",
    )


def _parties(form: PlacementForm):
    provider = db.session.get(Provider, form.provider_id.data)
    contract = db.session.get(Contract, form.contract_id.data) if form.contract_id.data else None
    return provider, contract


def _warnings(form: PlacementForm) -> list[str]:
    """What the page warns of about the provider chosen (shown with the reason's box)."""
    provider_id = form.provider_id.data
    if not provider_id or provider_id not in {value for value, _ in form.provider_id.choices}:
        return []
    return services.provider_warnings(db.session.get(Provider, provider_id), clock.today())


@bp.route("/pupils/<int:pupil_id>/placements/new", methods=["GET", "POST"])
@policy.role_required(*EDITORS)
def new(pupil_id: int):
    pupil = policy.get_or_404(policy.pupils_for(current_user), id=pupil_id)
    policy.require(current_user, "add_placement", pupil)
    form = PlacementForm()
    _choices(form, pupil, None)
    if form.validate_on_submit():
        placement = _apply(
            form,
            lambda: services.create_placement(
                current_user,
                pupil,
                *_parties(form),
                _plan(form),
                clock.today(),
                full_time_hours=current_app.config["FULL_TIME_HOURS"],
            ),
        )
        if placement is not FAILED:
            flash(f"Placement with {placement.provider.name} added.", "success")
            return redirect(url_for("placements.detail", placement_id=placement.id))
    return render_template(
        "placements/form.html", form=form, pupil=pupil, placement=None, warnings=_warnings(form)
    )


@bp.route("/placements/<int:placement_id>/edit", methods=["GET", "POST"])
@policy.role_required(*EDITORS)
def edit(placement_id: int):
    placement = _placement(placement_id)
    policy.require(current_user, "edit", placement)
    form = placement_form(len(placement.review_dates))(obj=placement)
    _choices(form, placement.pupil, placement)
    if request.method == "GET":  # the form shows the whole agreement: a view like any other
        _fill(form, placement)
        services.record_view(current_user, placement)
        db.session.commit()
    if (
        form.validate_on_submit()
        and _apply(
            form,
            lambda: services.update_placement(
                current_user,
                placement,
                *_parties(form),
                _plan(form),
                clock.today(),
                full_time_hours=current_app.config["FULL_TIME_HOURS"],
            ),
        )
        is not FAILED
    ):
        flash("Changes saved.", "success")
        return redirect(url_for("placements.detail", placement_id=placement.id))
    warnings = _warnings(form) if form.provider_id.data != placement.provider_id else []
    return render_template(
        "placements/form.html",
        form=form,
        pupil=placement.pupil,
        placement=placement,
        warnings=warnings,
    )


# --- reviews and the ending ---------------------------------------------------------------------


@bp.route("/placements/<int:placement_id>/reviews/new", methods=["GET", "POST"])
@policy.role_required(*EDITORS)
def review(placement_id: int):
    placement = _placement(placement_id, with_page=True)
    policy.require(current_user, "review", placement)
    form = ReviewForm()
    trim(form, "progress_", len(placement.targets))
    trim(form, "comment_", len(placement.targets))
    if form.validate_on_submit():
        progress = [
            services.ProgressIn(
                target_id=target.id,
                progress=Progress(form[f"progress_{n}"].data)
                if form[f"progress_{n}"].data
                else None,
                comment=form[f"comment_{n}"].data or "",
            )
            for n, target in enumerate(placement.targets, start=1)
        ]
        result = _apply(
            form,
            lambda: services.record_review(
                current_user,
                placement,
                form.held_on.data,
                form.attended.data or "",
                form.decisions.data or "",
                form.next_review_on.data,
                progress,
                clock.today(),
            ),
        )
        if result is not FAILED:
            flash("Review recorded.", "success")
            return redirect(url_for("placements.detail", placement_id=placement.id))
    return render_template("placements/review.html", form=form, placement=placement)


@bp.route("/placements/<int:placement_id>/end", methods=["GET", "POST"])
@policy.role_required(*EDITORS)
def end(placement_id: int):
    placement = _placement(placement_id)
    policy.require(current_user, "end", placement)
    form = EndForm()
    trim(form, "outcome_", len(placement.targets))
    if form.validate_on_submit():
        outcomes = {
            target.id: form[f"outcome_{n}"].data or ""
            for n, target in enumerate(placement.targets, start=1)
        }
        result = _apply(
            form,
            lambda: services.end_placement(
                current_user,
                placement,
                form.finish_date.data,
                Destination(form.destination.data) if form.destination.data else None,
                form.destination_note.data or "",
                form.end_reason.data or "",
                outcomes,
            ),
        )
        if result is not FAILED:
            flash("Placement ended.", "success")
            return redirect(url_for("placements.detail", placement_id=placement.id))
    return render_template("placements/end.html", form=form, placement=placement)
