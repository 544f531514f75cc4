"""What needs each user today: the list at the top of their home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import url_for
from sqlalchemy import Select, and_, case, func, or_, select, true
from sqlalchemy.orm import aliased, joinedload

from qa_portal import clock, pagination, policy
from qa_portal.accounts.models import AccountToken, Role, TokenPurpose, User
from qa_portal.concerns.models import Concern
from qa_portal.db import db, utcnow
from qa_portal.outbox import OutboxMessage
from qa_portal.partnerships.models import School
from qa_portal.partnerships.services import with_school_counts
from qa_portal.placements.models import Placement
from qa_portal.placements.services import review_counts
from qa_portal.providers.compliance import DUE_SOON_DAYS, State, compliance_for
from qa_portal.providers.models import (
    ComplianceItem,
    ComplianceKind,
    ItemStatus,
    Provider,
    Requirement,
)
from qa_portal.pupils.models import Pupil
from qa_portal.registration import services as registration
from qa_portal.returns import home as returns_home
from qa_portal.visits.models import FollowUpAction, Visit, VisitInvitee, VisitStatus
from qa_portal.visits.services import overdue_providers


@dataclass(frozen=True)
class Need:
    """A count of things waiting, said in words: `what` is "noun|nouns rest of sentence"."""

    what: str
    href: str
    count: int

    @property
    def text(self) -> str:
        noun, _, rest = self.what.partition(" ")
        one, _, many = noun.partition("|")
        return f"{one if self.count == 1 else many} {rest}"


def needs_for(user: User) -> list[Need]:
    builder = _BUILDERS.get(user.role)
    found = builder(user) if builder else []
    found += [Need(*need) for need in returns_home.needs(user)]
    return [need for need in found if need.count]


def _admin_needs(user: User) -> list[Need]:
    now = utcnow()
    live_invitation = (
        select(AccountToken.id)
        .where(
            AccountToken.user_id == User.id,
            AccountToken.purpose == TokenPurpose.INVITATION,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .exists()
    )
    no_password = (
        select(func.count())
        .select_from(User)
        .where(User.password_hash.is_(None), User.disabled_at.is_(None))
    )
    expired = db.session.scalar(no_password.where(~live_invitation))
    waiting = db.session.scalar(no_password.where(live_invitation))
    unsent = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts > 0)
    )
    users = url_for("admin.users", status="invited")
    return [
        Need("user|users whose invitation expired before they set a password", users, expired),
        Need("user|users invited who have not yet set a password", users, waiting),
        Need("email|emails that failed to send", url_for("admin.outbox_list"), unsent),
    ]


def _register_needs(user: User) -> list[Need]:
    watched = policy.watched_providers_for(user)
    non_compliant, due_soon = compliance_counts(watched, clock.today())
    expiring = url_for("providers.expiring")
    awaiting = 0
    if user.role is not Role.OFFICER:
        awaiting = db.session.scalar(
            select(func.count())
            .select_from(ComplianceItem)
            .where(
                ComplianceItem.status == ItemStatus.AWAITING_VERIFICATION,
                ComplianceItem.provider_id.in_(_ids(watched)),
            )
        )
    return [
        Need(
            "provider|providers non-compliant: evidence missing or expired",
            expiring,
            non_compliant,
        ),
        Need("provider|providers with evidence expiring within 30 days", expiring, due_soon),
        Need("upload|uploads awaiting your verification", expiring, awaiting),
    ]


def _visit_needs(user: User) -> list[Need]:
    today = clock.today()
    due = policy.follow_up_actions_for(user).where(FollowUpAction.due_on <= today)
    return [
        Need(
            "provider|providers overdue a visit: none in the last 12 months",
            url_for("visits.index", show="overdue"),
            overdue_count(policy.watched_providers_for(user), today),
        ),
        Need(
            "action|actions from visits due by today, not yet done",
            url_for("main.follow_up_actions", due="now"),
            db.session.scalar(select(func.count()).select_from(due.order_by(None).subquery())),
        ),
    ]


def _concern_needs(user: User) -> list[Need]:
    still_open = policy.concerns_for(user).where(Concern.resolved_at.is_(None))
    return [
        Need(
            "concern|concerns about providers raised in your partnership, still open",
            url_for("concerns.index", status="open"),
            pagination.count(still_open),
        )
    ]


def _registration_needs(user: User) -> list[Need]:
    flagged = registration.flagged_count(policy.registration_watched_for(user), clock.today())
    return [
        Need(
            "provider|providers not registered with Ofsted that may need to be: "
            "full-time pupils across all partnerships",
            url_for("registration.index"),
            flagged,
        )
    ]


def _ids(providers: Select) -> Select:
    return providers.with_only_columns(Provider.id, maintain_column_froms=True).order_by(None)


def compliance_counts(providers: Select, today: date) -> tuple[int, int]:
    """How many of the providers are non-compliant and how many due soon, counted in one
    query: the rule of `compliance.assess_kind` for each active kind required of a provider,
    applied to its newest verified item of that kind; a provider takes its worst kind's state."""
    scope = (
        providers.order_by(None)
        .with_only_columns(
            Provider.id,
            Provider.transports_pupils,
            Provider.ofsted_registered,
            maintain_column_froms=True,
        )
        .subquery()
    )
    newest = (
        select(
            ComplianceItem.provider_id,
            ComplianceItem.kind_id,
            func.max(ComplianceItem.id).label("id"),
        )
        .where(
            ComplianceItem.status == ItemStatus.VERIFIED,
            ComplianceItem.provider_id.in_(select(scope.c.id)),
        )
        .group_by(ComplianceItem.provider_id, ComplianceItem.kind_id)
        .subquery()
    )
    kind, item = ComplianceKind, aliased(ComplianceItem)
    required = or_(
        kind.requirement == Requirement.EVERY_PROVIDER,
        and_(kind.requirement == Requirement.IF_TRANSPORTING, scope.c.transports_pupils),
        and_(kind.requirement == Requirement.IF_OFSTED_REGISTERED, scope.c.ofsted_registered),
    )
    expires = and_(kind.expires, item.expiry_date.is_not(None))
    short_cover = and_(
        kind.needs_cover_amount,
        func.coalesce(kind.min_cover_amount, 0) > 0,
        func.coalesce(item.cover_amount, 0) < kind.min_cover_amount,
    )
    failing = or_(item.id.is_(None), short_cover, and_(expires, item.expiry_date < today))
    soon = and_(expires, item.expiry_date <= today + timedelta(days=DUE_SOON_DAYS))
    per_kind = (
        select(
            scope.c.id.label("provider_id"), case((failing, 2), (soon, 1), else_=0).label("state")
        )
        .select_from(scope)
        .join(kind, true())
        .outerjoin(newest, and_(newest.c.provider_id == scope.c.id, newest.c.kind_id == kind.id))
        .outerjoin(item, item.id == newest.c.id)
        .where(kind.active, required)
        .subquery()
    )
    worst = (
        select(func.max(per_kind.c.state).label("state"))
        .group_by(per_kind.c.provider_id)
        .subquery()
    )
    row = db.session.execute(
        select(
            func.coalesce(func.sum(case((worst.c.state == 2, 1), else_=0)), 0),
            func.coalesce(func.sum(case((worst.c.state == 1, 1), else_=0)), 0),
        )
    ).one()
    return int(row[0]), int(row[1])


def overdue_count(providers: Select, today: date) -> int:
    """How many of the providers are overdue a visit: the visits page's own list, counted."""
    return pagination.count(overdue_providers(providers, today))


def next_visits(user: User, today: date, limit: int = 5) -> list[Visit]:
    """Today's and the next open visits the user leads or is invited to, with their provider
    and lead."""
    invited = select(VisitInvitee.visit_id).where(VisitInvitee.user_id == user.id)
    stmt = (
        policy.visits_for(user)
        .where(
            or_(Visit.lead_id == user.id, Visit.id.in_(invited)),
            Visit.status.in_((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)),
            Visit.visit_date >= today,
        )
        .options(joinedload(Visit.provider), joinedload(Visit.lead))
        .order_by(None)
        .order_by(Visit.visit_date, Visit.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def visits_with_providers(ids: set[int]) -> dict[int, Visit]:
    """The visits of a page of follow-up actions, with their providers, in one query."""
    stmt = select(Visit).options(joinedload(Visit.provider)).where(Visit.id.in_(ids))
    return {visit.id: visit for visit in db.session.scalars(stmt)}


def _provider_needs(user: User) -> list[Need]:
    provider = db.session.scalars(policy.providers_for(user)).first()
    if provider is None:
        return []
    assessed = compliance_for([provider], clock.today())[provider.id]
    page = url_for("providers.detail", provider_id=provider.id)
    missing_or_expired = [
        k for k in assessed.problems if k.state is State.NON_COMPLIANT and k.pending is None
    ]
    due = [k for k in assessed.problems if k.state is State.DUE_SOON and k.pending is None]
    return [
        Need("document|documents missing or expired: upload them", page, len(missing_or_expired)),
        Need("document|documents expiring within 30 days: upload the renewal", page, len(due)),
    ]


def _review_needs(user: User) -> list[Need]:
    """The reviews of the placements of the pupils a member of staff is key worker of: due
    within a week, and overdue."""
    mine = select(Pupil.id).where(Pupil.key_worker_id == user.id)
    placements = policy.placements_for(user).where(Placement.pupil_id.in_(mine))
    due, overdue = review_counts(placements, clock.today())
    return [
        Need(
            "placement|placements with a review overdue",
            url_for("placements.index", reviews="overdue", key_worker=user.id),
            overdue,
        ),
        Need(
            "placement|placements with a review due within 7 days",
            url_for("placements.index", reviews="due", key_worker=user.id),
            due,
        ),
    ]


def _admin_and_register_needs(user: User) -> list[Need]:
    return (
        _admin_needs(user) + _register_needs(user) + _registration_needs(user) + _visit_needs(user)
    )


def _register_and_visit_needs(user: User) -> list[Need]:
    return _register_needs(user) + _registration_needs(user) + _visit_needs(user)


def _staff_needs(user: User) -> list[Need]:
    return (
        _review_needs(user)
        + _register_needs(user)
        + _registration_needs(user)
        + _visit_needs(user)
        + _concern_needs(user)
    )


_BUILDERS = {
    Role.ADMIN: _admin_and_register_needs,
    Role.OFFICER: _register_and_visit_needs,
    Role.STAFF: _staff_needs,
    Role.PROVIDER: _provider_needs,
}


def home_for(user: User) -> dict[str, Any]:
    """What the user's home page shows: the needs, and the few records their role lists there
    (bounded: a home page never grows with the register)."""
    today = clock.today()
    context: dict[str, Any] = {"needs": needs_for(user), "today": today, "visits": []}
    if user.role in (Role.STAFF, Role.HEAD):
        context["visits"] = next_visits(user, today)
    if user.role in (Role.OFFICER, Role.STAFF):
        context["partnerships"] = with_school_counts(policy.partnerships_for(user).limit(20))
    if user.role is Role.HEAD:
        context["schools"] = db.session.scalars(
            policy.schools_for(user).options(joinedload(School.partnership)).limit(5)
        ).all()
    if user.role is Role.PROVIDER:
        context["providers"] = db.session.scalars(policy.providers_for(user).limit(5)).all()
        context["returns"] = returns_home.provider_summary(user)
    return context
