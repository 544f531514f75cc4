"""Rules for partnerships and schools: edits, and loading the reference list."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import aliased

from qa_portal import audit
from qa_portal.db import db
from qa_portal.inputs import name_key
from qa_portal.partnerships.models import Partnership, School
from qa_portal.rules import RuleBroken

REFERENCE_CSV = Path(__file__).resolve().parent.parent / "data" / "partnership_schools.csv"


class PartnershipError(RuleBroken):
    """A rule was broken; the message is shown next to the field."""


def with_school_counts(partnerships: Select[tuple[Partnership]]) -> list[Row]:
    """Each partnership of the query with its number of member schools, in one query."""
    member = aliased(School)
    count = (
        select(func.count(member.id))
        .where(member.partnership_id == Partnership.id)
        .correlate(Partnership)
        .scalar_subquery()
    )
    return list(db.session.execute(partnerships.add_columns(count.label("schools"))))


def providers_used(partnership: Partnership) -> int:
    """How many providers on the register the partnership uses."""
    from qa_portal.providers.models import provider_partnerships

    return db.session.scalar(
        select(func.count())
        .select_from(provider_partnerships)
        .where(provider_partnerships.c.partnership_id == partnership.id)
    )


def school_name_taken(name: str, exclude_id: int | None = None) -> bool:
    stmt = select(School.id).where(School.name_key == name_key(name))
    if exclude_id is not None:
        stmt = stmt.where(School.id != exclude_id)
    return db.session.scalar(stmt) is not None


def update_partnership(actor, partnership: Partnership, *, name: str, area: str) -> dict:
    diff = audit.changes(partnership, {"name": name.strip(), "area": area.strip()})
    if diff:
        audit.record(
            "partnership_changed",
            actor=actor,
            target=partnership,
            summary=f"Changed partnership {partnership.code}",
            details=diff,
        )
    return diff


def create_school(actor, *, name: str, partnership: Partnership) -> School:
    if school_name_taken(name):
        raise PartnershipError("A school with this name already exists", "name")
    school = School(name=name.strip(), partnership=partnership)
    db.session.add(school)
    db.session.flush()
    audit.record(
        "school_created",
        actor=actor,
        target=school,
        summary=f"Added {school.name} to {partnership.code}",
    )
    return school


def update_school(actor, school: School, *, name: str, partnership: Partnership) -> dict:
    if school_name_taken(name, exclude_id=school.id):
        raise PartnershipError("A school with this name already exists", "name")
    diff = audit.changes(school, {"name": name.strip(), "partnership_id": partnership.id})
    if diff:
        db.session.flush()
        audit.record(
            "school_changed",
            actor=actor,
            target=school,
            summary=f"Changed school {school.name}",
            details=diff,
        )
    return diff


def load_reference(path: Path = REFERENCE_CSV) -> tuple[int, int]:
    """Create or update partnerships and schools from the reference CSV; returns counts added."""
    added_partnerships = added_schools = 0
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_code = {p.code: p for p in db.session.scalars(select(Partnership))}
    schools = {s.name_key: s for s in db.session.scalars(select(School))}
    for row in rows:
        code = row["partnership_code"].strip()
        partnership = by_code.get(code)
        if partnership is None:
            partnership = Partnership(
                code=code, name=row["partnership_name"].strip(), area=row["area"].strip()
            )
            db.session.add(partnership)
            by_code[code] = partnership
            added_partnerships += 1
        name = row["school_name"].strip()
        if name_key(name) not in schools:
            school = School(name=name, partnership=partnership)
            db.session.add(school)
            schools[school.name_key] = school
            added_schools += 1
    db.session.flush()
    if added_partnerships or added_schools:
        audit.record(
            "reference_loaded",
            summary=f"Loaded {added_partnerships} partnerships and "
            f"{added_schools} schools from {path.name}",
        )
    return added_partnerships, added_schools
