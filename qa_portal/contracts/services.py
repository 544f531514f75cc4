"""Contract rules: who commissions it, its reference, dates and money, its signed document,
where it stands today, and the register's query."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import joinedload

from qa_portal import audit, storage
from qa_portal.accounts.models import User
from qa_portal.contracts.models import (
    ENDING_WITHIN_DAYS,
    Contract,
    ContractState,
    RateUnit,
)
from qa_portal.db import db, utcnow
from qa_portal.inputs import name_key
from qa_portal.partnerships.models import Partnership, School
from qa_portal.providers.models import Provider
from qa_portal.providers.services import (
    EXTENSIONS,
    Upload,
    checked_document,
    safe_filename,
)
from qa_portal.rules import RuleBroken


class ContractError(RuleBroken):
    """A rule of contracts was broken."""


@dataclass(frozen=True)
class Terms:
    """What a person enters about a contract (the parties are passed as records)."""

    reference: str
    start_date: date
    end_date: date
    value: Decimal
    rate_amount: Decimal
    rate_unit: RateUnit
    terms: str = ""


def check(partnership: Partnership, school: School | None, terms: Terms, contract_id=None):
    """The rules across fields, with the message for the field each concerns."""
    if school is not None and school.partnership_id != partnership.id:
        raise ContractError(
            f"{school.name} is not a member school of {partnership.code}", "school_id"
        )
    reference = terms.reference.strip()
    if not reference:
        raise ContractError("Enter the contract's reference", "reference")
    clash = select(Contract.id).where(
        Contract.partnership_id == partnership.id,
        Contract.reference_key == name_key(reference),
    )
    if contract_id is not None:
        clash = clash.where(Contract.id != contract_id)
    if db.session.scalar(clash) is not None:
        raise ContractError(
            f"{partnership.code} already has a contract with the reference {reference}",
            "reference",
        )
    if terms.end_date <= terms.start_date:
        raise ContractError("The end date must be after the start date", "end_date")
    if terms.value < 0:
        raise ContractError("The value must be £0 or more", "value")
    if terms.rate_amount < 0:
        raise ContractError("The rate must be £0 or more", "rate_amount")


def _fields(partnership: Partnership, school: School | None, provider: Provider, terms: Terms):
    return {
        "partnership_id": partnership.id,
        "school_id": school.id if school else None,
        "provider_id": provider.id,
        "reference": terms.reference.strip(),
        "start_date": terms.start_date,
        "end_date": terms.end_date,
        "value": terms.value,
        "rate_amount": terms.rate_amount,
        "rate_unit": terms.rate_unit,
        "terms": terms.terms.strip(),
    }


def create_contract(
    actor: User,
    partnership: Partnership,
    school: School | None,
    provider: Provider,
    terms: Terms,
    upload: Upload | None = None,
    *,
    max_bytes: int,
) -> Contract:
    """A new contract, with its signed document when one is sent: both stored or neither."""
    check(partnership, school, terms)
    contract = Contract(**_fields(partnership, school, provider, terms), created_by_id=actor.id)
    db.session.add(contract)
    db.session.flush()
    audit.record(
        "contract_created",
        actor=actor,
        target=contract,
        summary=f"Contract {contract.reference} with {provider.name} added",
    )
    if upload is not None:
        attach_document(actor, contract, upload, max_bytes=max_bytes)
    return contract


def update_contract(
    actor: User,
    contract: Contract,
    partnership: Partnership,
    school: School | None,
    provider: Provider,
    terms: Terms,
    upload: Upload | None = None,
    *,
    max_bytes: int,
) -> dict:
    """Change a contract; returns what changed ({field: [old, new]}), its document included."""
    check(partnership, school, terms, contract.id)
    fields = _fields(partnership, school, provider, terms)
    diff = audit.changes(contract, fields)
    if diff:
        db.session.flush()
        audit.record(
            "contract_changed",
            actor=actor,
            target=contract,
            summary=f"Contract {contract.reference} changed",
            details=diff,
        )
    if upload is not None and attach_document(actor, contract, upload, max_bytes=max_bytes):
        diff["document"] = [None, contract.document_name]
    return diff


def attach_document(actor: User, contract: Contract, upload: Upload, *, max_bytes: int) -> bool:
    """Store the signed document and point the contract at it; the one it replaces is deleted
    once the change is committed. The same file sent again changes nothing (False)."""
    digest = hashlib.sha256(upload.data).hexdigest()
    if contract.document_sha256 == digest:
        return False
    try:
        content_type, data = checked_document(upload, max_bytes)
    except storage.UploadRefused as exc:
        raise ContractError(str(exc), "document") from exc
    extension = EXTENSIONS[content_type]
    key = storage.new_key(f"contracts/{contract.partnership_id}", extension)
    storage.put_pending(key, data, content_type)  # removed again if the transaction rolls back
    if contract.document_key:
        storage.delete_after_commit(contract.document_key)
    contract.document_key = key
    contract.document_name = safe_filename(upload.filename, extension)
    contract.document_type = content_type
    contract.document_size = len(data)
    contract.document_sha256 = digest
    contract.document_uploaded_at = utcnow()
    contract.document_uploaded_by_id = actor.id
    db.session.flush()
    audit.record(
        "contract_document_uploaded",
        actor=actor,
        target=contract,
        summary=f"Contract {contract.reference}: signed document uploaded",
        details={"name": contract.document_name, "size": len(data)},
    )
    return True


# --- where a contract stands, and the register ------------------------------------------------


def state_sql(today: date):
    """`models.state_on` in SQL, for a filter or a sort: the same rule, today as a parameter."""
    horizon = today + timedelta(days=ENDING_WITHIN_DAYS)
    return case(
        (Contract.start_date > today, literal(ContractState.NOT_STARTED.value)),
        (Contract.end_date < today, literal(ContractState.ENDED.value)),
        (Contract.end_date <= horizon, literal(ContractState.ENDING.value)),
        else_=literal(ContractState.CURRENT.value),
    )


def state_condition(state: ContractState, today: date):
    """Contracts in `state` today, as a condition each index on the dates can serve."""
    horizon = today + timedelta(days=ENDING_WITHIN_DAYS)
    started = Contract.start_date <= today
    return {
        ContractState.NOT_STARTED: Contract.start_date > today,
        ContractState.ENDED: and_(started, Contract.end_date < today),
        ContractState.ENDING: and_(
            started, Contract.end_date >= today, Contract.end_date <= horizon
        ),
        ContractState.CURRENT: and_(started, Contract.end_date > horizon),
    }[state]


# The register's order: what ends soonest and still runs first, then what is to come, then
# current contracts by their end, the ended ones last, the latest ended first.
def _order(today: date):
    rank = case(
        (state_condition(ContractState.ENDING, today), 0),
        (state_condition(ContractState.NOT_STARTED, today), 2),
        (state_condition(ContractState.ENDED, today), 3),
        else_=1,
    )
    ended_first = case((Contract.end_date < today, Contract.end_date), else_=None)
    return rank, ended_first.desc(), Contract.end_date, Contract.id


def register_query(contracts: Select, today: date, filters: dict) -> Select:
    """The register as one query to page through, filtered and sorted in SQL; each row's
    provider, partnership and school come in the same query. `filters` are the filter form's
    checked data (partnership code, provider id, state, search text)."""
    stmt = (
        contracts.options(
            joinedload(Contract.provider),
            joinedload(Contract.partnership),
            joinedload(Contract.school),
        )
        .order_by(None)
        .order_by(*_order(today))
    )
    if code := filters.get("partnership"):
        stmt = stmt.where(
            Contract.partnership_id.in_(select(Partnership.id).where(Partnership.code == code))
        )
    if provider_id := filters.get("provider"):
        stmt = stmt.where(Contract.provider_id == provider_id)
    if status := filters.get("status"):
        stmt = stmt.where(state_condition(ContractState(status), today))
    if q := filters.get("q"):
        text = q.lower()
        named = select(Provider.id).where(func.lower(Provider.name).contains(text, autoescape=True))
        stmt = stmt.where(
            or_(
                Contract.reference_key.contains(name_key(q), autoescape=True),
                Contract.provider_id.in_(named),
            )
        )
    return stmt


def ending_soon(contracts: Select, today: date) -> Select:
    """The contracts of `contracts` that run today and end within ENDING_WITHIN_DAYS."""
    return contracts.where(state_condition(ContractState.ENDING, today))
