"""The synthetic demo data set: real partnerships and schools, invented people and providers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from qa_portal import audit, clock, links
from qa_portal.accounts.models import Role, User
from qa_portal.accounts.services import set_password
from qa_portal.db import db
from qa_portal.demo_marker import DemoMarker
from qa_portal.frameworks.services import load_default_framework
from qa_portal.partnerships.models import Partnership, School
from qa_portal.partnerships.services import load_reference
from qa_portal.placements.demo import seed_placements
from qa_portal.providers import services as register
from qa_portal.providers.compliance import active_kinds, is_required
from qa_portal.providers.models import (
    OFSTED_AREAS,
    OfstedGrade,
    OfstedInspectionKind,
    OfstedJudgement,
    OfstedRegistrationType,
    OfstedSafeguarding,
    Provider,
    ProviderStatus,
    ProviderStatusChange,
    VocationalArea,
)
from qa_portal.providers.reference import load_register_reference
from qa_portal.pupils.demo import seed_pupils
from qa_portal.registration.demo import seed_registration_guard
from qa_portal.returns.demo import seed_returns

DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 (synthetic demo accounts only)


class DemoRefused(Exception):
    pass


def demo_logins() -> list[tuple[str, str]]:
    codes = db.session.scalars(select(Partnership.code).order_by(Partnership.code)).all()
    logins = [("admin@example.org", "admin"), ("officer@example.org", "officer")]
    logins += [
        (f"staff.{code.lower()}@example.org", f"partnership staff, {code}") for code in codes
    ]
    logins += [
        ("head@example.org", "head of a HBEP school"),
        ("provider@example.org", "provider user"),
    ]
    return logins


def seed() -> bool:
    """Create the demo set; False if it is already there. Refuses on a database with real data."""
    if db.session.scalar(select(DemoMarker.id).limit(1)) is not None:
        return False
    if db.session.scalar(select(func.count()).select_from(User)):
        raise DemoRefused(
            "This database holds users that the demo command did not create. "
            "Demo data is only added to a new, empty database."
        )
    load_reference()
    load_register_reference()
    load_default_framework()
    partnerships = {p.code: p for p in db.session.scalars(select(Partnership))}
    hbep_school = db.session.scalars(
        select(School).join(Partnership).where(Partnership.code == "HBEP").order_by(School.name)
    ).first()
    provider = Provider(name=DEMO_PROVIDERS[0][0])
    db.session.add(provider)
    people = [
        ("admin@example.org", "Priya Admin", Role.ADMIN, "System administrator", {}),
        ("officer@example.org", "Owen Officer", Role.OFFICER, "Lead officer, inclusion", {}),
        ("head@example.org", "Helen Head", Role.HEAD, "Headteacher", {"school": hbep_school}),
        (
            "provider@example.org",
            "Pat Provider",
            Role.PROVIDER,
            "Centre manager",
            {"provider": provider},
        ),
    ]
    for code, partnership in sorted(partnerships.items()):
        people.append(
            (
                f"staff.{code.lower()}@example.org",
                f"{code} Co-ordinator",
                Role.STAFF,
                "SEIP co-ordinator",
                {"partnership": partnership},
            )
        )
    for email, name, role, title, affiliation in people:
        user = User(email=email, name=name, role=role, job_title=title, **affiliation)
        set_password(user, DEMO_PASSWORD)
        db.session.add(user)
    db.session.flush()
    _seed_register(partnerships, today=clock.today())
    _seed_visits(today=clock.today())
    _seed_contracts(partnerships, today=clock.today())
    seed_pupils(today=clock.today())
    _seed_concerns(today=clock.today())
    seed_placements(clock.today(), current_app.config["FULL_TIME_HOURS"])
    seed_registration_guard()  # after the placements: its registration lapsed since
    seed_returns(clock.today())  # after the placements: it sends their returns
    db.session.add(DemoMarker(version="1"))
    db.session.flush()
    audit.record("demo_seeded", summary="Demo data created")
    return True


# (name, vocational areas, partnerships using it, extras, evidence exceptions)
# Evidence exceptions: kind code -> days until expiry (negative: expired), "missing", "pending"
# (a renewal awaiting verification) or ("cover", pounds).
def _report_card(day: date, urn: str, grade: OfstedGrade, **exceptions) -> dict:
    """A report-card inspection: `grade` in every evaluation area but those given, safeguarding
    met unless given."""
    return {
        "ofsted_inspection_kind": OfstedInspectionKind.REPORT_CARD,
        "ofsted_inspection_date": day,
        "ofsted_link": f"https://reports.ofsted.gov.uk/provider/27/{urn}",
        **dict.fromkeys((column for column, _ in OFSTED_AREAS), grade),
        "ofsted_safeguarding": OfstedSafeguarding.MET,
        **exceptions,
    }


DEMO_PROVIDERS = [
    (
        "Riverside Motor Skills CIC",
        ["Motor vehicle"],
        ["HBEP", "LIP"],
        {"transports_pupils": True},
        {"public_liability": -5},
    ),
    ("Charnwood Build Academy", ["Construction"], ["LIP", "MSCIP"], {}, {}),
    (
        "Soar Valley Hair and Beauty Studio",
        ["Hair and beauty"],
        ["SLIP"],
        {},
        {"safeguarding_policy": 20},
    ),
    ("Hinckley Horse and Hound Care", ["Animal care"], ["HBEP"], {}, {}),
    ("Knockout Boxing Club Coalville", ["Boxing and sport"], ["NWLLIP"], {}, {"staff_checks": -40}),
    ("Melton Kitchen Skills", ["Catering"], ["MSCIP"], {}, {}),
    (
        "Bridgeway Tuition Centre",
        ["Small-group tuition"],
        ["HBEP", "LIP", "MSCIP", "SLIP"],
        {
            "ofsted_registered": True,
            "ofsted_urn": "EY900101",
            "ofsted_registration_type": OfstedRegistrationType.INDEPENDENT_SCHOOL,
            **_report_card(
                date(2026, 1, 20),
                "EY900101",
                OfstedGrade.STRONG_STANDARD,
                ofsted_attendance_behaviour=OfstedGrade.NEEDS_ATTENTION,
            ),
        },
        {},
    ),
    (
        "Ashby Outdoor Adventures",
        ["Outdoor education"],
        ["NWLLIP"],
        {"transports_pupils": True},
        {"motor_insurance": "missing"},
    ),
    ("Wreake Valley Garden Project", ["Horticulture"], ["MSCIP"], {}, {"employers_liability": 30}),
    ("Fosse Mentoring Partnership", ["Mentoring"], ["SLIP", "HBEP"], {}, {}),
    ("Lutterworth Auto Academy", ["Motor vehicle"], ["SLIP"], {}, {}),
    ("Blaby Trades Workshop", ["Construction"], ["SLIP"], {}, {"health_safety_policy": "pending"}),
    ("Forest Fitness and Boxing", ["Boxing and sport"], ["LIP"], {}, {"risk_assessments": 0}),
    ("Quorn Catering Kitchen", ["Catering"], ["LIP"], {}, {}),
    (
        "Market Bosworth Farm School",
        ["Animal care", "Horticulture"],
        ["HBEP", "NWLLIP"],
        {
            "ofsted_registered": True,
            "ofsted_urn": "EY900102",
            "ofsted_registration_type": OfstedRegistrationType.INDEPENDENT_SCHOOL,
            "ofsted_inspection_kind": OfstedInspectionKind.JUDGEMENT,
            "ofsted_inspection_date": date(2024, 6, 12),
            "ofsted_judgement": OfstedJudgement.REQUIRES_IMPROVEMENT,
            "ofsted_link": "https://reports.ofsted.gov.uk/provider/27/EY900102",
        },
        {},
    ),
    (
        "Oadby Learning Hub",
        ["Small-group tuition", "Mentoring"],
        ["SLIP"],
        {
            "status": ProviderStatus.APPROVED_WITH_CONDITIONS,
            "ofsted_registered": True,
            "ofsted_urn": "EY900103",
            "ofsted_registration_type": OfstedRegistrationType.FURTHER_EDUCATION,
            **_report_card(
                date(2026, 3, 4),
                "EY900103",
                OfstedGrade.EXPECTED_STANDARD,
                ofsted_inclusion=OfstedGrade.EXCEPTIONAL,
                ofsted_leadership_governance=OfstedGrade.URGENT_IMPROVEMENT,
                ofsted_safeguarding=OfstedSafeguarding.NOT_MET,
            ),
        },
        {},
    ),
    (
        "Shepshed Street Dance and Sport",
        ["Boxing and sport"],
        ["NWLLIP"],
        {"status": ProviderStatus.SUSPENDED},
        {"employers_liability": ("cover", 2_000_000)},
    ),
    ("Loughborough Engine Works", ["Motor vehicle"], ["LIP"], {}, {}),
    ("Syston Salon Skills", ["Hair and beauty"], ["MSCIP"], {}, {}),
    ("Ibstock Green Skills", ["Horticulture"], [], {"status": ProviderStatus.CLOSED}, {}),
]

_STATUS_REASONS = {
    ProviderStatus.APPROVED_WITH_CONDITIONS: "Approved on condition that a second member of "
    "staff is DBS checked before September",
    ProviderStatus.SUSPENDED: "Suspended pending renewal of employer's liability cover",
    ProviderStatus.CLOSED: "The provider has ceased trading",
}


def _seed_register(partnerships: dict[str, Partnership], today: date) -> None:
    areas = {a.name: a for a in db.session.scalars(select(VocationalArea))}
    actor = db.session.scalars(select(User).where(User.email == "staff.hbep@example.org")).one()
    kinds = active_kinds()
    for index, (name, area_names, used_by, extras, evidence) in enumerate(DEMO_PROVIDERS):
        provider = db.session.scalars(
            select(Provider)
            .where(Provider.name == name)
            .options(selectinload(Provider.vocational_areas), selectinload(Provider.partnerships))
        ).first()
        if provider is None:
            provider = Provider(name=name)
            db.session.add(provider)
        _describe(provider, index, extras)
        provider.vocational_areas = [areas[a] for a in area_names]
        provider.partnerships = [partnerships[code] for code in used_by]
        db.session.flush()
        provider.status = ProviderStatus.APPROVED
        db.session.add(
            ProviderStatusChange(
                provider=provider,
                status=ProviderStatus.APPROVED,
                changed_by_id=actor.id,
                reason="Approved after the annual QA visit",
                effective_on=today - timedelta(days=400 + index),
            )
        )
        status = extras.get("status")
        if status:
            register.change_status(
                actor, provider, status, _STATUS_REASONS[status], today - timedelta(days=10 + index)
            )
        for kind in kinds:
            if is_required(kind, provider):
                _evidence(actor, provider, kind, evidence.get(kind.code), index, today)


def _describe(provider: Provider, index: int, extras: dict) -> None:
    slug = "".join(ch for ch in provider.name.lower() if ch.isalnum())[:20]
    provider.address = f"Unit {index + 3}, Example Business Park, Leicestershire"
    provider.postcode = f"LE{index % 9 + 1} {index % 9 + 1}ZZ"
    provider.contact_name = "Centre manager"
    provider.contact_email = f"office@{slug}.example.org"
    provider.contact_phone = f"0116 496 0{index:03d}"
    provider.dsl_name = "Designated safeguarding lead"
    provider.dsl_email = f"safeguarding@{slug}.example.org"
    provider.age_from, provider.age_to = 11, 16
    provider.capacity = 6 + index % 10
    provider.lebc_check_date = clock.today() - timedelta(days=60 + index * 11)
    for field, value in extras.items():
        if field != "status":
            setattr(provider, field, value)


def _evidence(actor: User, provider: Provider, kind, exception, index: int, today: date) -> None:
    if exception == "missing":
        return
    days = 60 + (index * 37 + kind.position * 3) % 300
    cover = (kind.min_cover_amount or 5_000_000) if kind.needs_cover_amount else None
    if isinstance(exception, int):
        days = exception
    elif isinstance(exception, tuple):
        cover = exception[1]
    expiry = today + timedelta(days=days) if kind.expires else None
    issue = (expiry or today) - timedelta(days=365)
    evidence = register.Evidence(f"{kind.code[:3].upper()}-{1000 + index}", issue, expiry, cover)
    register.add_item(
        actor,
        provider,
        kind,
        evidence,
        register.Upload(demo_pdf(f"{kind.name}: {provider.name}"), f"{kind.code}.pdf"),
        max_bytes=10 * 1024 * 1024,
        verify_now=exception != "pending",
    )
    if exception == "pending":  # the verified original it will replace, expiring soon
        register.add_item(
            actor,
            provider,
            kind,
            register.Evidence(
                f"{kind.code[:3].upper()}-{900 + index}",
                issue - timedelta(days=365),
                today + timedelta(days=9),
                cover,
            ),
            register.Upload(demo_pdf(f"{kind.name}: {provider.name}"), f"{kind.code}-old.pdf"),
            max_bytes=10 * 1024 * 1024,
            verify_now=True,
        )


def demo_pdf(title: str) -> bytes:
    """A one-page stand-in for a certificate (synthetic: it holds no real document)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"Demo document - {title}"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# Each partnership's demo contracts, one per provider it uses (in the register's order, taken
# again from the first when it uses fewer): (commissioned by its first school?, days from today
# to the start, days from today to the end, value, rate, unit). The second ends within 30 days.
_CONTRACTS = (
    (False, -160, 200, "18500.00", "95.00", "day"),
    (True, -330, 12, "7200.00", "45.00", "session"),
    (True, -420, -60, "5600.00", "28.00", "hour"),
    (False, 21, 300, "9900.00", "90.00", "day"),
)


def _seed_contracts(partnerships: dict[str, Partnership], today: date) -> None:
    """A handful of contracts per partnership with the providers it uses; HBEP's first, with
    the demo provider, has its signed PDF stored."""
    from decimal import Decimal

    from qa_portal.contracts import services as contracts
    from qa_portal.contracts.models import RateUnit

    for code, partnership in sorted(partnerships.items()):
        actor = db.session.scalars(
            select(User).where(User.email == f"staff.{code.lower()}@example.org")
        ).one()
        used = [p for p in _providers_used(partnership) if p.status is not ProviderStatus.CLOSED]
        school = partnership.schools[0]
        for n, (by_school, start, end, value, rate, unit) in enumerate(_CONTRACTS):
            provider = used[n % len(used)]
            terms = contracts.Terms(
                reference=f"{code}-{today.year - (1 if start < -300 else 0)}-{n + 1:03d}",
                start_date=today + timedelta(days=start),
                end_date=today + timedelta(days=end),
                value=Decimal(value),
                rate_amount=Decimal(rate),
                rate_unit=RateUnit(unit),
                terms="Up to three days a week in term time; 20 school days' notice either way; "
                "invoiced monthly in arrears against the attendance recorded.",
            )
            upload = None
            if code == "HBEP" and n == 0:
                title = f"Signed contract {terms.reference}: {provider.name}"
                upload = register.Upload(demo_pdf(title), f"{terms.reference}-signed.pdf")
            contracts.create_contract(
                actor,
                partnership,
                school if by_school else None,
                provider,
                terms,
                upload,
                max_bytes=10 * 1024 * 1024,
            )


def _providers_used(partnership: Partnership) -> list[Provider]:
    """The demo providers a partnership uses, in the order DEMO_PROVIDERS lists them."""
    order = {name: n for n, (name, *_) in enumerate(DEMO_PROVIDERS)}
    using = db.session.scalars(select(Provider).where(Provider.partnerships.contains(partnership)))
    return sorted(using, key=lambda p: order.get(p.name, len(order)))


def _seed_visits(today: date) -> None:
    """Today's annual visit to the demo provider, led by HBEP with the demo head invited."""
    from qa_portal.visits import services as visits
    from qa_portal.visits.models import VisitType

    lead = db.session.scalars(select(User).where(User.email == "staff.hbep@example.org")).one()
    head = db.session.scalars(select(User).where(User.email == "head@example.org")).one()
    provider = db.session.scalars(
        select(Provider).where(Provider.name == DEMO_PROVIDERS[0][0])
    ).one()
    _seed_last_years_visit(provider, lead, head, today)
    visits.schedule_visit(
        lead,
        provider,
        visit_type=VisitType.ANNUAL,
        visit_date=today,
        lead=lead,
        invitees=[head],
        purpose="Annual QA visit",
        today=today,
        link=lambda visit: links.external("visits.detail", visit_id=visit.id),
    )


def _seed_concerns(today: date) -> None:
    """An open concern the demo head raised with HBEP, and one HBEP raised and resolved."""
    from qa_portal.concerns import services as concerns
    from qa_portal.concerns.models import ConcernCategory

    staff = db.session.scalars(select(User).where(User.email == "staff.hbep@example.org")).one()
    head = db.session.scalars(select(User).where(User.email == "head@example.org")).one()
    first, second = (
        db.session.scalars(select(Provider).where(Provider.name == name)).one()
        for name, *_ in DEMO_PROVIDERS[1:3]
    )
    concerns.raise_concern(
        head,
        first,
        category=ConcernCategory.ATTENDANCE,
        happened_on=today - timedelta(days=3),
        description="Two of our pupils were sent home at 1pm on Tuesday without a call to "
        "school or home; the provider said a member of staff was off sick.",
        pupils_involved="J.T., M.K.",
        today=today,
    )
    resolved = concerns.raise_concern(
        staff,
        second,
        category=ConcernCategory.PREMISES,
        happened_on=today - timedelta(days=40),
        description="The fire exit in the workshop was blocked by stored timber.",
        pupils_involved="",
        today=today,
    )
    concerns.resolve_concern(
        staff,
        resolved,
        resolution="The provider cleared the exit the same day and now checks it each "
        "morning; seen clear on a follow-up call and visit.",
        resolved_on=today - timedelta(days=33),
        today=today,
    )


def _seed_last_years_visit(provider: Provider, lead: User, head: User, today: date) -> None:
    """Last year's published visit, with its stored report, so today's checklist shows the
    previous ratings and notes beside each criterion and two actions still to check."""
    from qa_portal.frameworks.models import Rating
    from qa_portal.frameworks.services import current_framework
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
    from qa_portal.visits.reports import store_report

    held = today - timedelta(days=330)
    when = datetime.combine(held, datetime.min.time(), tzinfo=UTC) + timedelta(hours=14)
    framework = current_framework()
    visit = Visit(
        provider=provider,
        framework=framework,
        visit_type=VisitType.ANNUAL,
        visit_date=held,
        lead=lead,
        partnership_id=lead.partnership_id,
        purpose="Annual QA visit",
        status=VisitStatus.PUBLISHED,
        overall=Judgement.AMBER,
        strengths="Warm, consistent relationships; pupils attend well and speak highly of staff.",
        development="Keep the fire drill log current; plan English and maths for every pupil.",
        signed_off_at=when,
        signed_off_by_id=lead.id,
        published_at=when + timedelta(days=2),
    )
    visit.invitees.extend([VisitInvitee(user_id=lead.id), VisitInvitee(user_id=head.id)])
    db.session.add(visit)
    db.session.flush()
    amber = {
        ("health_safety", 2): "Fire drill log had a four-month gap.",
        ("teaching", 3): "English and maths not planned for two pupils.",
    }
    for area in framework.areas:
        ratings = []
        for criterion in area.criteria:
            note = amber.get((area.code, criterion.position), "")
            rating = (
                Rating.AMBER if note and Rating.AMBER in criterion.scale else criterion.scale[0]
            )
            ratings.append(rating)
            db.session.add(
                Answer(
                    visit_id=visit.id,
                    criterion_id=criterion.id,
                    rating=rating,
                    note=note or "Seen and in order.",
                    answered_at=when,
                    answered_by_id=lead.id,
                )
            )
        judgement = propose(ratings) or Judgement.GREEN
        visit.judgements.append(
            AreaJudgement(area_id=area.id, proposed=judgement, judgement=judgement)
        )
    visit.actions.extend(
        [
            FollowUpAction(
                description="Hold and log a fire drill every term.",
                owner="Centre manager",
                due_on=held + timedelta(days=60),
                status=ActionStatus.IN_PROGRESS,
                provider_response="Drills booked for each term; first one held.",
                responded_at=when + timedelta(days=20),
            ),
            FollowUpAction(
                description="Plan English and maths for every pupil, with the placing school.",
                owner="Education lead",
                due_on=held + timedelta(days=90),
            ),
        ]
    )
    db.session.flush()
    # Its report, rendered and stored as sign-off does, kept only if the seeding commits.
    store_report(visit)
