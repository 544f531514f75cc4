"""Visit rules: scheduling with the current framework, invitations, what is due or overdue."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from sqlalchemy import func, select

from qa_portal import audit, outbox
from qa_portal.accounts.models import Role, User
from qa_portal.db import db
from qa_portal.frameworks.services import current_framework
from qa_portal.providers.models import Provider, ProviderStatus
from qa_portal.rules import RuleBroken
from qa_portal.visits.models import Visit, VisitInvitee, VisitStatus, VisitType

OVERDUE_AFTER = timedelta(days=365)
LEAD_ROLES = (Role.STAFF, Role.ADMIN)
INVITEE_ROLES = (Role.HEAD, Role.STAFF)


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


def last_visit_dates(providers: list[Provider], today: date) -> dict[int, date]:
    """The date of each provider's latest visit that has taken place (not cancelled)."""
    if not providers:
        return {}
    rows = db.session.execute(
        select(Visit.provider_id, func.max(Visit.visit_date))
        .where(
            Visit.provider_id.in_([p.id for p in providers]),
            Visit.status != VisitStatus.CANCELLED,
            Visit.visit_date <= today,
        )
        .group_by(Visit.provider_id)
    )
    return dict(rows.all())


def overdue(providers: list[Provider], today: date) -> list[tuple[Provider, date | None]]:
    """Open providers with no visit in the last 12 months, never-visited first."""
    last = last_visit_dates(providers, today)
    booked = set(
        db.session.scalars(
            select(Visit.provider_id).where(
                Visit.status.in_((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)),
                Visit.visit_date >= today,
            )
        )
    )
    due = [
        (p, last.get(p.id))
        for p in providers
        if p.status is not ProviderStatus.CLOSED
        and p.id not in booked
        and (last.get(p.id) is None or today - last[p.id] > OVERDUE_AFTER)
    ]
    return sorted(due, key=lambda row: (row[1] or date.min, row[0].name))
