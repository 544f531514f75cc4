"""Concern rules: raising one, resolving it once, the visit planned about it, and the list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, update
from sqlalchemy.orm import joinedload

from qa_portal import audit
from qa_portal.accounts.models import Role, User
from qa_portal.concerns.models import Concern, ConcernCategory
from qa_portal.db import db, utcnow
from qa_portal.partnerships.models import School
from qa_portal.providers.models import Provider
from qa_portal.rules import RuleBroken
from qa_portal.visits.models import Visit, VisitType

RAISERS = (Role.HEAD, Role.STAFF)
# Initials: a few letters each, with dots or hyphens, between commas, spaces or "and".
_INITIALS = re.compile(r"[^\W\d_]{1,3}(?:[.\-][^\W\d_]{0,3})*\.?")
_BETWEEN = re.compile(r"[\s,;/&+]+")
# The visit the concern most calls for: one unannounced where what is seen must be as it is.
UNANNOUNCED_FOR = (ConcernCategory.SAFEGUARDING, ConcernCategory.PREMISES)


class ConcernError(RuleBroken):
    """A rule of concerns was broken."""


@dataclass(frozen=True)
class ConcernFilter:
    """What the list of concerns is narrowed to."""

    status: str = ""  # "open", "resolved" or "" for both
    category: ConcernCategory | None = None
    provider: str = ""  # part of the provider's name
    provider_id: int | None = None


def only_initials(text: str) -> bool:
    """Whether `text` names pupils by initials only ("J.S., AB and K-L.M"), never a name."""
    words = [w for w in _BETWEEN.split(text.strip()) if w and w.lower() != "and"]
    return all(_INITIALS.fullmatch(word) for word in words)


def raise_concern(
    actor: User,
    provider: Provider,
    *,
    category: ConcernCategory,
    happened_on: date,
    description: str,
    pupils_involved: str,
    today: date,
) -> Concern:
    if actor.role not in RAISERS:
        raise ConcernError("Only heads and partnership staff can raise a concern")
    if happened_on > today:
        raise ConcernError("The date it happened must be today or in the past", "happened_on")
    if not only_initials(pupils_involved):
        raise ConcernError(
            "Give the pupils' initials only, like J.S., A.B., not their names", "pupils_involved"
        )
    # The user's links are loaded with the user only (lazy="raise"); read the school by id.
    school = db.session.get(School, actor.school_id) if actor.role is Role.HEAD else None
    concern = Concern(
        provider=provider,
        partnership_id=school.partnership_id if school else actor.partnership_id,
        school=school,
        category=category,
        happened_on=happened_on,
        description=description.strip(),
        pupils_involved=pupils_involved.strip(),
        raised_by=actor,
        raised_at=utcnow(),
    )
    db.session.add(concern)
    db.session.flush()
    audit.record(
        "concern_raised",
        actor=actor,
        target=concern,
        summary=f"{concern.category.label} concern raised about {provider.name}",
    )
    return concern


def resolve_concern(
    actor: User, concern: Concern, *, resolution: str, resolved_on: date, today: date
) -> Concern:
    if resolved_on > today:
        raise ConcernError("The date it was resolved must be today or in the past", "resolved_on")
    if resolved_on < concern.happened_on:
        raise ConcernError(
            f"The date it was resolved must be on or after the day it happened, "
            f"{concern.happened_on:%-d %B %Y}",
            "resolved_on",
        )
    # Guarded in the database: two people resolving at once resolve it once.
    done = db.session.execute(
        update(Concern)
        .where(Concern.id == concern.id, Concern.resolved_at.is_(None))
        .values(
            resolution=resolution.strip(),
            resolved_on=resolved_on,
            resolved_by_id=actor.id,
            resolved_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise ConcernError("This concern has already been resolved", "resolution")
    db.session.refresh(concern)
    audit.record(
        "concern_resolved",
        actor=actor,
        target=concern,
        summary=f"{concern.category.label} concern about {concern.provider.name} resolved",
    )
    return concern


def visit_type_for(concern: Concern) -> VisitType:
    return VisitType.UNANNOUNCED if concern.category in UNANNOUNCED_FOR else VisitType.FOLLOW_UP


def visit_purpose(concern: Concern) -> str:
    """What the visit's invitations say it is about: the kind of concern and its date, never
    what the concern says (it may name pupils)."""
    return f"About a {concern.category.label.lower()} concern of {concern.happened_on:%-d %B %Y}."


def link_visit(actor: User, concern: Concern, visit: Visit) -> None:
    if visit.provider_id != concern.provider_id:
        raise ConcernError("The visit must be to the provider the concern is about", "provider_id")
    concern.visit = visit
    db.session.flush()
    audit.record(
        "concern_visit_planned",
        actor=actor,
        target=concern,
        summary=f"Visit planned about the concern: {visit}",
    )


def listed_concerns(scope: Select[tuple[Concern]], chosen: ConcernFilter) -> Select:
    """The concerns in `scope` narrowed by `chosen`, open first, with what each row shows."""
    stmt = scope.options(
        joinedload(Concern.provider), joinedload(Concern.raised_by), joinedload(Concern.partnership)
    )
    if chosen.status == "open":
        stmt = stmt.where(Concern.resolved_at.is_(None))
    elif chosen.status == "resolved":
        stmt = stmt.where(Concern.resolved_at.is_not(None))
    if chosen.category:
        stmt = stmt.where(Concern.category == chosen.category)
    if chosen.provider_id:
        stmt = stmt.where(Concern.provider_id == chosen.provider_id)
    if chosen.provider:
        stmt = stmt.where(
            Concern.provider.has(Provider.name.icontains(chosen.provider, autoescape=True))
        )
    return stmt
