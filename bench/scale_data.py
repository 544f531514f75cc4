"""A national-scale data set on top of the demo: providers, users, visits with their answers,
compliance evidence, contracts, concerns, audit events, email and pupils, made with bulk inserts
through the models.

`generate(session, scale)` adds `counts(scale)` records (scale 1.0: 2,000 providers, 2,000
users, 20,000 visits, 50,000 compliance items, 10,000 contracts, 2,000 concerns, 200,000 audit
events, 50,000 pupils, 150,000 placements with their targets and planned reviews, up to 400,000
termly returns for this term and last with progress against each target); every visit
that has taken place has ANSWERS_PER_VISIT answers. It needs the reference data and a published
framework (what `flask seed-demo` loads) and uses the demo's people when they are there, so that
each demo sign-in has something to see. Deterministic: the same seed gives the same data. It
never commits. A new kind of record is one more `_add_<records>` step called from `generate`,
with its base count in BASE.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qa_portal import clock, terms
from qa_portal.accounts.models import Role, User
from qa_portal.audit import AuditEvent
from qa_portal.concerns.models import Concern, ConcernCategory
from qa_portal.contracts.models import Contract, RateUnit
from qa_portal.demo import DEMO_PASSWORD
from qa_portal.frameworks.models import (
    Criterion,
    CriterionKind,
    Framework,
    FrameworkStatus,
    Rating,
)
from qa_portal.inputs import name_key
from qa_portal.outbox import OutboxMessage
from qa_portal.partnerships.models import Partnership, School
from qa_portal.placements.models import (
    Destination,
    Placement,
    Progress,
    ReviewDate,
    Target,
    TargetArea,
    Transport,
)
from qa_portal.providers.compliance import is_required
from qa_portal.providers.models import (
    ComplianceItem,
    ComplianceKind,
    ItemStatus,
    OfstedJudgement,
    OfstedRegistrationType,
    Provider,
    ProviderStatus,
    ProviderStatusChange,
    VocationalArea,
    provider_partnerships,
    provider_vocational_areas,
)
from qa_portal.pupils.models import (
    YEAR_GROUPS,
    Ethnicity,
    Gender,
    Pupil,
    academic_year,
    cohort_by_age,
)
from qa_portal.pupils.services import with_check_letter
from qa_portal.returns.models import (
    AccreditationStatus,
    Behaviour,
    ReturnProgress,
    ReturnStatus,
    TermlyReturn,
)
from qa_portal.terms import Term
from qa_portal.visits.judgements import propose
from qa_portal.visits.models import (
    ActionStatus,
    Answer,
    AreaJudgement,
    FollowUpAction,
    Judgement,
    Visit,
    VisitInvitee,
    VisitStatus,
    VisitType,
)

# Records added at scale 1.0: a county's register grown to national size.
BASE = {
    "providers": 2_000,
    "users": 2_000,
    "visits": 20_000,
    "compliance_items": 50_000,
    "contracts": 10_000,
    "concerns": 2_000,
    "audit_events": 200_000,
    "outbox_messages": 20_000,
    "pupils": 50_000,
    "placements": 150_000,
    "termly_returns": 400_000,
}
MINIMUM = {"users": 10}  # a member of staff per partnership, a head and a provider user
ANSWERS_PER_VISIT = 40
BATCH = 5_000
SEED = 2026

# Each visit's status by its number modulo 100: most past visits published, some signed off
# and waiting, some cancelled, two in every hundred under way and eight still to come.
_STATUS_PATTERN = (
    [VisitStatus.SCHEDULED] * 8
    + [VisitStatus.IN_PROGRESS] * 2
    + [VisitStatus.SIGNED_OFF] * 5
    + [VisitStatus.CANCELLED] * 3
    + [VisitStatus.PUBLISHED] * 82
)
HELD = (VisitStatus.IN_PROGRESS, VisitStatus.SIGNED_OFF, VisitStatus.PUBLISHED)
_PROVIDER_STATUSES = (
    [ProviderStatus.APPROVED] * 80
    + [ProviderStatus.APPROVED_WITH_CONDITIONS] * 8
    + [ProviderStatus.SUSPENDED] * 5
    + [ProviderStatus.CLOSED] * 7
)
_STATUS_REASONS = {
    ProviderStatus.APPROVED_WITH_CONDITIONS: "Approved on condition that a second member of "
    "staff is DBS checked",
    ProviderStatus.SUSPENDED: "Suspended pending renewal of employer's liability cover",
    ProviderStatus.CLOSED: "The provider has ceased trading",
}
_TOWNS = (
    "Ashby",
    "Barwell",
    "Birstall",
    "Blaby",
    "Coalville",
    "Enderby",
    "Glenfield",
    "Hinckley",
    "Ibstock",
    "Kibworth",
    "Loughborough",
    "Lutterworth",
    "Market Harborough",
    "Melton",
    "Oadby",
    "Shepshed",
    "Syston",
    "Wigston",
)
_FIRST = ("Alex", "Bea", "Chris", "Dana", "Eli", "Fran", "Gus", "Hana", "Ira", "Jo", "Kit", "Lee")
_LAST = ("Adams", "Begum", "Clarke", "Dhillon", "Evans", "Fox", "Green", "Hall", "Iqbal", "Jones")
_NOTES = (
    "Seen and in order.",
    "Records checked with the centre manager; nothing missing.",
    "Two pupils talked us through their work and knew who to go to with a worry.",
    "The register was complete and matched the schools' records for the week.",
    "Risk assessment seen, dated this term and signed by the manager.",
)
_ACTIONS = (
    "Hold and log a fire drill every term.",
    "Send the updated risk assessment to the placing schools.",
    "Plan English and maths for every pupil, with the placing school.",
    "Record attendance and send it to schools on the same day.",
)
_CONCERNS = (
    (ConcernCategory.ATTENDANCE, "Pupils were sent home early without a call to school."),
    (ConcernCategory.SAFEGUARDING, "A pupil was left unsupervised at the end of the day."),
    (ConcernCategory.BEHAVIOUR, "Staff shouted at a pupil in front of the group."),
    (ConcernCategory.QUALITY_OF_EDUCATION, "No maths or English was planned for three weeks."),
    (ConcernCategory.PREMISES, "The workshop fire exit was blocked."),
    (ConcernCategory.OTHER, "The provider did not reply to three emails about a pupil."),
)
_AUDIT_ACTIONS = (
    ("sign_in", "User", "Signed in"),
    ("sign_in", "User", "Signed in"),
    ("sign_in", "User", "Signed in"),
    ("sign_out", "User", "Signed out"),
    ("provider_changed", "Provider", "Changed contact details"),
    ("compliance_uploaded", "ComplianceItem", "Document uploaded"),
    ("compliance_verified", "ComplianceItem", "Document verified"),
    ("document_downloaded", "ComplianceItem", "Document downloaded"),
    ("visit_scheduled", "Visit", "Scheduled a visit"),
    ("visit_signed_off", "Visit", "Signed off a visit"),
    ("visit_published", "Visit", "Published a visit"),
    ("visit_report_downloaded", "Visit", "Report downloaded"),
)


def counts(scale: float) -> dict[str, int]:
    """How many of each record `generate` adds at this scale."""
    return {name: max(MINIMUM.get(name, 1), round(base * scale)) for name, base in BASE.items()}


@dataclass
class _Made:
    """What has been made so far, for the later steps to refer to."""

    today: date
    now: datetime
    framework: Framework
    criteria: list[Criterion] = field(default_factory=list)
    providers: list[dict] = field(default_factory=list)  # id, status, partnerships, ...
    staff: list[User] = field(default_factory=list)
    heads: list[User] = field(default_factory=list)
    provider_users: dict[int, list[int]] = field(default_factory=dict)
    users: list[tuple[int, str]] = field(default_factory=list)  # (id, email)
    visit_ids: list[int] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    placements: list[tuple[int, dict, int]] = field(default_factory=list)  # id, row, partnership
    added: dict[str, int] = field(default_factory=dict)


def generate(session: Session, scale: float, seed: int = SEED) -> dict[str, int]:
    """Add the national-scale records; returns how many rows of each kind were added."""
    rng = random.Random(seed)
    wanted = counts(scale)
    framework = session.scalars(
        select(Framework)
        .where(Framework.status == FrameworkStatus.PUBLISHED)
        .order_by(Framework.version.desc())
        .limit(1)
    ).one()
    now = datetime.now(UTC).replace(microsecond=0)
    made = _Made(today=clock.today(), now=now, framework=framework)
    made.criteria = _full_framework(session, framework)
    _add_providers(session, rng, made, wanted["providers"])
    _add_users(session, rng, made, wanted["users"])
    _add_visits(session, rng, made, wanted["visits"])
    _add_compliance_items(session, rng, made, wanted["compliance_items"])
    _add_contracts(session, rng, made, wanted["contracts"])
    _add_concerns(session, rng, made, wanted["concerns"])
    _add_audit_events(session, rng, made, wanted["audit_events"])
    _add_outbox_messages(session, rng, made, wanted["outbox_messages"])
    _add_pupils(session, rng, made, wanted["pupils"])
    _add_placements(session, rng, made, wanted["placements"], wanted["pupils"])
    _add_termly_returns(session, rng, made, wanted["termly_returns"])
    return made.added


def _bulk(session: Session, model, rows: Iterable[dict], made: _Made, name: str) -> None:
    """Insert rows in batches of BATCH through the model (no ids returned)."""
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            session.execute(insert(model), batch)
            made.added[name] = made.added.get(name, 0) + len(batch)
            batch = []
    if batch:
        session.execute(insert(model), batch)
        made.added[name] = made.added.get(name, 0) + len(batch)


def _bulk_ids(session: Session, model, rows: list[dict], made: _Made, name: str) -> list[int]:
    """Insert rows in batches and return their new ids, in the rows' order."""
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        result = session.execute(
            insert(model).returning(model.id, sort_by_parameter_order=True),
            rows[start : start + BATCH],
        )
        ids.extend(result.scalars().all())
    made.added[name] = made.added.get(name, 0) + len(rows)
    return ids


def _full_framework(session: Session, framework: Framework) -> list[Criterion]:
    """The framework's criteria, topped up to ANSWERS_PER_VISIT with copies of its own (as
    the PDF benchmark does): a full visit answers that many."""
    areas = list(framework.areas)
    criteria = [c for area in areas for c in area.criteria]
    for extra in range(ANSWERS_PER_VISIT - len(criteria)):
        area, model = areas[extra % len(areas)], criteria[extra]
        criterion = Criterion(
            position=len(area.criteria) + 1,
            code=f"scale-{extra + 1}",
            kind=model.kind,
            prompt=model.prompt,
            guidance=model.guidance,
            descriptor_green=model.descriptor_green,
            descriptor_amber=model.descriptor_amber,
            descriptor_red=model.descriptor_red,
            source=model.source,
        )
        area.criteria.append(criterion)
        criteria.append(criterion)
    session.flush()
    return [c for area in areas for c in area.criteria][:ANSWERS_PER_VISIT]


def _add_providers(session: Session, rng: random.Random, made: _Made, count: int) -> None:
    partnership_ids = session.scalars(select(Partnership.id).order_by(Partnership.id)).all()
    area_ids = session.scalars(select(VocationalArea.id).order_by(VocationalArea.id)).all()
    start = session.scalar(select(Provider.id).order_by(Provider.id.desc()).limit(1)) or 0
    rows, facts = [], []
    for index in range(count):
        number = start + index + 1
        status = rng.choice(_PROVIDER_STATUSES)
        ofsted = rng.random() < 0.1
        town = _TOWNS[index % len(_TOWNS)]
        slug = f"p{number:05d}"
        created = made.now - timedelta(days=rng.randint(400, 2000))
        rows.append(
            {
                "name": f"{town} Skills Centre {number:05d}",
                "name_key": name_key(f"{town} Skills Centre {number:05d}"),
                "address": f"Unit {index % 40 + 1}, {town} Enterprise Park",
                "postcode": f"LE{index % 19 + 1} {index % 9 + 1}AB",
                "contact_name": "Centre manager",
                "contact_email": f"office@{slug}.example.org",
                "contact_phone": f"0116 496 {index % 10000:04d}",
                "website": f"https://{slug}.example.org",
                "age_from": 11,
                "age_to": 16,
                "capacity": 4 + index % 20,
                "transports_pupils": rng.random() < 0.25,
                "ofsted_registered": ofsted,
                "ofsted_urn": f"SC{number:06d}" if ofsted else None,
                "ofsted_registration_type": (
                    OfstedRegistrationType.INDEPENDENT_SCHOOL if ofsted else None
                ),
                "ofsted_judgement": rng.choice(list(OfstedJudgement)) if ofsted else None,
                "ofsted_inspection_date": (
                    made.today - timedelta(days=rng.randint(30, 1400)) if ofsted else None
                ),
                "lebc_check_date": made.today - timedelta(days=rng.randint(10, 700)),
                "dsl_name": "Designated safeguarding lead",
                "dsl_email": f"safeguarding@{slug}.example.org",
                "dsl_phone": f"0116 497 {index % 10000:04d}",
                "status": status,
                "created_at": created,
                "updated_at": created,
            }
        )
        used_by = rng.sample(partnership_ids, rng.choice((0, 1, 1, 1, 2, 2, 3, 4)))
        if status is not ProviderStatus.CLOSED and not used_by:
            used_by = [rng.choice(partnership_ids)]
        facts.append((status, used_by, rng.sample(area_ids, rng.choice((1, 1, 2)))))
    ids = _bulk_ids(session, Provider, rows, made, "providers")
    _bulk(
        session,
        provider_partnerships,
        (
            {"provider_id": i, "partnership_id": p}
            for i, f in zip(ids, facts, strict=True)
            for p in f[1]
        ),
        made,
        "provider_partnerships",
    )
    _bulk(
        session,
        provider_vocational_areas,
        ({"provider_id": i, "area_id": a} for i, f in zip(ids, facts, strict=True) for a in f[2]),
        made,
        "provider_vocational_areas",
    )
    _bulk(session, ProviderStatusChange, _status_changes(rng, made, ids, facts), made, "status")
    made.added["provider_status_changes"] = made.added.pop("status")
    made.providers = [
        {
            "id": i,
            "status": f[0],
            "partnerships": f[1],
            "transports_pupils": row["transports_pupils"],
            "ofsted_registered": row["ofsted_registered"],
        }
        for i, f, row in zip(ids, facts, rows, strict=True)
    ]


def _status_changes(rng: random.Random, made: _Made, ids, facts) -> Iterator[dict]:
    for provider_id, (status, _, _) in zip(ids, facts, strict=True):
        approved = made.today - timedelta(days=rng.randint(200, 1500))
        yield {
            "provider_id": provider_id,
            "status": ProviderStatus.APPROVED,
            "reason": "Approved after the annual QA visit",
            "effective_on": approved,
            "changed_at": _at(approved, 16),
            "changed_by_id": None,
        }
        if status is not ProviderStatus.APPROVED:
            changed = made.today - timedelta(days=rng.randint(5, 180))
            yield {
                "provider_id": provider_id,
                "status": status,
                "reason": _STATUS_REASONS[status],
                "effective_on": changed,
                "changed_at": _at(changed, 11),
                "changed_by_id": None,
            }


def _add_users(session: Session, rng: random.Random, made: _Made, count: int) -> None:
    """Staff of each partnership, heads of schools and provider users, all with the demo
    password so that any of them can sign in."""
    partnership_ids = session.scalars(select(Partnership.id).order_by(Partnership.id)).all()
    school_ids = session.scalars(select(School.id).order_by(School.id)).all()
    staff = max(len(partnership_ids), count * 3 // 10)
    provider_users = max(1, count * 3 // 10) if made.providers else 0
    heads = count - staff - provider_users
    password = _password_hash()
    rows = []
    for index in range(count):
        if index < staff:
            partnership_id = partnership_ids[index % len(partnership_ids)]
            role, extra = Role.STAFF, {"partnership_id": partnership_id}
            title = "SEIP co-ordinator"
        elif index < staff + heads:
            role, extra, title = Role.HEAD, {"school_id": rng.choice(school_ids)}, "Headteacher"
        else:
            role, title = Role.PROVIDER, "Centre manager"
            extra = {"provider_id": rng.choice(made.providers)["id"]}
        created = made.now - timedelta(days=rng.randint(30, 1500))
        rows.append(
            {
                "email": f"scale.{role.value}.{index + 1:05d}@example.org",
                "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
                "job_title": title,
                "role": role,
                "partnership_id": None,
                "school_id": None,
                "provider_id": None,
                **extra,
                "password_hash": password,
                "password_changed_at": created,
                "last_sign_in_at": made.now - timedelta(hours=rng.randint(1, 2000)),
                "created_at": created,
                "updated_at": created,
            }
        )
    _bulk_ids(session, User, rows, made, "users")
    everyone = session.scalars(select(User).order_by(User.id)).all()
    made.users = [(u.id, u.email) for u in everyone]
    made.staff = [u for u in everyone if u.role is Role.STAFF and u.disabled_at is None]
    made.heads = [u for u in everyone if u.role is Role.HEAD and u.disabled_at is None]
    for user in everyone:
        if user.role is Role.PROVIDER:
            made.provider_users.setdefault(user.provider_id, []).append(user.id)


def _add_concerns(session: Session, rng: random.Random, made: _Made, count: int) -> None:
    """Concerns raised by heads and staff about providers over the last seven years; two in
    three resolved by staff of the raiser's partnership within a few weeks."""
    if not (made.staff or made.heads):
        return
    school_partnership = dict(session.execute(select(School.id, School.partnership_id)).all())
    staff_of: dict[int, list[User]] = {}
    for person in made.staff:
        staff_of.setdefault(person.partnership_id, []).append(person)
    rows = []
    for index in range(count):
        raiser = rng.choice(made.heads if made.heads and index % 3 else made.staff or made.heads)
        head = raiser.role is Role.HEAD
        partnership_id = school_partnership[raiser.school_id] if head else raiser.partnership_id
        category, text = _CONCERNS[index % len(_CONCERNS)]
        happened = made.today - timedelta(days=rng.randint(0, 7 * 365))
        raised = _at(happened, 15) + timedelta(days=rng.randint(0, 3))
        resolver = rng.choice(staff_of.get(partnership_id) or made.staff or [raiser])
        resolved_on = min(made.today, happened + timedelta(days=rng.randint(3, 40)))
        resolved = index % 3 != 0 and resolver.role is Role.STAFF
        rows.append(
            {
                "provider_id": rng.choice(made.providers)["id"],
                "partnership_id": partnership_id,
                "school_id": raiser.school_id if head else None,
                "category": category,
                "description": text,
                "happened_on": happened,
                "pupils_involved": f"{rng.choice(_FIRST)[0]}.{rng.choice(_LAST)[0]}.",
                "raised_by_id": raiser.id,
                "raised_at": min(raised, made.now),
                "resolution": "Agreed with the provider and the school." if resolved else "",
                "resolved_on": resolved_on if resolved else None,
                "resolved_by_id": resolver.id if resolved else None,
                "resolved_at": _at(resolved_on, 16) if resolved else None,
                "visit_id": None,
                "created_at": min(raised, made.now),
                "updated_at": min(raised, made.now),
            }
        )
    _bulk(session, Concern, rows, made, "concerns")


def _password_hash() -> str:
    from qa_portal.accounts.services import set_password

    model = User(email="scale@example.org")
    set_password(model, DEMO_PASSWORD)
    return model.password_hash


def _add_visits(session: Session, rng: random.Random, made: _Made, count: int) -> None:
    """Visits across every open provider, led by staff of a partnership using it, each with
    its invitations; held ones with their answers; signed-off ones with their judgements."""
    provider_ids = session.scalars(
        select(Provider.id).where(Provider.status != ProviderStatus.CLOSED).order_by(Provider.id)
    ).all()
    users_of: dict[int, list[int]] = {}
    for provider_id, partnership_id in session.execute(select(provider_partnerships)):
        users_of.setdefault(provider_id, []).append(partnership_id)
    staff_by_partnership: dict[int, list[User]] = {}
    for person in made.staff:
        staff_by_partnership.setdefault(person.partnership_id, []).append(person)
    plans = []
    for index in range(count):
        provider_id = rng.choice(provider_ids)
        using = users_of.get(provider_id, [])
        candidates = [s for p in using for s in staff_by_partnership.get(p, [])] or made.staff
        plans.append(_plan_visit(rng, made, index, provider_id, rng.choice(candidates)))
    ids = _bulk_ids(session, Visit, [plan["visit"] for plan in plans], made, "visits")
    made.visit_ids = ids
    _bulk(session, VisitInvitee, _invitees(rng, made, ids, plans), made, "visit_invitees")
    _bulk(session, Answer, _answers(made, ids, plans), made, "answers")
    _bulk(session, AreaJudgement, _judgements(ids, plans), made, "area_judgements")
    _bulk(session, FollowUpAction, _actions(rng, ids, plans), made, "follow_up_actions")


def _plan_visit(rng: random.Random, made: _Made, index: int, provider_id: int, lead: User):
    status = _STATUS_PATTERN[index % len(_STATUS_PATTERN)]
    held = _visit_date(rng, made.today, status)
    visit = {
        "provider_id": provider_id,
        "framework_id": made.framework.id,
        "visit_type": rng.choice((VisitType.ANNUAL,) * 3 + tuple(VisitType)),
        "visit_date": held,
        "lead_id": lead.id,
        "partnership_id": lead.partnership_id,
        "status": status,
        "purpose": "Annual QA visit",
        "overall": None,
        "strengths": "",
        "development": "",
        "signed_off_at": None,
        "signed_off_by_id": None,
        "published_at": None,
        "report_key": None,
        "created_by_id": lead.id,
        "created_at": _at(min(held, made.today) - timedelta(days=21), 9),
        "updated_at": _at(min(held, made.today), 17),
    }
    plan = {"visit": visit, "lead": lead, "ratings": []}
    if status in HELD:
        plan["ratings"] = [_rating(rng, c.kind) for c in made.criteria]
    if status in (VisitStatus.SIGNED_OFF, VisitStatus.PUBLISHED):
        _sign_off(rng, made, plan)
    return plan


def _visit_date(rng: random.Random, today: date, status: VisitStatus) -> date:
    days = {
        VisitStatus.SCHEDULED: -rng.randint(1, 90),
        VisitStatus.IN_PROGRESS: rng.randint(0, 6),
        VisitStatus.SIGNED_OFF: rng.randint(7, 60),
        VisitStatus.CANCELLED: rng.randint(-60, 365),
        VisitStatus.PUBLISHED: rng.randint(20, 1095),
    }[status]
    return today - timedelta(days=days)


def _rating(rng: random.Random, kind: CriterionKind) -> Rating:
    if kind is CriterionKind.RATING:
        return rng.choices(
            (Rating.GREEN, Rating.AMBER, Rating.RED, Rating.NOT_APPLICABLE, Rating.NOT_SEEN),
            (70, 20, 4, 3, 3),
        )[0]
    return rng.choices((Rating.MET, Rating.NOT_MET, Rating.NOT_APPLICABLE), (90, 5, 5))[0]


def _sign_off(rng: random.Random, made: _Made, plan: dict) -> None:
    visit, lead = plan["visit"], plan["lead"]
    by_area: dict[int, list[Rating]] = {}
    for criterion, rating in zip(made.criteria, plan["ratings"], strict=True):
        by_area.setdefault(criterion.area_id, []).append(rating)
    plan["judgements"] = {
        area_id: propose(ratings) or Judgement.GREEN for area_id, ratings in by_area.items()
    }
    found = set(plan["judgements"].values())
    overall = next(j for j in (Judgement.RED, Judgement.AMBER, Judgement.GREEN) if j in found)
    signed = min(_at(visit["visit_date"] + timedelta(days=rng.randint(0, 5)), 15), made.now)
    visit.update(
        overall=overall,
        strengths="Warm, consistent relationships; pupils attend well and speak highly of staff.",
        development="Keep the fire drill log current; plan English and maths for every pupil.",
        signed_off_at=signed,
        signed_off_by_id=lead.id,
    )
    if visit["status"] is VisitStatus.PUBLISHED:
        visit["published_at"] = min(signed + timedelta(days=rng.randint(1, 10)), made.now)


def _invitees(rng: random.Random, made: _Made, ids, plans) -> Iterator[dict]:
    """The lead, for most visits a head, and for some another member of staff."""
    for visit_id, plan in zip(ids, plans, strict=True):
        invited = _at(plan["visit"]["visit_date"], 9) - timedelta(days=21)
        people = [plan["lead"].id]
        if made.heads and rng.random() < 0.6:
            people.append(rng.choice(made.heads).id)
        if rng.random() < 0.3:
            people.append(rng.choice(made.staff).id)
        for user_id in dict.fromkeys(people):
            yield {
                "visit_id": visit_id,
                "user_id": user_id,
                "invited_at": invited,
                "invited_by_id": plan["lead"].id,
                "note": "",
            }


def _answers(made: _Made, ids, plans) -> Iterator[dict]:
    criterion_ids = [c.id for c in made.criteria]
    for visit_id, plan in zip(ids, plans, strict=True):
        if not plan["ratings"]:
            continue
        start = _at(plan["visit"]["visit_date"], 10)
        for position, (criterion_id, rating) in enumerate(
            zip(criterion_ids, plan["ratings"], strict=True)
        ):
            yield {
                "visit_id": visit_id,
                "criterion_id": criterion_id,
                "rating": rating,
                "note": _NOTES[(visit_id + position) % len(_NOTES)],
                "answered_at": start + timedelta(minutes=3 * position),
                "answered_by_id": plan["lead"].id,
            }


def _judgements(ids, plans) -> Iterator[dict]:
    for visit_id, plan in zip(ids, plans, strict=True):
        for area_id, judgement in plan.get("judgements", {}).items():
            yield {
                "visit_id": visit_id,
                "area_id": area_id,
                "proposed": judgement,
                "judgement": judgement,
                "override_reason": "",
            }


def _actions(rng: random.Random, ids, plans) -> Iterator[dict]:
    """Follow-up actions where a signed-off visit found something to improve."""
    for visit_id, plan in zip(ids, plans, strict=True):
        visit = plan["visit"]
        if visit["overall"] not in (Judgement.AMBER, Judgement.RED):
            continue
        for number in range(rng.randint(1, 3)):
            yield {
                "visit_id": visit_id,
                "description": _ACTIONS[(visit_id + number) % len(_ACTIONS)],
                "owner": "Centre manager",
                "due_on": visit["visit_date"] + timedelta(days=30 * (number + 1)),
                "status": rng.choice(list(ActionStatus)),
                "provider_response": "",
                "responded_at": None,
            }


def _add_compliance_items(session: Session, rng: random.Random, made: _Made, count: int) -> None:
    """Each generated provider's current evidence (valid, expiring within 30 days, expired or
    awaiting verification) and, with what is left of its share, the certificates they
    replaced in earlier years."""
    kinds = session.scalars(
        select(ComplianceKind).where(ComplianceKind.active).order_by(ComplianceKind.position)
    ).all()
    providers = made.providers
    share, extra = divmod(count, len(providers))
    rows = []
    for index, provider in enumerate(providers):
        wanted = share + (1 if index < extra else 0)
        facts = SimpleNamespace(**provider)
        current = [k for k in kinds if is_required(k, facts) or rng.random() < 0.3][:wanted]
        for number in range(wanted):
            kind = current[number % len(current)] if current else kinds[number % len(kinds)]
            years_back = number // len(current) if current else 1 + number
            rows.append(_item(rng, made, provider, kind, years_back, len(rows)))
    _bulk(session, ComplianceItem, rows, made, "compliance_items")


def _item(rng, made: _Made, provider: dict, kind: ComplianceKind, years_back: int, serial: int):
    uploader = (made.provider_users.get(provider["id"]) or [None])[0]
    checker = rng.choice(made.staff).id
    if years_back:
        state = "superseded"
        expiry = made.today - timedelta(days=365 * (years_back - 1) + rng.randint(1, 60))
    else:
        state = rng.choices(("valid", "expiring", "expired", "awaiting"), (72, 10, 9, 9))[0]
        expiry = made.today + timedelta(
            days={
                "valid": rng.randint(31, 365),
                "expiring": rng.randint(0, 30),
                "expired": -rng.randint(1, 120),
                "awaiting": rng.randint(200, 400),
            }[state]
        )
    issue = expiry - timedelta(days=365)
    uploaded = min(_at(issue, 12), made.now)
    status = {
        "superseded": ItemStatus.SUPERSEDED,
        "awaiting": ItemStatus.AWAITING_VERIFICATION,
    }.get(state, ItemStatus.VERIFIED)
    checked = status is not ItemStatus.AWAITING_VERIFICATION
    key = f"scale/compliance/{provider['id']}/{serial:07d}.pdf"
    return {
        "provider_id": provider["id"],
        "kind_id": kind.id,
        "reference": f"{kind.code[:3].upper()}-{serial:07d}",
        "issue_date": issue,
        "expiry_date": expiry if kind.expires else None,
        "cover_amount": (kind.min_cover_amount or 5_000_000) if kind.needs_cover_amount else None,
        "notes": "",
        "document_key": key,
        "document_name": f"{kind.code}.pdf",
        "document_type": "application/pdf",
        "document_size": 20_000 + serial % 50_000,
        "document_sha256": hashlib.sha256(key.encode()).hexdigest(),
        "uploaded_by_id": uploader,
        "status": status,
        "verified_by_id": checker if checked else None,
        "verified_at": min(uploaded + timedelta(days=2), made.now) if checked else None,
        "verification_note": "Checked against the certificate" if checked else "",
        "superseded_at": _at(expiry, 9) if years_back else None,
        "created_at": uploaded,
        "updated_at": uploaded,
    }


def _add_contracts(session: Session, rng: random.Random, made: _Made, count: int) -> None:
    """Contracts of the partnerships with the providers they use, commissioned by one of the
    partnership's schools or by the partnership itself, over the last few years and the next:
    ended, current, ending within 30 days and still to start; a third with a signed document."""
    schools: dict[int, list[int]] = {}
    for school_id, partnership_id in session.execute(select(School.id, School.partnership_id)):
        schools.setdefault(partnership_id, []).append(school_id)
    used = [p for p in made.providers if p["partnerships"]]
    rows = []
    for serial in range(count):
        provider = used[serial % len(used)]
        partnership_id = rng.choice(provider["partnerships"])
        start = made.today - timedelta(days=rng.randint(-60, 1100))
        end = start + timedelta(days=rng.choice((90, 180, 365, 365, 730)) + rng.randint(0, 30))
        reference = f"SC-{serial + 1:06d}"
        key = f"scale/contracts/{partnership_id}/{serial:07d}.pdf" if serial % 3 == 0 else None
        created = min(_at(start - timedelta(days=14), 10), made.now)
        rows.append(
            {
                "partnership_id": partnership_id,
                "school_id": (
                    rng.choice(schools[partnership_id])
                    if schools.get(partnership_id) and rng.random() < 0.6
                    else None
                ),
                "provider_id": provider["id"],
                "reference": reference,
                "reference_key": name_key(reference),
                "start_date": start,
                "end_date": end,
                "value": Decimal(rng.randint(20, 4000) * 10),
                "rate_amount": Decimal(rng.randint(20, 140)),
                "rate_unit": rng.choice(tuple(RateUnit)),
                "terms": "Term-time days as agreed; 20 school days' notice either way.",
                "document_key": key,
                "document_name": "signed-contract.pdf" if key else None,
                "document_type": "application/pdf" if key else None,
                "document_size": 40_000 + serial % 30_000 if key else None,
                "document_sha256": hashlib.sha256(key.encode()).hexdigest() if key else None,
                "document_uploaded_at": created if key else None,
                "created_by_id": rng.choice(made.staff).id,
                "created_at": created,
                "updated_at": created,
            }
        )
    _bulk(session, Contract, rows, made, "contracts")


def _add_audit_events(session: Session, rng: random.Random, made: _Made, count: int) -> None:
    """Two years of sign-ins, changes, verifications and downloads."""
    targets = {
        "User": [user_id for user_id, _ in made.users],
        "Provider": [p["id"] for p in made.providers],
        "ComplianceItem": session.scalars(
            select(ComplianceItem.id).order_by(ComplianceItem.id.desc()).limit(5000)
        ).all(),
        "Visit": made.visit_ids or [0],
    }
    span = 730 * 24 * 3600

    def rows() -> Iterator[dict]:
        for index in range(count):
            action, target_type, summary = _AUDIT_ACTIONS[index % len(_AUDIT_ACTIONS)]
            actor_id, actor_email = rng.choice(made.users)
            target_id = actor_id if target_type == "User" else rng.choice(targets[target_type])
            yield {
                "created_at": made.now - timedelta(seconds=rng.randint(60, span)),
                "actor_id": actor_id,
                "actor_email": actor_email,
                "action": action,
                "target_type": target_type,
                "target_id": str(target_id),
                "summary": summary,
                "details": {},
                "ip": f"192.0.2.{index % 250 + 1}",
            }

    _bulk(session, AuditEvent, rows(), made, "audit_events")


def _add_outbox_messages(session: Session, rng: random.Random, made: _Made, count: int) -> None:
    """A year of invitations and reminders: nearly all sent, a few queued or given up."""

    def rows() -> Iterator[dict]:
        for index in range(count):
            _, email = rng.choice(made.users)
            created = made.now - timedelta(minutes=rng.randint(5, 365 * 24 * 60))
            fate = rng.choices(("sent", "queued", "failed"), (95, 3, 2))[0]
            yield {
                "created_at": created,
                "to_address": email,
                "subject": f"QA visit reminder {index + 1}",
                "body": "Hello,\n\nA reminder of the QA visit you are invited to.\n",
                "sent_at": created + timedelta(seconds=30) if fate == "sent" else None,
                "attempts": {"sent": 1, "queued": 0, "failed": 8}[fate],
                "last_error": "Connection refused" if fate == "failed" else "",
                "secret_link": None,
                "next_attempt_at": None,
                "claimed_by": None,
                "claimed_until": None,
                "failed_at": created + timedelta(hours=6) if fate == "failed" else None,
            }

    _bulk(session, OutboxMessage, rows(), made, "outbox_messages")


# Local authorities' numbers the national set's UPNs are issued under (a UPN's 2nd to 4th
# characters must be one).
_AUTHORITIES = (855, 856, 857, 830, 831, 892, 891, 925, 940, 941)


def _add_pupils(session: Session, rng: random.Random, made: _Made, count: int) -> None:
    """Pupils in years 7 to 11 on the roll of every school, most with a key worker of their
    school's partnership and some with an EHCP, SEN support, looked after or pupil premium."""
    schools = session.execute(select(School.id, School.partnership_id).order_by(School.id)).all()
    workers: dict[int, list[int]] = {}
    for user in made.staff:
        workers.setdefault(user.partnership_id, []).append(user.id)
    year = academic_year(made.today)
    ethnicities = [Ethnicity.WBRI] * 12 + list(Ethnicity)

    def rows() -> Iterator[dict]:
        for index in range(count):
            school_id, partnership_id = schools[index % len(schools)]
            year_group = rng.choice(YEAR_GROUPS + (10, 11))  # key stage 4 the larger
            born = date(year - year_group - 5, 9, 1) + timedelta(days=rng.randint(0, 364))
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            authority = _AUTHORITIES[index % len(_AUTHORITIES)]
            # The authority, a school's number, the year of issue (x7) and a serial: unique.
            body = f"{authority}{index // 10_000:04d}{index // 1000 % 10}7{index % 1000:03d}"
            need = rng.random()
            created = made.now - timedelta(days=rng.randint(1, 700))
            yield {
                "first_names": first,
                "last_name": last,
                "name_key": name_key(f"{first} {last}"),
                "upn": with_check_letter(body),
                "date_of_birth": born,
                "cohort_by_age": cohort_by_age(born),
                "cohort_override": None,
                "gender": rng.choice((Gender.MALE, Gender.MALE, Gender.FEMALE)),
                "ethnicity": rng.choice(ethnicities),
                "school_id": school_id,
                "key_worker_id": (
                    rng.choice(workers[partnership_id])
                    if partnership_id in workers and rng.random() < 0.9
                    else None
                ),
                "ehcp": need < 0.1,
                "sen_support": 0.1 <= need < 0.35,
                "looked_after": rng.random() < 0.05,
                "pupil_premium": rng.random() < 0.6,
                "created_at": created,
                "updated_at": created,
            }

    _bulk(session, Pupil, rows(), made, "pupils")


_TARGETS = (
    (TargetArea.ATTENDANCE, "Attend at least 90% of sessions", "61% at school"),
    (TargetArea.ACCREDITATION, "Level 1 vocational award", "No accreditation yet"),
    (TargetArea.MATHS, "Entry level 3 functional maths", "Entry level 1"),
)


def _add_placements(
    session: Session, rng: random.Random, made: _Made, count: int, pupils: int
) -> None:
    """Placements of the pupils just added, each with providers their partnership uses, one
    after another: the older ones ended, the latest current or starting soon; each with three
    targets and its planned reviews."""
    newest = (
        select(Pupil.id, School.partnership_id)
        .join(School, School.id == Pupil.school_id)
        .order_by(Pupil.id.desc())
        .limit(pupils)
    )
    people = session.execute(newest).all()[::-1]
    used = _providers_by_partnership(made)
    rounds = -(-count // len(people))
    rows = [_placement_row(rng, made, serial, people, used, rounds) for serial in range(count)]
    ids = _bulk_ids(session, Placement, rows, made, "placements")
    _bulk(session, Target, _targets(ids, rows), made, "placement_targets")
    _bulk(session, ReviewDate, _review_dates(ids, rows), made, "placement_review_dates")
    made.placements = [
        (placement_id, row, partnership_id)
        for placement_id, row, (_, partnership_id) in zip(
            ids, rows, (people[serial % len(people)] for serial in range(count)), strict=True
        )
    ]


def _providers_by_partnership(made: _Made) -> dict[int | None, list[int]]:
    used: dict[int | None, list[int]] = {None: [p["id"] for p in made.providers]}
    for provider in made.providers:
        for partnership_id in provider["partnerships"]:
            used.setdefault(partnership_id, []).append(provider["id"])
    return used


def _placement_row(rng, made: _Made, serial: int, people, used, rounds: int) -> dict:
    """One pupil's placement: the pupil's `turn`-th, after the ones before it ended."""
    pupil_id, partnership_id = people[serial % len(people)]
    turn = serial // len(people)  # this pupil's first, second, ... placement
    start = made.today - timedelta(days=(rounds - turn) * 240 - 120 - rng.randint(0, 60))
    length = rng.randint(90, 220)
    finish = start + timedelta(days=length)
    ended = finish < made.today
    providers = used.get(partnership_id) or used[None]
    hours = Decimal(rng.choice((6, 9, 10, 12, 12.5, 15, 18)))
    created = min(_at(start - timedelta(days=7), 9), made.now)
    return {
        "pupil_id": pupil_id,
        "provider_id": providers[(serial + turn) % len(providers)],
        "contract_id": None,
        "start_date": start,
        "planned_end_date": finish,
        "finish_date": finish if ended else None,
        "days_per_week": 1 + int(hours // 5),
        "sessions_per_week": 2 + int(hours // 5) * 2,
        "hours_per_week": hours,
        "cost": (hours * 30 * Decimal("14.50")).quantize(Decimal("0.01")),
        "transport": rng.choice(tuple(Transport)),
        "intervention": "Vocational programme with English and maths built in",
        "objectives": "Re-engage with learning; attend regularly; a first qualification",
        "reintegration_plan": "Phased return to school over the spring term",
        "off_site_direction": False,
        "shared_needs": rng.random() < 0.3,
        "shared_needs_note": "",
        "shared_ehcp": rng.random() < 0.1,
        "shared_ehcp_note": "",
        "shared_health": False,
        "shared_health_note": "",
        "reporting": "Attendance daily by email; a termly return",
        "provider_reason": "",
        "next_review_on": None if ended else start + timedelta(days=42 * (1 + turn % 3)),
        "destination": Destination.RETURNED if ended else None,
        "destination_note": "",
        "end_reason": "The plan's timeline was completed" if ended else "",
        "ended_at": _at(finish, 16) if ended else None,
        "created_by_id": rng.choice(made.staff).id,
        "created_at": created,
        "updated_at": created,
    }


def _targets(ids: list[int], rows: list[dict]) -> Iterator[dict]:
    for placement_id, row in zip(ids, rows, strict=True):
        for position, (area, description, baseline) in enumerate(_TARGETS):
            yield {
                "placement_id": placement_id,
                "position": position,
                "area": area,
                "description": description,
                "baseline": baseline,
                "outcome": "Achieved" if row["finish_date"] else None,
            }


def _review_dates(ids: list[int], rows: list[dict]) -> Iterator[dict]:
    for placement_id, row in zip(ids, rows, strict=True):
        for weeks in (6, 12):
            due = row["start_date"] + timedelta(weeks=weeks)
            if due <= row["planned_end_date"]:
                yield {"placement_id": placement_id, "due_on": due}


# This term's returns by their pair's number modulo 20: a mix of drafts, sent, accepted, sent
# back and missing (no row at all); last term's nearly all accepted, a few only sent.
_THIS_TERM = (
    [ReturnStatus.ACCEPTED] * 6
    + [ReturnStatus.SUBMITTED] * 5
    + [ReturnStatus.DRAFT] * 3
    + [ReturnStatus.CHANGES_REQUESTED] * 2
    + [None] * 4
)
_LAST_TERM = [ReturnStatus.ACCEPTED] * 19 + [ReturnStatus.SUBMITTED]
_BEHAVIOUR = ([Behaviour.GOOD] * 5 + [Behaviour.EXCELLENT] * 3 + [Behaviour.SOME_CONCERNS] * 2) + [
    Behaviour.SERIOUS_CONCERNS
]
_BEHAVIOUR_COMMENTS = {
    Behaviour.SOME_CONCERNS: "Two incidents of leaving the workshop without saying; both "
    "talked through with the pupil and the school told.",
    Behaviour.SERIOUS_CONCERNS: "A fight with another pupil; a meeting held with the school "
    "and the family.",
}
_VOICES = (
    "I like working on the engines and I get on with the staff.",
    "It's better than school. I want to do a course at college.",
    "Some days are hard but the tutor helps me calm down.",
    "I'm proud of my certificate.",
)
_PROGRESS = [Progress.ON_TRACK] * 5 + [Progress.SOME] * 3 + [Progress.NONE] * 2
_WELLBEING = "Settled and more confident; eats breakfast with the group."
_REVIEW_COMMENT = (
    "Attendance here is lower than the register we hold: please check the sessions possible "
    "and the authorised absences."
)


def _add_termly_returns(session: Session, rng: random.Random, made: _Made, count: int) -> None:
    """Returns of the placements just added for last term and this one, one per placement and
    term: last term's nearly all accepted, this term's drafts, sent, accepted, sent back or not
    yet begun; each sent one with progress against every target. As many as there are
    placements in those terms, up to `count`."""
    term = terms.current_term()
    previous = terms.previous_term(term)
    pairs = [
        (placement, chosen, pattern)
        for chosen, pattern in ((previous, _LAST_TERM), (term, _THIS_TERM))
        for placement in made.placements
        if _overlap(placement[1], chosen, made.today)
    ]
    reviewers: dict[int, list[int]] = {}
    for user in made.staff:
        reviewers.setdefault(user.partnership_id, []).append(user.id)
    rows, placed = [], []
    for serial, ((placement_id, placement, partnership_id), chosen, pattern) in enumerate(pairs):
        if len(rows) >= count:
            break
        status = pattern[serial % len(pattern)]
        if status is None:
            continue
        reviewer = rng.choice(reviewers.get(partnership_id) or [u.id for u in made.staff])
        rows.append(_return_row(rng, made, placement_id, placement, chosen, status, reviewer))
        placed.append(placement_id)
    ids = _bulk_ids(session, TermlyReturn, rows, made, "termly_returns")
    targets = _targets_of(session, placed)
    _bulk(
        session,
        ReturnProgress,
        _return_progress(rng, ids, placed, rows, targets),
        made,
        "termly_return_progress",
    )


def _targets_of(session: Session, placement_ids: list[int]) -> dict[int, list[int]]:
    """Each placement's target ids, in order."""
    targets: dict[int, list[int]] = {}
    unique = sorted(set(placement_ids))  # a placement has a return in each of two terms
    for start in range(0, len(unique), BATCH):
        chunk = unique[start : start + BATCH]
        for target_id, placement_id in session.execute(
            select(Target.id, Target.placement_id)
            .where(Target.placement_id.in_(chunk))
            .order_by(Target.placement_id, Target.position)
        ):
            targets.setdefault(placement_id, []).append(target_id)
    return targets


def _return_progress(rng, ids, placed, rows, targets) -> Iterator[dict]:
    for return_id, placement_id, row in zip(ids, placed, rows, strict=True):
        if row["status"] is ReturnStatus.DRAFT and return_id % 2:
            continue  # half the drafts not yet that far
        for target_id in targets.get(placement_id, ()):
            mark = rng.choice(_PROGRESS)
            yield {
                "return_id": return_id,
                "target_id": target_id,
                "progress": mark,
                "comment": "Needs prompting to stay on task." if mark is Progress.NONE else "",
            }


def _overlap(placement: dict, term: Term, today: date) -> tuple[date, date] | None:
    """The days of `term` (up to today) the placement ran, or None."""
    end = placement["finish_date"] or placement["planned_end_date"]
    first, last = max(placement["start_date"], term.start), min(end, term.end, today)
    return (first, last) if first <= last else None


def _return_row(rng, made: _Made, placement_id, placement, term: Term, status, reviewer) -> dict:
    first, last = _overlap(placement, term, made.today)
    weeks = max(1, ((last - first).days + 1) // 7)
    possible = min(1000, weeks * placement["sessions_per_week"])
    attended = round(possible * rng.uniform(0.45, 1.0))
    authorised = rng.randint(0, possible - attended)
    unauthorised = possible - attended - authorised
    sent = status is not ReturnStatus.DRAFT
    reviewed = status in (ReturnStatus.ACCEPTED, ReturnStatus.CHANGES_REQUESTED)
    submitted_at = min(_at(last, 15) + timedelta(days=rng.randint(0, 10)), made.now)
    reviewed_at = min(submitted_at + timedelta(days=rng.randint(1, 7)), made.now)
    behaviour = rng.choice(_BEHAVIOUR)
    accreditation = rng.choice(tuple(AccreditationStatus))
    entered = status is not ReturnStatus.DRAFT or rng.random() < 0.6  # some drafts barely begun
    created = min(_at(max(first, last - timedelta(days=14)), 10), submitted_at)
    sender = (made.provider_users.get(placement["provider_id"]) or [None])[0]
    return {
        "placement_id": placement_id,
        "term_year": term.year,
        "term_season": term.season,
        "status": status,
        "sessions_possible": possible if entered else None,
        "sessions_attended": attended if entered else None,
        "sessions_authorised": authorised if entered else None,
        "sessions_unauthorised": unauthorised if entered else None,
        "behaviour": behaviour if entered else None,
        "behaviour_comment": _BEHAVIOUR_COMMENTS.get(behaviour, "") if entered else "",
        "qualification": "Level 1 Award in Vocational Studies",
        "level": "Level 1",
        "accreditation_status": accreditation if entered else None,
        "wellbeing": _WELLBEING if entered else "",
        "pupil_voice": rng.choice(_VOICES) if entered else "",
        "comments": "Attends well on workshop days; the maths sessions are harder going."
        if rng.random() < 0.3
        else "",
        "review_comment": _REVIEW_COMMENT if status is ReturnStatus.CHANGES_REQUESTED else "",
        "version": 1 + sent + reviewed,
        "submitted_at": submitted_at if sent else None,
        "submitted_by_id": sender if sent else None,
        "reviewed_at": reviewed_at if reviewed else None,
        "reviewed_by_id": reviewer if reviewed else None,
        "created_at": created,
        "updated_at": reviewed_at if reviewed else (submitted_at if sent else created),
    }


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)
