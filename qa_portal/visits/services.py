"""Visit rules: scheduling with the current framework, invitations, what is due or overdue."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import joinedload

from qa_portal import audit, outbox
from qa_portal.accounts.models import WITH_AFFILIATION, Role, User
from qa_portal.db import db
from qa_portal.frameworks.services import current_framework
from qa_portal.partnerships.models import Partnership, School
from qa_portal.providers.models import Provider, ProviderStatus
from qa_portal.rules import RuleBroken
from qa_portal.visits.models import Visit, VisitInvitee, VisitStatus, VisitType

OVERDUE_AFTER = timedelta(days=365)
LEAD_ROLES = (Role.STAFF, Role.ADMIN)
INVITEE_ROLES = (Role.HEAD, Role.STAFF)
# A partnership's staff, in the lead's drop-down; more than this is not a partnership.
LEADS_SHOWN = 200


class VisitError(RuleBroken):
    """A rule of this area was broken."""


def schedule_visit(
    actor: User,
    provider: Provider,
    *,
    visit_type: VisitType,
    visit_date: date,
    lead: User,
    invitees: Iterable[User],
    purpose: str,
    today: date,
    link: Callable[[Visit], str],
) -> Visit:
    if provider.status is ProviderStatus.CLOSED:
        raise VisitError("This provider is closed: it cannot be visited", "provider_id")
    if visit_date < today:
        raise VisitError("The visit date must be today or in the future", "visit_date")
    if lead.role not in LEAD_ROLES or not lead.is_active:
        raise VisitError("The lead must be an active member of partnership staff", "lead_id")
    framework = current_framework()
    if framework is None:
        raise VisitError("Publish a QA framework before scheduling visits", "visit_type")
    visit = Visit(
        provider=provider,
        framework=framework,
        visit_type=visit_type,
        visit_date=visit_date,
        lead=lead,
        purpose=purpose.strip(),
        partnership_id=lead.partnership_id or actor.partnership_id,
        created_by_id=actor.id,
    )
    db.session.add(visit)
    db.session.flush()
    audit.record("visit_scheduled", actor=actor, target=visit, summary=f"Scheduled {visit}")
    invite(actor, visit, [lead, *invitees], link)
    return visit


def invite(
    actor: User, visit: Visit, people: Iterable[User], link: Callable[[Visit], str]
) -> list[VisitInvitee]:
    """Invite each person once; the lead is told too. Returns the new invitations."""
    already = {i.user_id for i in visit.invitees}
    added = []
    for person in people:
        if person.id in already:
            continue
        if person.id != visit.lead_id and person.role not in INVITEE_ROLES:
            raise VisitError(
                f"{person.name} cannot join visits: only heads and partnership staff can",
                "invitee_ids",
            )
        already.add(person.id)
        invitation = VisitInvitee(visit=visit, user_id=person.id, invited_by_id=actor.id)
        db.session.add(invitation)
        added.append(invitation)
        role = "lead" if person.id == visit.lead_id else "join"
        outbox.queue(
            person.email,
            f"QA visit: {visit.provider.name} on {visit.visit_date:%-d %B %Y}",
            f"Hello {person.name},\n\n{actor.name} has asked you to {role} the "
            f"{visit.visit_type.label.lower()} QA visit to {visit.provider.name} on "
            f"{visit.visit_date:%A %-d %B %Y}.\n\n"
            f"{visit.purpose + chr(10) + chr(10) if visit.purpose else ''}"
            f"The visit, with its checklist, is here:\n{link(visit)}\n",
        )
    db.session.flush()
    if added:
        audit.record(
            "visit_invited", actor=actor, target=visit, summary=f"Invited {len(added)} to {visit}"
        )
    return added


OPEN = (VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)
# A people search shows this many matches at most; beyond, the searcher refines the search.
PEOPLE_SHOWN = 20


@dataclass(frozen=True)
class VisitFilter:
    """What the visit list is narrowed to: part of the provider's name, a type, a status."""

    provider: str = ""
    visit_type: VisitType | None = None
    status: VisitStatus | None = None


def listed_visits(scope: Select[tuple[Visit]], chosen: VisitFilter, *, upcoming: bool):
    """The visits in `scope` coming up (open, soonest first) or already done (latest first),
    narrowed by `chosen`, with what each row shows loaded alongside."""
    is_open = Visit.status.in_(OPEN)
    stmt = scope.where(is_open if upcoming else ~is_open).options(
        joinedload(Visit.provider), joinedload(Visit.lead)
    )
    if chosen.provider:
        stmt = stmt.where(
            Visit.provider.has(Provider.name.icontains(chosen.provider, autoescape=True))
        )
    if chosen.visit_type:
        stmt = stmt.where(Visit.visit_type == chosen.visit_type)
    if chosen.status:
        stmt = stmt.where(Visit.status == chosen.status)
    if upcoming:
        stmt = stmt.order_by(None).order_by(Visit.visit_date, Visit.id)
    return stmt


def overdue_providers(providers: Select[tuple[Provider]], today: date, name: str = ""):
    """Rows of (provider, date last visited or None): the open providers among `providers`
    with no visit in the last 12 months and none booked, never-visited first."""
    taken_place = and_(
        Visit.provider_id == Provider.id,
        Visit.status != VisitStatus.CANCELLED,
        Visit.visit_date <= today,
    )
    last = (
        select(func.max(Visit.visit_date)).where(taken_place).correlate(Provider).scalar_subquery()
    )
    recent = exists().where(taken_place, Visit.visit_date >= today - OVERDUE_AFTER)
    booked = exists().where(
        Visit.provider_id == Provider.id, Visit.status.in_(OPEN), Visit.visit_date >= today
    )
    stmt = providers.where(Provider.status != ProviderStatus.CLOSED, ~recent, ~booked)
    if name:
        stmt = stmt.where(Provider.name.icontains(name, autoescape=True))
    return (
        stmt.add_columns(last.label("last_visited"))
        .order_by(None)
        .order_by(last.asc().nulls_first(), Provider.name, Provider.id)
    )


def invitable(visit: Visit) -> Select[tuple[User]]:
    """The active heads and partnership staff not yet invited to `visit`, by name, each with
    what their label shows."""
    invited = select(VisitInvitee.id).where(
        VisitInvitee.visit_id == visit.id, VisitInvitee.user_id == User.id
    )
    return (
        select(User)
        .where(User.role.in_(INVITEE_ROLES), User.disabled_at.is_(None), ~invited.exists())
        .options(*WITH_AFFILIATION)
        .order_by(User.name, User.id)
    )


def find_people(people: Select[tuple[User]], search: str) -> Select[tuple[User]]:
    """Those of `people` matching every word of `search` in their name, their school's name,
    or their partnership's name or code (a head's partnership is their school's)."""
    for word in search.split()[:5]:
        partnerships = select(Partnership.id).where(
            or_(
                Partnership.name.icontains(word, autoescape=True),
                Partnership.code.icontains(word, autoescape=True),
            )
        )
        schools = select(School.id).where(
            or_(
                School.name.icontains(word, autoescape=True),
                School.partnership_id.in_(partnerships),
            )
        )
        people = people.where(
            or_(
                User.name.icontains(word, autoescape=True),
                User.school_id.in_(schools),
                User.partnership_id.in_(partnerships),
            )
        )
    return people


def leads_for(actor: User, partnership_id: int | None) -> Select[tuple[User]]:
    """Who may lead a visit scheduled by `actor` for a partnership: its active staff, and the
    actor themself, at most a bounded number."""
    chosen = User.id == actor.id
    if partnership_id is not None:
        chosen = or_(chosen, User.partnership_id == partnership_id)
    return (
        select(User)
        .where(User.role.in_(LEAD_ROLES), User.disabled_at.is_(None), chosen)
        .options(*WITH_AFFILIATION)
        .order_by(User.name, User.id)
        .limit(LEADS_SHOWN)
    )
