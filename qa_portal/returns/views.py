"""Termly returns: the term's list, the provider's form for one pupil, a return's page with its
history and the partnership's review, the spreadsheet template and its upload; the reminders
command."""

from __future__ import annotations

import click
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from qa_portal import clock, policy, rules, terms
from qa_portal.accounts.models import Role
from qa_portal.db import db
from qa_portal.pagination import paginate_rows
from qa_portal.partnerships.models import School
from qa_portal.placements.models import Placement, Progress
from qa_portal.providers.models import Provider
from qa_portal.pupils.models import Pupil
from qa_portal.returns import services, spreadsheet, timeline  # noqa: F401 (the timeline's source)
from qa_portal.returns.forms import (
    ReturnFilterForm,
    ReturnForm,
    ReviewForm,
    UploadForm,
    add_target_fields,
)
from qa_portal.returns.models import AccreditationStatus, Behaviour, TermlyReturn
from qa_portal.terms import Term

bp = Blueprint("returns", __name__, cli_group=None)

READERS = (Role.ADMIN, Role.STAFF, Role.HEAD, Role.PROVIDER)
PER_PAGE = 50
TERMS_LISTED = 6  # the current term and the five before it
# A term's spreadsheet of a few hundred pupils is well under 1 MB.
UPLOAD_MAX_BYTES = 5 * 1024 * 1024

_apply, FAILED = rules.apply, rules.FAILED


def _term(key: str | None) -> Term:
    """The term named in the address, the current one when none is; 404 for a non-term."""
    if not key:
        return terms.current_term()
    term = services.parse_term(key)
    if term is None:
        abort(404)
    return term


def _recent_terms() -> list[Term]:
    term, listed = terms.current_term(), []
    for _ in range(TERMS_LISTED):
        listed.append(term)
        term = terms.previous_term(term)
    return listed


# --- the list -----------------------------------------------------------------------------------


@bp.route("/returns")
@policy.role_required(*READERS)
def index():
    form = ReturnFilterForm(request.args)
    _filter_choices(form)
    valid = form.validate()
    term = services.parse_term(form.term.data) if valid and form.term.data else None
    term = term or terms.current_term()
    filters = form.data if valid else {}
    placements = policy.placements_for(current_user)
    page = paginate_rows(services.term_rows(placements, term, filters), per_page=PER_PAGE)
    done, total = services.done_counts(placements, term)
    return render_template(
        "returns/index.html",
        form=form,
        page=page,
        term=term,
        term_key=services.key_of(term),
        done=done,
        total=total,
        year=term.year,
    ), (200 if valid else 400)


def _filter_choices(form: ReturnFilterForm) -> None:
    form.term.choices = [("", "This term")] + [
        (services.key_of(t), t.label) for t in _recent_terms()
    ]
    if policy.can(current_user, "filter_returns_by_partnership"):
        form.partnership.choices = [("", "Any partnership")] + [
            (p.code, p.code) for p in db.session.scalars(policy.partnerships_for(current_user))
        ]
    else:
        del form.partnership
    if policy.can(current_user, "filter_returns_by_provider"):
        used = policy.placements_for(current_user).with_only_columns(Placement.provider_id)
        providers = (
            select(Provider).where(Provider.id.in_(used.order_by(None))).order_by(Provider.name)
        )
        form.provider.choices = [("", "Any provider")] + [
            (str(p.id), p.name) for p in db.session.scalars(providers)
        ]
    else:
        del form.provider


# --- the provider's form ------------------------------------------------------------------------


def _placement_in_term(placement_id: int, term: Term) -> Placement:
    stmt = (
        policy.placements_for(current_user)
        .where(services.active_in(term))
        .options(
            joinedload(Placement.pupil).joinedload(Pupil.school),
            joinedload(Placement.provider),
            selectinload(Placement.targets),
        )
    )
    return policy.get_or_404(stmt, id=placement_id)


def _fill_form(form, ret: TermlyReturn) -> None:
    for name in services.FIELDS:
        value = getattr(ret, name)
        form[name].data = value.value if hasattr(value, "value") else value
    for item in ret.progress:
        if f"progress_{item.target_id}" in form:
            form[f"progress_{item.target_id}"].data = item.progress.value if item.progress else None
            form[f"comment_{item.target_id}"].data = item.comment


def _return_in(form, placement: Placement) -> services.ReturnIn:
    """What the form says; only the placement's own targets are read, whatever else is sent."""
    data = services.ReturnIn(
        **{name: form[name].data for name in services.COUNTS},
        behaviour=Behaviour(form.behaviour.data) if form.behaviour.data else None,
        accreditation_status=(
            AccreditationStatus(form.accreditation_status.data)
            if form.accreditation_status.data
            else None
        ),
        **{name: form[name].data or "" for name in ("qualification", "level", *services.TEXTS)},
    )
    for target in placement.targets:
        choice = form[f"progress_{target.id}"].data
        data.progress.append(
            services.ProgressIn(
                target.id,
                Progress(choice) if choice else None,
                form[f"comment_{target.id}"].data or "",
            )
        )
    return data


def _show_problems(form, placement: Placement, data: services.ReturnIn, submit: bool) -> bool:
    """Every broken rule next to its field; True when there were any."""
    found = services.problems(placement, data, submitting=submit)
    for problem in found:
        rules.show_error(form, problem)
    return bool(found)


@bp.route("/placements/<int:placement_id>/returns/<term_key>", methods=["GET", "POST"])
@policy.role_required(Role.PROVIDER)
def form(placement_id: int, term_key: str):
    term = _term(term_key)
    placement = _placement_in_term(placement_id, term)
    policy.require(current_user, "send_return", placement)
    ret = services.find(placement, term)
    if ret is not None and not policy.can(current_user, "edit", ret):
        return redirect(url_for("returns.detail", return_id=ret.id))
    form = add_target_fields(ReturnForm, [t.id for t in placement.targets])()
    if request.method == "GET" and ret is not None:
        _fill_form(form, ret)
    if form.validate_on_submit():
        submit = bool(form.submit.data)
        data = _return_in(form, placement)
        if not _show_problems(form, placement, data, submit):
            result = _apply(
                form,
                lambda: services.save_return(current_user, placement, term, data, submit=submit),
            )
            if result is not FAILED:
                flash("Return submitted." if submit else "Draft saved.", "success")
                return redirect(url_for("returns.index", term=services.key_of(term)))
    return render_template(
        "returns/form.html", form=form, placement=placement, term=term, ret=ret, year=term.year
    )


# --- a return's page and its review -------------------------------------------------------------


def _return(return_id: int) -> TermlyReturn:
    stmt = policy.returns_for(current_user).options(
        joinedload(TermlyReturn.placement)
        .joinedload(Placement.pupil)
        .joinedload(Pupil.school)
        .joinedload(School.partnership),
        joinedload(TermlyReturn.placement).joinedload(Placement.provider),
        joinedload(TermlyReturn.placement).selectinload(Placement.targets),
        selectinload(TermlyReturn.progress),
        selectinload(TermlyReturn.versions),
    )
    return policy.get_or_404(stmt, id=return_id)


def _detail(ret: TermlyReturn, review_form: ReviewForm, status: int = 200):
    term = terms.calendar().term(ret.term_year, ret.term_season)
    return render_template(
        "returns/detail.html", ret=ret, placement=ret.placement, term=term, form=review_form
    ), status


@bp.route("/returns/<int:return_id>")
@policy.role_required(*READERS)
def detail(return_id: int):
    ret = _return(return_id)
    services.record_view(current_user, ret)
    db.session.commit()
    return _detail(ret, ReviewForm(formdata=None))


@bp.route("/returns/<int:return_id>/review", methods=["POST"])
@policy.role_required(Role.ADMIN, Role.STAFF)
def review(return_id: int):
    ret = _return(return_id)
    policy.require(current_user, "review", ret)
    form = ReviewForm()
    if form.validate_on_submit():
        accept = bool(form.accept.data)
        result = _apply(
            form,
            lambda: services.review_return(
                current_user, ret, accept=accept, comment=form.comment.data or ""
            ),
        )
        if result is not FAILED:
            flash("Return accepted." if accept else "Change asked of the provider.", "success")
            return redirect(url_for("returns.detail", return_id=ret.id))
    return _detail(ret, form, 400)


# --- the spreadsheet ----------------------------------------------------------------------------


def _own_placements():
    return policy.placements_for(current_user).order_by(None)


@bp.route("/returns/template.<any(xlsx, csv):fmt>")
@policy.role_required(Role.PROVIDER)
def template(fmt: str):
    term = _term(request.args.get("term"))
    rows = spreadsheet.template_rows(_own_placements(), term)
    services.record_template_download(current_user, term, len(rows))
    db.session.commit()
    name = f"returns-{services.key_of(term)}.{fmt}"
    if fmt == "xlsx":
        data, mimetype = spreadsheet.build_xlsx(rows, term), spreadsheet.XLSX_TYPE
    else:
        data, mimetype = spreadsheet.build_csv(rows, term), "text/csv"
    return current_app.response_class(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/returns/upload", methods=["GET", "POST"])
@policy.role_required(Role.PROVIDER)
def upload():
    term = _term(request.args.get("term"))
    form, errors = UploadForm(), []
    if form.validate_on_submit():
        file = form.spreadsheet.data
        data = file.read() if file and getattr(file, "filename", None) else b""
        try:
            changed, unchanged = spreadsheet.import_upload(
                current_user,
                _own_placements(),
                term,
                data,
                max_bytes=current_app.config.get("RETURNS_UPLOAD_MAX_BYTES", UPLOAD_MAX_BYTES),
            )
        except spreadsheet.ImportRefused as refused:
            db.session.rollback()
            errors = [e.text for e in refused.errors]
        except rules.RuleBroken as refused:
            db.session.rollback()
            errors = [str(refused)]
        else:
            db.session.commit()
            flash(f"{changed} return(s) submitted; {unchanged} unchanged.", "success")
            return redirect(url_for("returns.index", term=services.key_of(term)))
    elif form.errors:
        errors = [message for messages in form.errors.values() for message in messages]
    return render_template(
        "returns/upload.html",
        upload_form=form,
        errors=errors,
        term=term,
        term_key=services.key_of(term),
    ), (400 if errors else 200)


# --- reminders ----------------------------------------------------------------------------------


@bp.cli.command("send-return-reminders")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as if today were this date (YYYY-MM-DD).",
)
def send_return_reminders_command(on) -> None:
    """Queue reminders of overdue termly returns (run daily from cron); each provider is
    reminded once a term."""
    today = on.date() if on else clock.today()
    queued = services.send_reminders(today)
    db.session.commit()
    click.echo(f"Queued {queued} return reminder email(s) for {today.isoformat()}.")
