"""Build valid records in one line."""

from __future__ import annotations

import itertools
from datetime import date

from PIL import Image, ImageChops
from sqlalchemy import select

from qa_portal.accounts.models import Role, User
from qa_portal.accounts.services import set_password
from qa_portal.db import db
from qa_portal.partnerships.models import Partnership, School
from qa_portal.providers.models import Provider
from qa_portal.visits.models import Visit, VisitInvitee, VisitType

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def partnership(code: str = "HBEP") -> Partnership:
    return db.session.scalars(select(Partnership).where(Partnership.code == code)).one()


def school(code: str = "HBEP", index: int = 0) -> School:
    return partnership(code).schools[index]


def provider(name: str | None = None) -> Provider:
    # Given empty, the raise-loaded collections are loaded: tests add to them as they need.
    record = Provider(
        name=name or f"Test Provider {next(_counter)}", vocational_areas=[], partnerships=[]
    )
    db.session.add(record)
    db.session.flush()
    return record


def user(role: Role | str = Role.ADMIN, *, password: str | None = PASSWORD, **fields) -> User:
    """A user of the role, given the affiliation the role needs unless one is passed."""
    role = Role(role)
    n = next(_counter)
    fields.setdefault("email", f"{role.value}{n}@example.org")
    fields.setdefault("name", f"Test {role.label} {n}")
    if role is Role.STAFF and "partnership" not in fields:
        fields["partnership"] = partnership("HBEP")
    if role is Role.HEAD and "school" not in fields:
        fields["school"] = school("HBEP")
    if role is Role.PROVIDER and "provider" not in fields:
        fields["provider"] = provider()
    for link in ("partnership", "school", "provider"):  # the affiliation, all of it loaded
        fields.setdefault(link, None)
    record = User(role=role, **fields)
    if password:
        set_password(record, password)
    db.session.add(record)
    db.session.flush()
    return record


def pdf_bytes(text: str = "Certificate") -> bytes:
    """A small, valid one-page PDF."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def kind(code: str):
    from qa_portal.providers.models import ComplianceKind

    return db.session.scalars(select(ComplianceKind).where(ComplianceKind.code == code)).one()


def item(
    provider_record,
    code: str,
    *,
    expiry=None,
    status=None,
    cover=None,
    issue=None,
    stored: bool = False,
    **fields,
):
    """A compliance item; `stored=True` uploads a real PDF through the storage backend."""
    from datetime import date, timedelta

    from qa_portal.providers import services
    from qa_portal.providers.models import ComplianceItem, ItemStatus

    kind_record = kind(code)
    expiry = (
        expiry
        if expiry is not None
        else (date.today() + timedelta(days=200) if kind_record.expires else None)
    )
    if cover is None and kind_record.needs_cover_amount:
        cover = kind_record.min_cover_amount or 5_000_000
    if stored:
        actor = fields.pop("actor", None) or user("admin")
        record = services.add_item(
            actor,
            provider_record,
            kind_record,
            services.Evidence("REF-1", issue, expiry, cover),
            services.Upload(pdf_bytes(), "certificate.pdf"),
            max_bytes=10_000_000,
            verify_now=status is ItemStatus.VERIFIED,
        )
        return record
    if (status or ItemStatus.VERIFIED) is ItemStatus.VERIFIED:  # it renews the verified one
        for older in db.session.scalars(
            select(ComplianceItem).where(
                ComplianceItem.provider == provider_record,
                ComplianceItem.kind == kind_record,
                ComplianceItem.status == ItemStatus.VERIFIED,
            )
        ):
            older.status = ItemStatus.SUPERSEDED
        db.session.flush()
    record = ComplianceItem(
        provider=provider_record,
        kind=kind_record,
        reference=f"REF-{next(_counter)}",
        issue_date=issue,
        expiry_date=expiry,
        cover_amount=cover,
        document_key=f"test/{next(_counter)}.pdf",
        document_name="certificate.pdf",
        document_type="application/pdf",
        document_size=100,
        document_sha256=f"{next(_counter):064d}",
        status=status or ItemStatus.VERIFIED,
        **fields,
    )
    db.session.add(record)
    db.session.flush()
    return record


def compliant_provider(name: str | None = None, **fields):
    """A provider with verified, current evidence for every kind required of it."""
    from qa_portal.providers.compliance import active_kinds, is_required

    record = provider(name)
    for field_name, value in fields.items():
        setattr(record, field_name, value)
    for kind_record in active_kinds():
        if is_required(kind_record, record):
            item(record, kind_record.code)
    return record


def visit(lead: User, at: Provider | None = None, invited=(), **fields) -> Visit:
    """A visit led by `lead` for their partnership: annual, today, on the current framework
    (unless `fields` say otherwise), with `invited` users as invitees."""
    from qa_portal.frameworks import services as frameworks

    record = Visit(
        provider=at or provider(),
        framework=frameworks.current_framework(),
        visit_type=VisitType.ANNUAL,
        visit_date=date.today(),
        lead=lead,
        partnership_id=lead.partnership_id,
    )
    for field_name, value in fields.items():
        setattr(record, field_name, value)
    record.invitees.extend(VisitInvitee(user_id=user.id) for user in invited)
    db.session.add(record)
    db.session.flush()
    return record


def photo_like(index: int, size: tuple[int, int] = (1600, 1200)):
    """A photo-like picture (shapes, gradients, coarse grain), different for each index: its
    processed copy is about 320 KB and its 800 px copy about 90 KB, as a detailed phone photo's."""
    texture = Image.effect_mandelbrot(size, (-2.0 + 0.07 * index, -1.1, 0.9, 1.1), 40 + index)
    light = Image.linear_gradient("L").rotate(20 * index).resize(size)
    sky = Image.radial_gradient("L").resize(size)
    grain = Image.effect_noise((size[0] // 2, size[1] // 2), 12).resize(size)
    channels = (
        ImageChops.blend(texture, light, 0.4),
        light,
        ImageChops.blend(sky, texture, 0.3),
    )
    return Image.merge("RGB", [ImageChops.add(c, grain, offset=-128) for c in channels])


def contract(
    at: Provider | None = None,
    partnership_code: str = "HBEP",
    school_record: School | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    **fields,
):
    """A contract of the partnership (commissioned by `school_record` when given) with `at`,
    running from 100 days ago for a year unless `start` and `end` say otherwise."""
    from datetime import timedelta
    from decimal import Decimal

    from qa_portal.contracts.models import Contract, RateUnit

    start = start or date.today() - timedelta(days=100)
    record = Contract(
        partnership_id=partnership(partnership_code).id,
        school_id=school_record.id if school_record else None,
        provider=at or provider(),
        reference=fields.pop("reference", f"CON-{next(_counter):05d}"),
        start_date=start,
        end_date=end or start + timedelta(days=365),
        value=fields.pop("value", Decimal("12000.00")),
        rate_amount=fields.pop("rate_amount", Decimal("95.00")),
        rate_unit=fields.pop("rate_unit", RateUnit.DAY),
        **fields,
    )
    db.session.add(record)
    db.session.flush()
    return record


def upn(serial: int | None = None, temporary: bool = False) -> str:
    """A valid UPN (Leicestershire's authority number, 855), unique unless `serial` is given."""
    from qa_portal.pupils.services import with_check_letter

    n = next(_counter) if serial is None else serial
    tail = f"{n % 100:02d}{'ABCDEFGHJK'[n % 10]}" if temporary else f"{n % 1000:03d}"
    return with_check_letter(f"855{n // 1000 % 10000:04d}26{tail}")


def born_in_year(year_group: int, today=None) -> date:
    """A date of birth that puts a pupil in `year_group` this academic year, by age."""
    from qa_portal import clock
    from qa_portal.pupils.models import academic_year

    year = academic_year(today or clock.today())
    return date(year - year_group - 4, 1, 15)


def pupil(school_record=None, *, year_group: int = 9, **fields):
    """A pupil on the roll of `school_record` (an HBEP school unless given), in `year_group`."""
    from qa_portal.pupils.models import Ethnicity, Gender, Pupil

    n = next(_counter)
    fields.setdefault("first_names", f"Sam{n}")
    fields.setdefault("last_name", f"Pupil{n}")
    fields.setdefault("upn", upn(n))
    fields.setdefault("date_of_birth", born_in_year(year_group))
    fields.setdefault("gender", Gender.FEMALE)
    fields.setdefault("ethnicity", Ethnicity.WBRI)
    record = Pupil(school=school_record or school("HBEP"), **fields)
    db.session.add(record)
    db.session.flush()
    return record


def concern(raiser: User, at: Provider | None = None, **fields):
    """An open concern raised by `raiser` (a head or staff) about a provider, a week ago."""
    from datetime import timedelta

    from qa_portal import clock
    from qa_portal.concerns.models import Concern, ConcernCategory

    school = db.session.get(School, raiser.school_id) if raiser.role is Role.HEAD else None
    record = Concern(
        provider=at or provider(),
        partnership_id=school.partnership_id if school else raiser.partnership_id,
        school=school,
        category=ConcernCategory.ATTENDANCE,
        happened_on=clock.today() - timedelta(days=7),
        description="Pupils sent home early twice this week",
        pupils_involved="J.S.",
        raised_by=raiser,
    )
    for field_name, value in fields.items():
        setattr(record, field_name, value)
    db.session.add(record)
    db.session.flush()
    return record


def resolve(record, by: User, **fields):
    """Record `record` as resolved by `by` today."""
    from qa_portal import clock
    from qa_portal.db import utcnow

    record.resolution = fields.pop("resolution", "Agreed a new timetable with the provider")
    record.resolved_on = fields.pop("resolved_on", clock.today())
    record.resolved_by = by
    record.resolved_at = utcnow()
    db.session.flush()
    return record


def placement(pupil_record=None, at: Provider | None = None, *, start=None, **fields):
    """A placement of `pupil_record` (a new HBEP pupil unless given) with `at` (a compliant
    provider unless given), from 30 days ago, open-ended, with one target and a review
    planned within the half term, unless `fields` say otherwise."""
    from datetime import timedelta
    from decimal import Decimal

    from qa_portal.placements.models import (
        Placement,
        ReviewDate,
        Target,
        TargetArea,
        Transport,
    )

    start = start or date.today() - timedelta(days=30)
    targets = fields.pop("targets", None) or [
        Target(position=0, area=TargetArea.ATTENDANCE, description="Attend 90% of sessions")
    ]
    reviews = fields.pop("review_dates", None)
    record = Placement(
        pupil=pupil_record or pupil(),
        provider=at or compliant_provider(),
        start_date=start,
        days_per_week=fields.pop("days_per_week", 2),
        sessions_per_week=fields.pop("sessions_per_week", 4),
        hours_per_week=fields.pop("hours_per_week", Decimal("10.0")),
        transport=fields.pop("transport", Transport.TAXI),
        intervention=fields.pop("intervention", "Motor vehicle skills, two days a week"),
        objectives=fields.pop("objectives", "Re-engage with learning; attend regularly"),
        reintegration_plan=fields.pop("reintegration_plan", "One day back in school from spring"),
        reporting=fields.pop("reporting", "Attendance daily by email; a termly return"),
        **fields,
    )
    record.targets = targets
    due = reviews if reviews is not None else [start + timedelta(days=42)]
    record.review_dates = [ReviewDate(due_on=d) for d in due]
    record.next_review_on = min(due) if due and record.finish_date is None else None
    db.session.add(record)
    db.session.flush()
    return record
