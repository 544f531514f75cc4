"""The synthetic demo data set: real partnerships and schools, invented people and providers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from qa_portal import audit
from qa_portal.accounts.models import Role, User
from qa_portal.accounts.services import set_password
from qa_portal.db import db, utcnow
from qa_portal.partnerships.models import Partnership, School
from qa_portal.partnerships.services import load_reference
from qa_portal.providers.models import Provider

DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 (synthetic demo accounts only)


class DemoMarker(db.Model):
    """Present when the database was created by the demo command (and so holds no real data)."""

    __tablename__ = "demo_marker"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[str] = mapped_column(String(32))


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
    partnerships = {p.code: p for p in db.session.scalars(select(Partnership))}
    hbep_school = db.session.scalars(
        select(School).join(Partnership).where(Partnership.code == "HBEP").order_by(School.name)
    ).first()
    provider = Provider(name="Riverside Motor Skills CIC")
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
    db.session.add(DemoMarker(version="1"))
    db.session.flush()
    audit.record("demo_seeded", summary="Demo data created")
    return True
