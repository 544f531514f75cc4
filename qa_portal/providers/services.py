"""Register rules: providers, their status and usage, compliance evidence and reminders."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import PurePath

from sqlalchemy import Select, and_, case, delete, func, insert, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload, with_expression

from qa_portal import audit, images, links, outbox, storage
from qa_portal.accounts.models import Role, User
from qa_portal.db import db, utcnow
from qa_portal.inputs import name_key
from qa_portal.partnerships.models import Partnership
from qa_portal.providers.compliance import (
    State,
    assess,
    assess_kind,
    cover_short_sql,
    due_soon_sql,
    expired_sql,
    latest_verified_sql,
    required_sql,
    state_sql,
    states_sql,
)
from qa_portal.providers.models import (
    CONCERNING_GRADES,
    CONCERNING_JUDGEMENTS,
    OFSTED_AREAS,
    ComplianceItem,
    ComplianceKind,
    ItemStatus,
    OfstedInspectionKind,
    OfstedSafeguarding,
    Provider,
    ProviderStatus,
    ProviderStatusChange,
    ReminderSent,
    Requirement,
    VocationalArea,
    provider_partnerships,
    provider_vocational_areas,
)
from qa_portal.rules import RuleBroken

URN_PATTERN = re.compile(r"^(\d{6,7}|(EY|SC)\d{6})$")
DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
REMINDER_STAGES = (30, 7, 0)


class RegisterError(RuleBroken):
    """A rule of this area was broken."""


# --- providers -------------------------------------------------------------------------------


def normalise_urn(urn: str | None) -> str | None:
    urn = (urn or "").strip().upper().replace(" ", "")
    return urn or None


def check_provider_fields(fields: dict, provider_id: int | None = None) -> dict:
    """Validate the cross-field rules; returns the fields ready to store."""
    fields = dict(fields)
    fields["name"] = fields["name"].strip()
    name_clash = select(Provider.id).where(Provider.name_key == name_key(fields["name"]))
    urn = normalise_urn(fields.get("ofsted_urn"))
    if provider_id is not None:
        name_clash = name_clash.where(Provider.id != provider_id)
    if db.session.scalar(name_clash) is not None:
        raise RegisterError("A provider with this name is already on the register", "name")
    if not fields.get("ofsted_registered"):
        urn = None
    elif urn is None:
        raise RegisterError("Enter the Ofsted URN of a registered provider", "ofsted_urn")
    elif not URN_PATTERN.match(urn):
        raise RegisterError(
            "Enter the URN as Ofsted shows it: 6 or 7 digits, or EY or SC and 6 digits",
            "ofsted_urn",
        )
    else:
        clash = select(Provider.name).where(Provider.ofsted_urn == urn)
        if provider_id is not None:
            clash = clash.where(Provider.id != provider_id)
        if (other := db.session.scalar(clash)) is not None:
            raise RegisterError(f"URN {urn} is already registered to {other}", "ofsted_urn")
    fields["ofsted_urn"] = urn
    check_inspection(fields)
    if fields.get("age_from") and fields.get("age_to") and fields["age_from"] > fields["age_to"]:
        raise RegisterError("The youngest age must not be above the oldest age", "age_to")
    return fields


# Ofsted began inspecting under report cards on 10 November 2025.
REPORT_CARDS_FROM = date(2025, 11, 10)
REPORT_CARD_FIELDS = (*(column for column, _ in OFSTED_AREAS), "ofsted_safeguarding")


def check_inspection(fields: dict) -> None:
    """The latest inspection is one kind or the other: a report card needs its date, every
    area's grade and the safeguarding finding; the other kind's fields are cleared."""
    kind = fields["ofsted_inspection_kind"] = _inspection_kind(fields)
    if kind is not OfstedInspectionKind.REPORT_CARD:
        fields.update(dict.fromkeys(REPORT_CARD_FIELDS))
        return
    fields["ofsted_judgement"] = None
    day = fields.get("ofsted_inspection_date")
    if day is None:
        raise RegisterError(
            "Enter the date of the report card inspection", "ofsted_inspection_date"
        )
    if day < REPORT_CARDS_FROM:
        raise RegisterError(
            "Report cards began on 10 November 2025: enter that date or later, "
            "or choose a single overall judgement",
            "ofsted_inspection_date",
        )
    for column, name in OFSTED_AREAS:
        if not fields.get(column):
            raise RegisterError(f"Choose the report card's grade for {name.lower()}", column)
    if not fields.get("ofsted_safeguarding"):
        raise RegisterError("Say whether safeguarding was met", "ofsted_safeguarding")


def _inspection_kind(fields: dict) -> OfstedInspectionKind | None:
    """The kind chosen; when none is, the kind whose fields were filled in."""
    if kind := fields.get("ofsted_inspection_kind"):
        return OfstedInspectionKind(kind)
    if any(fields.get(name) for name in REPORT_CARD_FIELDS):
        return OfstedInspectionKind.REPORT_CARD
    if fields.get("ofsted_judgement"):
        return OfstedInspectionKind.JUDGEMENT
    return None


def create_provider(actor: User, fields: dict, areas: list[VocationalArea]) -> Provider:
    fields = check_provider_fields(fields)
    # A partnership's staff add the providers their partnership uses.
    used_by = [actor.partnership] if actor.role is Role.STAFF else []
    provider = Provider(**fields, vocational_areas=areas, partnerships=used_by)
    db.session.add(provider)
    db.session.flush()
    db.session.add(
        ProviderStatusChange(
            provider=provider,
            status=provider.status,
            reason="Added to the register",
            effective_on=utcnow().date(),
            changed_by_id=actor.id,
        )
    )
    audit.record(
        "provider_created",
        actor=actor,
        target=provider,
        summary=f"Added {provider.name} to the register",
    )
    return provider


def update_provider(
    actor: User, provider: Provider, fields: dict, areas: list[VocationalArea] | None = None
) -> dict:
    if "name" in fields:
        fields = check_provider_fields(fields, provider.id)
    diff = audit.changes(provider, fields)
    if areas is not None and {a.id for a in areas} != {a.id for a in provider.vocational_areas}:
        diff["vocational_areas"] = [
            ", ".join(map(str, provider.vocational_areas)),
            ", ".join(map(str, areas)),
        ]
        provider.vocational_areas = areas
    if diff:
        db.session.flush()
        audit.record(
            "provider_changed",
            actor=actor,
            target=provider,
            summary=f"Changed {provider.name}",
            details=diff,
        )
    return diff


def change_status(
    actor: User, provider: Provider, status: ProviderStatus, reason: str, effective_on: date
) -> ProviderStatusChange:
    if not reason.strip():
        raise RegisterError("Enter the reason for the change", "reason")
    if status is provider.status:
        raise RegisterError(f"The provider is already {status.label.lower()}", "status")
    change = ProviderStatusChange(
        provider=provider,
        status=status,
        reason=reason.strip(),
        effective_on=effective_on,
        changed_by_id=actor.id,
    )
    old, provider.status = provider.status, status
    db.session.add(change)
    db.session.flush()
    audit.record(
        "provider_status_changed",
        actor=actor,
        target=provider,
        summary=f"{provider.name}: {old.label} → {status.label}",
        details={"status": [old.value, status.value], "reason": reason.strip()},
    )
    return change


def set_usage(actor: User, provider: Provider, partnership: Partnership, uses: bool) -> None:
    """Record whether a partnership places pupils with this provider."""
    link = provider_partnerships
    db.session.execute(
        delete(link).where(
            link.c.provider_id == provider.id, link.c.partnership_id == partnership.id
        )
    )
    if uses:
        db.session.execute(
            insert(link).values(provider_id=provider.id, partnership_id=partnership.id)
        )
    db.session.expire(provider, ["partnerships"])
    audit.record(
        "provider_usage_changed",
        actor=actor,
        target=provider,
        summary=f"{partnership.code} {'uses' if uses else 'no longer uses'} {provider.name}",
    )


# --- compliance evidence ---------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str


@dataclass(frozen=True)
class Evidence:
    reference: str
    issue_date: date | None
    expiry_date: date | None
    cover_amount: int | None
    notes: str = ""


def check_evidence(kind: ComplianceKind, evidence: Evidence) -> None:
    if kind.expires and evidence.expiry_date is None:
        raise RegisterError("Enter the expiry or review date", "expiry_date")
    if evidence.issue_date and evidence.expiry_date and evidence.expiry_date < evidence.issue_date:
        raise RegisterError("The expiry date must be on or after the issue date", "expiry_date")
    if kind.needs_cover_amount and not evidence.cover_amount:
        raise RegisterError("Enter the amount of cover in pounds", "cover_amount")


def add_item(
    actor: User,
    provider: Provider,
    kind: ComplianceKind,
    evidence: Evidence,
    upload: Upload,
    *,
    max_bytes: int,
    verify_now: bool = False,
) -> ComplianceItem:
    """Store the document and its record together: neither exists without the other. The same
    file sent again for the same provider and kind (a retried submission) is stored once."""
    check_evidence(kind, evidence)
    digest = hashlib.sha256(upload.data).hexdigest()
    repeat = db.session.scalars(
        select(ComplianceItem).where(
            ComplianceItem.provider_id == provider.id,
            ComplianceItem.kind_id == kind.id,
            ComplianceItem.document_sha256 == digest,
            ComplianceItem.status.in_((ItemStatus.AWAITING_VERIFICATION, ItemStatus.VERIFIED)),
        )
    ).first()
    if repeat is not None:
        return repeat
    content_type, data = _document(upload, max_bytes)
    key = storage.new_key(f"providers/{provider.id}/compliance", EXTENSIONS[content_type])
    storage.put_pending(key, data, content_type)  # removed again if the transaction rolls back
    item = ComplianceItem(
        provider=provider,
        kind=kind,
        reference=evidence.reference.strip(),
        issue_date=evidence.issue_date,
        expiry_date=evidence.expiry_date,
        cover_amount=evidence.cover_amount if kind.needs_cover_amount else None,
        notes=evidence.notes.strip(),
        document_key=key,
        document_name=safe_filename(upload.filename, EXTENSIONS[content_type]),
        document_type=content_type,
        document_size=len(data),
        # Of the file as sent, so that sending it again is recognised as a repeat.
        document_sha256=digest,
        uploaded_by_id=actor.id,
    )
    db.session.add(item)
    db.session.flush()
    audit.record(
        "compliance_uploaded",
        actor=actor,
        target=item,
        summary=f"{provider.name}: {kind.name} uploaded",
    )
    if verify_now:
        verify_item(actor, item, approve=True, note="Checked when uploaded")
    return item


def _document(upload: Upload, max_bytes: int) -> tuple[str, bytes]:
    try:
        return checked_document(upload, max_bytes)
    except storage.UploadRefused as exc:
        raise RegisterError(str(exc), "document") from exc


def checked_document(upload: Upload, max_bytes: int) -> tuple[str, bytes]:
    """The checked upload's type, and the bytes to store: a PDF as it came, an image (a photo
    or scan of the document) decoded and re-encoded without its metadata, as a photo is. Every
    stored document (compliance evidence, signed contracts) passes here; a refusal is
    `storage.UploadRefused`."""
    content_type = storage.check_upload(upload.data, upload.filename, DOCUMENT_TYPES, max_bytes)
    if content_type == "application/pdf":
        return content_type, upload.data
    return content_type, images.process_document_image(upload.data, content_type).data


def safe_filename(name: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9 ._-]+", "", PurePath(name or "").stem).strip(" .")[:80]
    return f"{stem or 'document'}{extension}"


def verify_item(actor: User, item: ComplianceItem, *, approve: bool, note: str) -> None:
    if item.status is not ItemStatus.AWAITING_VERIFICATION:
        raise RegisterError("This document has already been checked", "note")
    if not approve and not note.strip():
        raise RegisterError("Say why the document is rejected, so the provider can fix it", "note")
    item.verified_by_id, item.verified_at = actor.id, utcnow()
    item.verification_note = note.strip()
    if approve:
        for older in db.session.scalars(
            select(ComplianceItem).where(
                ComplianceItem.provider_id == item.provider_id,
                ComplianceItem.kind_id == item.kind_id,
                ComplianceItem.status == ItemStatus.VERIFIED,
                ComplianceItem.id != item.id,
            )
        ):
            older.status, older.superseded_at = ItemStatus.SUPERSEDED, utcnow()
        db.session.flush()  # before this one counts as verified: one verified item per kind
        item.status = ItemStatus.VERIFIED
    else:
        item.status = ItemStatus.REJECTED
    db.session.flush()
    audit.record(
        "compliance_verified" if approve else "compliance_rejected",
        actor=actor,
        target=item,
        summary=f"{item.provider.name}: {item.kind.name} {'verified' if approve else 'rejected'}",
        details={"note": note.strip()},
    )


def history(provider: Provider, kind: ComplianceKind) -> list[ComplianceItem]:
    return list(
        db.session.scalars(
            select(ComplianceItem)
            .where(ComplianceItem.provider_id == provider.id, ComplianceItem.kind_id == kind.id)
            .order_by(ComplianceItem.id.desc())
        )
    )


def save_kind(actor: User, kind: ComplianceKind | None, fields: dict) -> ComplianceKind:
    clash = select(ComplianceKind.id).where(
        (func.lower(ComplianceKind.name) == fields["name"].strip().lower())
        | (ComplianceKind.code == fields["code"])
    )
    if kind is not None:
        clash = clash.where(ComplianceKind.id != kind.id)
    if db.session.scalar(clash) is not None:
        raise RegisterError("A kind of document with this name or code already exists", "name")
    fields = {
        **fields,
        "requirement": Requirement(fields["requirement"]),
        "position": fields["position"] if fields["position"] is not None else 100,
    }
    if kind is None:
        kind = ComplianceKind(**fields)
        db.session.add(kind)
        db.session.flush()
        audit.record(
            "compliance_kind_created",
            actor=actor,
            target=kind,
            summary=f"Added document kind {kind.name}",
        )
    elif diff := audit.changes(kind, fields):
        audit.record(
            "compliance_kind_changed",
            actor=actor,
            target=kind,
            summary=f"Changed document kind {kind.name}",
            details=diff,
        )
    return kind


# --- what needs attention --------------------------------------------------------------------


@dataclass(frozen=True)
class Attention:
    provider: Provider
    kind: ComplianceKind
    state: State
    reason: str
    expiry_date: date | None
    days_left: int | None
    awaiting: bool


def attention_query(providers: Select, today: date) -> Select:
    """Every required kind that is missing, short of cover, expired or due soon for the providers
    `providers` selects: rows of (provider, kind, current item or None, awaiting renewal), most
    urgent first - missing first, then the longest expired, then what expires soonest."""
    item, pending = aliased(ComplianceItem), aliased(ComplianceItem)
    missing_or_short = or_(item.id.is_(None), cover_short_sql(item))
    non_compliant = or_(missing_or_short, expired_sql(item, today))
    awaiting = (
        select(pending.id)
        .where(
            pending.provider_id == Provider.id,
            pending.kind_id == ComplianceKind.id,
            pending.status == ItemStatus.AWAITING_VERIFICATION,
        )
        .exists()
    )
    in_scope = providers.with_only_columns(Provider.id).order_by(None)
    return (
        select(Provider, ComplianceKind, item, awaiting.label("awaiting"))
        .join(ComplianceKind, and_(ComplianceKind.active, required_sql()))
        .outerjoin(item, latest_verified_sql(item))
        .where(Provider.id.in_(in_scope), or_(non_compliant, due_soon_sql(item, today)))
        .order_by(
            case((non_compliant, 0), else_=1),
            case((missing_or_short, 0), else_=1),
            case((missing_or_short, None), else_=item.expiry_date),
            Provider.name,
            ComplianceKind.position,
            ComplianceKind.id,
        )
    )


def attention_rows(rows, today: date) -> list[Attention]:
    """The rows of `attention_query`, worded by the rule that picked them (`assess_kind`)."""
    result = []
    for provider, kind, item, awaiting in rows:
        status = assess_kind(kind, provider, item, None, today)
        expiry = item.expiry_date if item else None
        result.append(
            Attention(
                provider, kind, status.state, status.reason, expiry, status.days_left, awaiting
            )
        )
    return result


def needing_attention(providers: list[Provider], today: date) -> list[Attention]:
    """Every required item that is missing, expired or due soon, most urgent first."""
    ids = [p.id for p in providers]
    stmt = attention_query(select(Provider).where(Provider.id.in_(ids)), today)
    return attention_rows(db.session.execute(stmt).all(), today)


def awaiting_query(providers: Select) -> Select:
    """Uploads of these providers waiting to be checked, the longest waiting first."""
    in_scope = providers.with_only_columns(Provider.id).order_by(None)
    return (
        select(ComplianceItem)
        .options(joinedload(ComplianceItem.provider), joinedload(ComplianceItem.kind))
        .where(
            ComplianceItem.provider_id.in_(in_scope),
            ComplianceItem.status == ItemStatus.AWAITING_VERIFICATION,
        )
        .order_by(ComplianceItem.created_at, ComplianceItem.id)
    )


def awaiting_verification(providers: list[Provider]) -> list[ComplianceItem]:
    ids = [p.id for p in providers]
    return list(db.session.scalars(awaiting_query(select(Provider).where(Provider.id.in_(ids)))))


# --- the register list -----------------------------------------------------------------------


def _concerning_report_card():
    return or_(
        Provider.ofsted_safeguarding == OfstedSafeguarding.NOT_MET,
        *(getattr(Provider, column).in_(CONCERNING_GRADES) for column, _ in OFSTED_AREAS),
    )


# The register's Ofsted filters: whichever kind the latest inspection was.
OFSTED_FILTERS = {
    "report_card": lambda: Provider.ofsted_inspection_kind == OfstedInspectionKind.REPORT_CARD,
    "report_card_concern": lambda: and_(
        Provider.ofsted_inspection_kind == OfstedInspectionKind.REPORT_CARD,
        _concerning_report_card(),
    ),
    "judgement": lambda: Provider.ofsted_inspection_kind == OfstedInspectionKind.JUDGEMENT,
    "judgement_concern": lambda: and_(
        Provider.ofsted_inspection_kind == OfstedInspectionKind.JUDGEMENT,
        Provider.ofsted_judgement.in_(CONCERNING_JUDGEMENTS),
    ),
}


def register_query(providers: Select, today: date, filters: dict) -> Select:
    """The register as one query to page through: each provider with its compliance state
    (`Provider.compliance_state`), areas and partnerships; filtered and sorted in SQL.
    `filters` are the filter form's checked data."""
    stmt = providers.options(
        with_expression(Provider.compliance_state, state_sql(today)),
        selectinload(Provider.vocational_areas),
        selectinload(Provider.partnerships),
    ).execution_options(populate_existing=True)
    by_state = filters.get("sort") == "state"
    if by_state or filters.get("compliance"):
        # Filtering or sorting by state needs every provider's: one grouped join for all.
        states = states_sql(today)
        state = func.coalesce(states.c.state, int(State.COMPLIANT))
        stmt = stmt.outerjoin(states, states.c.provider_id == Provider.id)
    if q := filters.get("q"):
        stmt = stmt.where(func.lower(Provider.name).contains(q.lower(), autoescape=True))
    if area := filters.get("area"):
        stmt = stmt.where(
            Provider.id.in_(
                select(provider_vocational_areas.c.provider_id).where(
                    provider_vocational_areas.c.area_id == int(area)
                )
            )
        )
    if code := filters.get("partnership"):
        stmt = stmt.where(
            Provider.id.in_(
                select(provider_partnerships.c.provider_id)
                .join(Partnership)
                .where(Partnership.code == code)
            )
        )
    if status := filters.get("status"):
        stmt = stmt.where(Provider.status == ProviderStatus(status))
    if compliance := filters.get("compliance"):
        stmt = stmt.where(state == int(compliance))
    if ofsted := filters.get("ofsted"):
        stmt = stmt.where(OFSTED_FILTERS[ofsted]())
    if by_state:
        stmt = stmt.order_by(None).order_by(state.desc(), Provider.name, Provider.id)
    return stmt


# --- reminders -------------------------------------------------------------------------------


def _stage(days_left: int) -> int | None:
    """The reminder due for an expiry this many days away: 30, 7 or 0 (the day it lapses)."""
    for stage in sorted(REMINDER_STAGES):
        if days_left <= stage:
            return stage
    return None


def _recipients(provider: Provider) -> list[str]:
    partnership_ids = [p.id for p in provider.partnerships]
    stmt = (
        select(User.email)
        .where(
            User.disabled_at.is_(None),
            or_(User.provider_id == provider.id, User.partnership_id.in_(partnership_ids)),
        )
        .order_by(User.email)
    )
    return list(db.session.scalars(stmt))


def send_reminders(today: date) -> int:
    """Queue each due reminder once; a stage missed while the job did not run is not resent
    after a more urgent one. Returns how many emails were queued."""
    horizon = today + timedelta(days=max(REMINDER_STAGES))
    items = db.session.scalars(
        select(ComplianceItem)
        .join(Provider)
        .where(
            ComplianceItem.status == ItemStatus.VERIFIED,
            ComplianceItem.expiry_date.is_not(None),
            ComplianceItem.expiry_date <= horizon,
            Provider.status != ProviderStatus.CLOSED,
        )
        .options(
            # Each reminder names the provider and goes to the partnerships that use it.
            contains_eager(ComplianceItem.provider).selectinload(Provider.partnerships),
            joinedload(ComplianceItem.kind),
        )
    ).all()
    sent_stages = {
        (r.item_id, r.stage)
        for r in db.session.scalars(
            select(ReminderSent).where(ReminderSent.item_id.in_([i.id for i in items] or [0]))
        )
    }
    queued = 0
    for item in items:
        days_left = (item.expiry_date - today).days
        stage = _stage(days_left)
        if stage is None or any((item.id, s) in sent_stages for s in REMINDER_STAGES if s <= stage):
            continue
        for s in REMINDER_STAGES:
            if s >= stage and (item.id, s) not in sent_stages:
                db.session.add(ReminderSent(item_id=item.id, stage=s, sent_on=today))
        for email in _recipients(item.provider):
            outbox.queue(email, _reminder_subject(item, days_left), _reminder_body(item, days_left))
            queued += 1
    db.session.flush()
    return queued


def _reminder_subject(item: ComplianceItem, days_left: int) -> str:
    if days_left <= 0:
        return f"Lapsed: {item.kind.name} for {item.provider.name}"
    return f"{item.kind.name} for {item.provider.name} expires in {days_left} days"


def _reminder_body(item: ComplianceItem, days_left: int) -> str:
    when = item.expiry_date.strftime("%-d %B %Y")
    status = (
        "has lapsed"
        if days_left < 0
        else ("lapses today" if days_left == 0 else f"expires on {when}")
    )
    return (
        f"The {item.kind.name} of {item.provider.name} (reference {item.reference or 'none'}) "
        f"{status}.\n\nThe provider should upload the renewed document on the AP QA Portal; "
        "partnership staff then verify it. Until then the provider shows as "
        f"{'non-compliant' if days_left < 0 else 'due soon'} on the register.\n\n"
        f"{links.external('providers.detail', provider_id=item.provider_id)}\n"
    )


def assessed_state(provider: Provider, today: date) -> State:
    return assess(provider, today).state
