"""Compliance state: what a provider's current evidence says, kind by kind, on a given day."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from qa_portal.db import db
from qa_portal.providers.models import (
    ComplianceItem,
    ComplianceKind,
    ItemStatus,
    Provider,
    Requirement,
)

DUE_SOON_DAYS = 30


class State(enum.IntEnum):
    """Ordered by urgency, so the worst of several is their max()."""

    COMPLIANT = 0
    DUE_SOON = 1
    NON_COMPLIANT = 2

    @property
    def label(self) -> str:
        return ("Compliant", "Due soon", "Non-compliant")[self.value]

    @property
    def tag(self) -> str:
        return ("green", "yellow", "red")[self.value]


@dataclass
class KindStatus:
    kind: ComplianceKind
    required: bool
    item: ComplianceItem | None  # the current verified evidence
    pending: ComplianceItem | None  # the newest upload awaiting verification
    state: State
    reason: str
    days_left: int | None = None


@dataclass
class ProviderCompliance:
    provider: Provider
    kinds: list[KindStatus] = field(default_factory=list)

    @property
    def state(self) -> State:
        return max((k.state for k in self.kinds if k.required), default=State.COMPLIANT)

    @property
    def problems(self) -> list[KindStatus]:
        return [k for k in self.kinds if k.required and k.state is not State.COMPLIANT]

    @property
    def awaiting(self) -> list[KindStatus]:
        return [k for k in self.kinds if k.pending is not None]


def is_required(kind: ComplianceKind, provider: Provider) -> bool:
    return {
        Requirement.EVERY_PROVIDER: True,
        Requirement.IF_TRANSPORTING: provider.transports_pupils,
        Requirement.IF_OFSTED_REGISTERED: provider.ofsted_registered,
        Requirement.OPTIONAL: False,
    }[kind.requirement]


def assess_kind(
    kind: ComplianceKind,
    provider: Provider,
    item: ComplianceItem | None,
    pending: ComplianceItem | None,
    today: date,
) -> KindStatus:
    required = is_required(kind, provider)
    status = KindStatus(kind, required, item, pending, State.COMPLIANT, "Current")
    if item is None:
        status.state = State.NON_COMPLIANT if required else State.COMPLIANT
        status.reason = "Missing" if required else "Not required"
        return status
    if (
        kind.needs_cover_amount
        and kind.min_cover_amount
        and (item.cover_amount or 0) < kind.min_cover_amount
    ):
        status.state = State.NON_COMPLIANT
        status.reason = f"Cover below the £{kind.min_cover_amount:,} required"
        return status
    if kind.expires and item.expiry_date is not None:
        days = (item.expiry_date - today).days
        status.days_left = days
        if days < 0:
            status.state, status.reason = State.NON_COMPLIANT, f"Expired {_ago(-days)}"
        elif days <= DUE_SOON_DAYS:
            status.state, status.reason = State.DUE_SOON, _expires_in(days)
    return status


def _ago(days: int) -> str:
    return "yesterday" if days == 1 else f"{days} days ago"


def _expires_in(days: int) -> str:
    return {0: "Expires today", 1: "Expires tomorrow"}.get(days, f"Expires in {days} days")


def active_kinds() -> list[ComplianceKind]:
    return list(
        db.session.scalars(
            select(ComplianceKind)
            .where(ComplianceKind.active)
            .order_by(ComplianceKind.position, ComplianceKind.name)
        )
    )


def compliance_for(providers: Iterable[Provider], today: date) -> dict[int, ProviderCompliance]:
    """Assess many providers with two queries: the kinds, and their live items."""
    providers = list(providers)
    kinds = active_kinds()
    ids = [p.id for p in providers]
    current: dict[tuple[int, int], ComplianceItem] = {}
    pending: dict[tuple[int, int], ComplianceItem] = {}
    if ids:
        items = db.session.scalars(
            select(ComplianceItem)
            .where(
                ComplianceItem.provider_id.in_(ids),
                ComplianceItem.status.in_((ItemStatus.VERIFIED, ItemStatus.AWAITING_VERIFICATION)),
            )
            .order_by(ComplianceItem.id)
        )
        for item in items:
            target = current if item.status is ItemStatus.VERIFIED else pending
            target[(item.provider_id, item.kind_id)] = item  # the newest wins
    result: dict[int, ProviderCompliance] = defaultdict()
    for provider in providers:
        assessed = ProviderCompliance(provider)
        for kind in kinds:
            key = (provider.id, kind.id)
            assessed.kinds.append(
                assess_kind(kind, provider, current.get(key), pending.get(key), today)
            )
        result[provider.id] = assessed
    return dict(result)


def assess(provider: Provider, today: date) -> ProviderCompliance:
    return compliance_for([provider], today)[provider.id]


# --- the same rule in SQL, for lists -----------------------------------------------------------
# Each provider's state over its required kinds, from the latest verified item per kind, relative
# to `today` (a parameter): one derived table a list joins, filters, sorts and pages by, so a page
# of the register costs the same at 20 providers and at 20,000.


def required_sql(kind=ComplianceKind, provider=Provider):
    """SQL for `is_required`."""
    return or_(
        kind.requirement == Requirement.EVERY_PROVIDER,
        and_(kind.requirement == Requirement.IF_TRANSPORTING, provider.transports_pupils),
        and_(kind.requirement == Requirement.IF_OFSTED_REGISTERED, provider.ofsted_registered),
    )


def latest_verified_sql(item, provider=Provider, kind=ComplianceKind):
    """SQL for "`item` is the provider's current verified evidence of the kind". Verifying an
    item supersedes the one before, and a unique index keeps it so: at most one per kind."""
    return and_(
        item.provider_id == provider.id,
        item.kind_id == kind.id,
        item.status == ItemStatus.VERIFIED,
    )


def cover_short_sql(item, kind=ComplianceKind):
    return and_(
        kind.needs_cover_amount,
        kind.min_cover_amount.is_not(None),
        func.coalesce(item.cover_amount, 0) < kind.min_cover_amount,
    )


def expired_sql(item, today: date, kind=ComplianceKind):
    return and_(kind.expires, item.expiry_date.is_not(None), item.expiry_date < today)


def due_soon_sql(item, today: date, kind=ComplianceKind):
    return and_(
        kind.expires,
        item.expiry_date.is_not(None),
        item.expiry_date.between(today, today + timedelta(days=DUE_SOON_DAYS)),
    )


def kind_state_sql(item, today: date, kind=ComplianceKind):
    """The `State` of one required kind given its current item (NULL when there is none)."""
    return case(
        (or_(item.id.is_(None), cover_short_sql(item, kind), expired_sql(item, today, kind)), 2),
        (due_soon_sql(item, today, kind), 1),
        else_=0,
    )


def states_sql(today: date):
    """A subquery of (provider_id, state): every provider's `State` as an integer, the worst of
    its required kinds (a provider with none required is compliant: outer-join and coalesce)."""
    item = aliased(ComplianceItem)
    return (
        select(
            Provider.id.label("provider_id"), func.max(kind_state_sql(item, today)).label("state")
        )
        .join(ComplianceKind, and_(ComplianceKind.active, required_sql()))
        .outerjoin(item, latest_verified_sql(item))
        .group_by(Provider.id)
        .subquery("compliance_states")
    )


def state_sql(today: date):
    """One provider's `State` as a correlated scalar subquery: the same rule as `states_sql`,
    cheaper for a page of rows already chosen (it runs once per row shown)."""
    item = aliased(ComplianceItem)
    return (
        select(func.coalesce(func.max(kind_state_sql(item, today)), int(State.COMPLIANT)))
        .select_from(ComplianceKind)
        .outerjoin(item, latest_verified_sql(item))
        .where(ComplianceKind.active, required_sql())
        .correlate(Provider)
        .scalar_subquery()
    )
