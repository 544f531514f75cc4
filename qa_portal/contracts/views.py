"""The contract register: list and filter, a contract's page and its signed document, adding
and changing contracts."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from qa_portal import audit, clock, inputs, policy, rules, storage
from qa_portal.accounts.models import Role
from qa_portal.contracts import services
from qa_portal.contracts.forms import ContractFilterForm, ContractForm
from qa_portal.contracts.models import Contract, ContractState, RateUnit
from qa_portal.db import db
from qa_portal.pagination import count, paginate
from qa_portal.partnerships.models import Partnership, School
from qa_portal.providers.models import Provider
from qa_portal.providers.services import Upload

bp = Blueprint("contracts", __name__)

ALL_ROLES = tuple(Role)
EDITORS = (Role.ADMIN, Role.STAFF)
PER_PAGE = 50

_apply, FAILED = rules.apply, rules.FAILED


@bp.route("/contracts")
@policy.role_required(*ALL_ROLES)
def index():
    form = ContractFilterForm(request.args)
    if policy.can(current_user, "filter_contracts_by_partnership"):
        form.partnership.choices = [("", "Any partnership")] + [
            (p.code, p.code) for p in db.session.scalars(policy.partnerships_for(current_user))
        ]
    else:
        del form.partnership
    # A filter that is not one of its choices is shown with its error, the list unfiltered.
    valid = form.validate()
    filters = {**form.data, "provider": form.provider_id} if valid else {}
    scope, today = policy.contracts_for(current_user), clock.today()
    page = paginate(services.register_query(scope, today, filters), per_page=PER_PAGE)
    provider = None
    if filters.get("provider"):
        provider = db.session.scalars(
            policy.providers_for(current_user).where(Provider.id == filters["provider"])
        ).first()
    return render_template(
        "contracts/index.html",
        form=form,
        page=page,
        today=today,
        provider=provider,
        ending=count(services.ending_soon(scope, today)),
        ENDING=ContractState.ENDING,
    ), (200 if valid else 400)


def _contract_page(contract_id: int) -> Contract:
    stmt = policy.contracts_for(current_user).options(
        joinedload(Contract.provider),
        joinedload(Contract.partnership),
        joinedload(Contract.school),
        joinedload(Contract.document_uploaded_by),
    )
    return policy.get_or_404(stmt, id=contract_id)


@bp.route("/contracts/<int:contract_id>")
@policy.role_required(*ALL_ROLES)
def detail(contract_id: int):
    contract = _contract_page(contract_id)
    return render_template(
        "contracts/detail.html", contract=contract, state=contract.state(clock.today())
    )


def _choices(form: ContractForm, contract: Contract | None) -> None:
    """The parties the user may choose, all from policy's scoped queries; staff keep their own
    partnership (or the contract's), which is then no choice."""
    providers = db.session.scalars(policy.contract_providers_for(current_user)).all()
    if contract is not None and contract.provider not in providers:
        providers = [contract.provider, *providers]
    form.provider_id.choices = [(p.id, p.name) for p in providers]
    if policy.can(current_user, "choose_contract_partnership"):
        form.partnership_id.choices = [
            (p.id, f"{p.name} ({p.code})")
            for p in db.session.scalars(policy.partnerships_for(current_user))
        ]
    else:
        del form.partnership_id
    form.school_id.choices = [(0, "The partnership itself")] + [
        (s.id, s.name if form.partnership_id is None else f"{s.name} ({s.partnership.code})")
        for s in db.session.scalars(
            policy.schools_for(current_user).options(joinedload(School.partnership))
        )
    ]


def _parties(form: ContractForm, contract: Contract | None):
    """The partnership, school and provider chosen (each one of the form's scoped choices)."""
    if form.partnership_id is not None:
        partnership = db.session.get(Partnership, form.partnership_id.data)
    else:
        partnership = contract.partnership if contract else current_user.partnership
    school = db.session.get(School, form.school_id.data) if form.school_id.data else None
    return partnership, school, db.session.get(Provider, form.provider_id.data)


def _terms(form: ContractForm) -> services.Terms:
    return services.Terms(
        reference=form.reference.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        value=form.value.data,
        rate_amount=form.rate_amount.data,
        rate_unit=RateUnit(form.rate_unit.data),
        terms=form.terms.data or "",
    )


def _upload(form: ContractForm) -> Upload | None:
    sent = form.uploaded()
    return Upload(sent.read(), sent.filename or "") if sent else None


@bp.route("/contracts/new", methods=["GET", "POST"])
@policy.role_required(*EDITORS)
def new():
    form = ContractForm()
    _choices(form, None)
    if request.method == "GET" and (chosen := inputs.query_id(request.args.get("provider"))):
        form.provider_id.data = chosen
    if (
        form.validate_on_submit()
        and (
            contract := _apply(
                form,
                lambda: services.create_contract(
                    current_user,
                    *_parties(form, None),
                    _terms(form),
                    _upload(form),
                    max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
                ),
            )
        )
        is not FAILED
    ):
        flash(f"Contract {contract.reference} added.", "success")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, contract=None)


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@policy.role_required(*EDITORS)
def edit(contract_id: int):
    contract = _contract_page(contract_id)
    policy.require(current_user, "edit", contract)
    form = ContractForm(obj=contract)
    _choices(form, contract)
    if request.method == "GET":
        form.school_id.data = contract.school_id or 0
    if (
        form.validate_on_submit()
        and _apply(
            form,
            lambda: services.update_contract(
                current_user,
                contract,
                *_parties(form, contract),
                _terms(form),
                _upload(form),
                max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
            ),
        )
        is not FAILED
    ):
        flash(f"Contract {contract.reference} saved.", "success")
        return redirect(url_for("contracts.detail", contract_id=contract.id))
    return render_template("contracts/form.html", form=form, contract=contract)


@bp.route("/contracts/<int:contract_id>/document")
@policy.role_required(*ALL_ROLES)
def document(contract_id: int):
    contract = policy.get_or_404(policy.contracts_for(current_user), id=contract_id)
    policy.require(current_user, "download", contract)
    if not contract.document_key:
        abort(404)
    audit.record(
        "document_downloaded",
        actor=current_user,
        target=contract,
        summary=f"Contract {contract.reference}: signed document downloaded",
    )
    db.session.commit()
    return storage.send_document(
        contract.document_key,
        contract.document_name,
        contract.document_type,
        contract.document_size,
    )
