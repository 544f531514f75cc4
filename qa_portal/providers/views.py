"""The provider register: list and filter, the provider passport, compliance evidence."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from qa_portal import audit, clock, inputs, policy, rules, storage
from qa_portal.accounts.forms import ConfirmForm
from qa_portal.accounts.models import Role
from qa_portal.concerns.models import Concern
from qa_portal.contracts.models import Contract
from qa_portal.db import db
from qa_portal.pagination import count, paginate, paginate_rows
from qa_portal.partnerships.models import Partnership
from qa_portal.placements.services import current_count as current_placements
from qa_portal.providers import services
from qa_portal.providers.compliance import State, active_kinds, assess
from qa_portal.providers.forms import (
    ComplianceKindForm,
    ContactForm,
    ProviderFilterForm,
    ProviderForm,
    StatusForm,
    UploadForm,
    VerifyForm,
)
from qa_portal.providers.models import (
    ComplianceKind,
    Provider,
    ProviderStatus,
    ProviderStatusChange,
    VocationalArea,
)
from qa_portal.registration import services as registration
from qa_portal.visits.models import Visit, VisitStatus

JUDGED = (VisitStatus.SIGNED_OFF, VisitStatus.PUBLISHED)

bp = Blueprint("providers", __name__)

CONTACT_FIELDS = (
    "address",
    "postcode",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
    "dsl_name",
    "dsl_email",
    "dsl_phone",
)

ALL_ROLES = tuple(Role)
WATCHERS = (Role.ADMIN, Role.OFFICER, Role.STAFF)
EDITORS = (Role.ADMIN, Role.STAFF)


# One service call committed, or its broken rule shown next to its field.
_apply, FAILED = rules.apply, rules.FAILED


PER_PAGE = 50  # rows on a page of the register and of the expiring list
AWAITING_SHOWN = 50  # uploads listed as awaiting verification, the longest waiting first
CONTRACTS_SHOWN = 10  # a provider's contracts on its page, the latest ending first
CONCERNS_SHOWN = 10  # open concerns on a provider's page; the list of concerns has them all


@bp.route("/providers")
@policy.role_required(*ALL_ROLES)
def index():
    if policy.can(current_user, "see_section", "own_provider"):
        return redirect(url_for("providers.detail", provider_id=current_user.provider_id))
    form = ProviderFilterForm(request.args)
    form.area.choices = [("", "Any area")] + [
        (str(a.id), a.name)
        for a in db.session.scalars(select(VocationalArea).order_by(VocationalArea.name))
    ]
    form.partnership.choices = [("", "Any partnership")] + [
        (p.code, p.code) for p in db.session.scalars(select(Partnership).order_by(Partnership.code))
    ]
    # A filter that is not one of its choices is shown with its error, the list unfiltered.
    valid = form.validate()
    stmt = services.register_query(
        policy.providers_for(current_user), clock.today(), form.data if valid else {}
    )
    page = paginate(stmt, per_page=PER_PAGE)
    return render_template("providers/index.html", form=form, page=page, State=State), (
        200 if valid else 400
    )


def _area_choices(form: ProviderForm) -> None:
    form.vocational_areas.choices = [
        (a.id, a.name)
        for a in db.session.scalars(select(VocationalArea).order_by(VocationalArea.name))
    ]


def _provider_fields(form: ProviderForm) -> dict:
    fields = {
        name: getattr(form, name).data
        for name in (
            "name",
            "age_from",
            "age_to",
            "capacity",
            "transports_pupils",
            "ofsted_urn",
            "ofsted_inspection_date",
            "lebc_check_date",
        )
    }
    for name in (*CONTACT_FIELDS, "ofsted_link"):
        fields[name] = getattr(form, name).data or ""
    fields["ofsted_registered"] = form.ofsted_registered.data == "yes"
    fields["ofsted_registration_type"] = form.ofsted_registration_type.data or None
    for name in ("ofsted_judgement", "ofsted_inspection_kind", *services.REPORT_CARD_FIELDS):
        fields[name] = getattr(form, name).data or None
    return fields


def _chosen_areas(form: ProviderForm) -> list[VocationalArea]:
    ids = form.vocational_areas.data or []
    return list(db.session.scalars(select(VocationalArea).where(VocationalArea.id.in_(ids))))


@bp.route("/providers/new", methods=["GET", "POST"])
@policy.role_required(*EDITORS)
def new():
    form = ProviderForm()
    _area_choices(form)
    if (
        form.validate_on_submit()
        and (
            provider := _apply(
                form,
                lambda: services.create_provider(
                    current_user, _provider_fields(form), _chosen_areas(form)
                ),
            )
        )
        is not FAILED
    ):
        flash(f"{provider.name} added to the register.", "success")
        return redirect(url_for("providers.detail", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=None)


def _provider_page(provider_id: int) -> Provider:
    """The provider in scope, with everything its page shows about it loaded at once."""
    stmt = policy.providers_for(current_user).options(
        selectinload(Provider.vocational_areas),
        selectinload(Provider.partnerships),
        selectinload(Provider.status_history).joinedload(ProviderStatusChange.changed_by),
    )
    return policy.get_or_404(stmt, id=provider_id)


def _detail_context(provider: Provider, status_form: StatusForm | None = None) -> dict:
    """Everything the provider's page shows: the one way to render it, on a first visit or
    again with a refused form's errors."""
    visits = db.session.scalars(
        policy.visits_for(current_user).where(Visit.provider_id == provider.id)
    ).all()
    # Current ratings: the judgements of the latest signed-off visit this user may read.
    latest = next((v for v in visits if v.status in JUDGED), None)
    return {
        **_contracts_context(provider),
        "registration_flag": (
            registration.flag_for(provider, clock.today())
            if policy.can(current_user, "see_registration_flag", provider)
            else None
        ),
        "current_placements": (
            current_placements(provider, clock.today())
            if policy.can(current_user, "count_placements", provider)
            else None
        ),
        "provider": provider,
        "compliance": assess(provider, clock.today()),
        "status_form": status_form or StatusForm(),
        "usage_form": ConfirmForm(),
        "visits": visits,
        "latest": latest,
        "judgements": {j.area_id: j for j in latest.judgements} if latest else {},
        "concerns": _open_concerns(provider),
    }


def _contracts_context(provider: Provider) -> dict:
    """The provider's contracts that this user may see (policy's `contracts_for`)."""
    if not policy.can(current_user, "see_section", "contracts"):
        return {"contracts": None, "contracts_total": 0}
    stmt = (
        policy.contracts_for(current_user)
        .where(Contract.provider_id == provider.id)
        .options(joinedload(Contract.partnership), joinedload(Contract.school))
        .order_by(None)
        .order_by(Contract.end_date.desc(), Contract.id.desc())
    )
    return {
        "contracts": db.session.scalars(stmt.limit(CONTRACTS_SHOWN)).all(),
        "contracts_total": count(stmt),
        "today": clock.today(),
    }


def _open_concerns(provider: Provider) -> dict | None:
    """The open concerns about the provider that this user may read, the latest first, and
    how many there are; None for those who see no concerns (the provider itself)."""
    if not policy.can(current_user, "see_section", "concerns"):
        return None
    stmt = policy.concerns_for(current_user).where(
        Concern.provider_id == provider.id, Concern.resolved_at.is_(None)
    )
    shown = db.session.scalars(
        stmt.options(joinedload(Concern.raised_by)).limit(CONCERNS_SHOWN)
    ).all()
    return {"shown": shown, "total": count(stmt)}


@bp.route("/providers/<int:provider_id>")
@policy.role_required(*ALL_ROLES)
def detail(provider_id: int):
    return render_template("providers/detail.html", **_detail_context(_provider_page(provider_id)))


@bp.route("/providers/<int:provider_id>/edit", methods=["GET", "POST"])
@policy.role_required(*ALL_ROLES)
def edit(provider_id: int):
    stmt = policy.providers_for(current_user).options(selectinload(Provider.vocational_areas))
    provider = policy.get_or_404(stmt, id=provider_id)
    full = policy.can(current_user, "edit", provider)
    if not full:
        policy.require(current_user, "edit_contact", provider)
    form = (ProviderForm if full else ContactForm)(obj=provider)
    if full:
        _area_choices(form)
        if request.method == "GET":
            form.vocational_areas.data = [a.id for a in provider.vocational_areas]
            form.ofsted_registered.data = "yes" if provider.ofsted_registered else "no"
    if form.validate_on_submit():
        fields = (
            _provider_fields(form)
            if full
            else {name: (getattr(form, name).data or "") for name in CONTACT_FIELDS}
        )
        areas = _chosen_areas(form) if full else None
        if (
            _apply(form, lambda: services.update_provider(current_user, provider, fields, areas))
            is not FAILED
        ):
            flash("Changes saved.", "success")
            return redirect(url_for("providers.detail", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=provider, full=full)


@bp.route("/providers/<int:provider_id>/status", methods=["POST"])
@policy.role_required(*EDITORS)
def change_status(provider_id: int):
    provider = _provider_page(provider_id)
    policy.require(current_user, "change_status", provider)
    form = StatusForm()
    if (
        form.validate_on_submit()
        and _apply(
            form,
            lambda: services.change_status(
                current_user,
                provider,
                ProviderStatus(form.status.data),
                form.reason.data,
                form.effective_on.data,
            ),
        )
        is not FAILED
    ):
        flash(f"{provider.name} is now {provider.status.label.lower()}.", "success")
        return redirect(url_for("providers.detail", provider_id=provider.id))
    # A refused change is rolled back, which forgets what was loaded: the page reads it again.
    provider = _provider_page(provider_id)
    return render_template("providers/detail.html", **_detail_context(provider, form)), 400


@bp.route("/providers/<int:provider_id>/usage/<any(add, remove):change>", methods=["POST"])
@policy.role_required(Role.STAFF)
def usage(provider_id: int, change: str):
    provider = policy.get_or_404(policy.providers_for(current_user), id=provider_id)
    policy.require(current_user, "set_usage", provider)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.set_usage(current_user, provider, current_user.partnership, change == "add")
    db.session.commit()
    return redirect(url_for("providers.detail", provider_id=provider.id))


@bp.route("/providers/<int:provider_id>/compliance/new", methods=["GET", "POST"])
@policy.role_required(*ALL_ROLES)
def upload(provider_id: int):
    provider = policy.get_or_404(policy.providers_for(current_user), id=provider_id)
    policy.require(current_user, "upload", provider)
    form = UploadForm()
    kinds = {k.id: k for k in active_kinds()}
    form.kind_id.choices = [(k.id, k.name) for k in kinds.values()]
    if request.method == "GET" and (chosen := inputs.query_id(request.args.get("kind"))):
        form.kind_id.data = chosen
    if not policy.can(current_user, "verify", provider):
        del form.verify_now
    if form.validate_on_submit() and (
        response := _store_upload(form, provider, kinds[form.kind_id.data])
    ):
        return response
    return render_template(
        "providers/upload.html", form=form, provider=provider, kinds=kinds.values()
    )


def _store_upload(form: UploadForm, provider: Provider, kind: ComplianceKind):
    document = form.document.data
    evidence = services.Evidence(
        form.reference.data or "",
        form.issue_date.data,
        form.expiry_date.data,
        form.cover_amount.data,
        form.notes.data or "",
    )
    upload = services.Upload(document.read(), document.filename or "")
    verify_now = bool(getattr(form, "verify_now", None) and form.verify_now.data)
    item = _apply(
        form,
        lambda: services.add_item(
            current_user,
            provider,
            kind,
            evidence,
            upload,
            max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
            verify_now=verify_now,
        ),
    )
    if item is FAILED:
        return None
    flash(
        f"{kind.name} uploaded."
        + ("" if item.verified_at else " It will count once partnership staff verify it."),
        "success",
    )
    return redirect(url_for("providers.detail", provider_id=provider.id))


def _item_in_scope(provider_id: int, item_id: int):
    provider = policy.get_or_404(policy.providers_for(current_user), id=provider_id)
    item = policy.get_or_404(
        policy.compliance_items_for(current_user), id=item_id, provider_id=provider.id
    )
    return provider, item


@bp.route("/providers/<int:provider_id>/compliance/<int:item_id>", methods=["GET", "POST"])
@policy.role_required(*WATCHERS, Role.PROVIDER)
def item(provider_id: int, item_id: int):
    provider, item = _item_in_scope(provider_id, item_id)
    form = VerifyForm()
    if request.method == "POST":
        policy.require(current_user, "verify", provider)
        if (
            form.validate_on_submit()
            and _apply(
                form,
                lambda: services.verify_item(
                    current_user,
                    item,
                    approve=form.decision.data == "verify",
                    note=form.note.data or "",
                ),
            )
            is not FAILED
        ):
            flash(f"{item.kind.name} {item.status.label.lower()}.", "success")
            return redirect(url_for("providers.detail", provider_id=provider.id))
    return render_template(
        "providers/item.html",
        provider=provider,
        item=item,
        form=form,
        history=services.history(provider, item.kind),
    )


@bp.route("/providers/<int:provider_id>/compliance/<int:item_id>/document")
@policy.role_required(*WATCHERS, Role.PROVIDER)
def document(provider_id: int, item_id: int):
    provider, item = _item_in_scope(provider_id, item_id)
    policy.require(current_user, "download", provider)
    audit.record(
        "document_downloaded",
        actor=current_user,
        target=item,
        summary=f"{provider.name}: {item.kind.name} downloaded",
    )
    db.session.commit()
    return storage.send_document(
        item.document_key, item.document_name, item.document_type, item.document_size
    )


@bp.route("/compliance/expiring")
@policy.role_required(*WATCHERS)
def expiring():
    scope = request.args.get("scope")
    providers = (
        policy.watched_providers_for(current_user)
        if scope != "all"
        else policy.providers_for(current_user).where(Provider.status != ProviderStatus.CLOSED)
    )
    today = clock.today()
    page = paginate_rows(services.attention_query(providers, today), per_page=PER_PAGE)
    page.items = services.attention_rows(page.items, today)
    awaiting = services.awaiting_query(providers)
    return render_template(
        "providers/expiring.html",
        page=page,
        awaiting=db.session.scalars(awaiting.limit(AWAITING_SHOWN)).all(),
        awaiting_total=count(awaiting),
        scope=scope,
        State=State,
    )


@bp.route("/admin/compliance-kinds")
@policy.role_required(Role.ADMIN)
def kinds():
    stmt = select(ComplianceKind).order_by(ComplianceKind.position, ComplianceKind.name)
    return render_template("providers/kinds.html", page=paginate(stmt, per_page=100))


KIND_FIELDS = (
    "name",
    "code",
    "guidance",
    "requirement",
    "expires",
    "needs_cover_amount",
    "min_cover_amount",
    "position",
    "active",
)


@bp.route("/admin/compliance-kinds/new", methods=["GET", "POST"])
@bp.route("/admin/compliance-kinds/<int:kind_id>/edit", methods=["GET", "POST"])
@policy.role_required(Role.ADMIN)
def edit_kind(kind_id: int | None = None):
    kind = db.get_or_404(ComplianceKind, kind_id) if kind_id else None
    form = ComplianceKindForm(obj=kind)
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in KIND_FIELDS}
        saved = _apply(form, lambda: services.save_kind(current_user, kind, fields))
        if saved is not FAILED:
            flash(f"{saved.name} saved.", "success")
            return redirect(url_for("providers.kinds"))
    return render_template("providers/kind_form.html", form=form, kind=kind)
