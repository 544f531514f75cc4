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
