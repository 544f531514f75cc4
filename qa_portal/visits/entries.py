"""Everything recorded against a visit's criteria - answers, the previous visit's answers,
photos and heads' observations - read in one query, for the checklist page that is opened
for every area of every visit."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import Date, Integer, String, bindparam, literal, null, or_, select, union_all

from qa_portal import policy
from qa_portal.accounts.models import Role, User
from qa_portal.db import db
from qa_portal.frameworks.models import Criterion, FrameworkArea, Rating
from qa_portal.visits.models import Answer, Observation, Photo, Visit


class Entry(NamedTuple):
    """One answer, photo or observation: `text` is the note, caption or observation."""

    id: int
    criterion_id: int | None
    rating: Rating | None
    text: str
    author_id: int | None
    author_name: str | None
    author_role: Role | None


@dataclass
class VisitEntries:
    answers: dict[int, Entry] = field(default_factory=dict)
    # The provider's previous signed-off visit, by (area code, criterion code): a new
    # framework version keeps its codes, so last time's answer still finds its criterion.
    previous: dict[tuple[str, str], Entry] = field(default_factory=dict)
    photos: dict[int | None, list[Entry]] = field(default_factory=dict)
    observations: dict[int, list[Entry]] = field(default_factory=dict)

    def answered(self, criteria) -> int:
        return sum(1 for c in criteria if c.id in self.answers)


def previous_visit_id(visit_id, provider_id, visit_date, everyone, own_partnership):
    """The provider's last signed-off visit before this one that the reader may read (see
    `policy.earlier_visit_scope`), as a subquery."""
    return (
        select(Visit.id)
        .where(
            Visit.provider_id == provider_id,
            Visit.id != visit_id,
            Visit.visit_date <= visit_date,
            policy.previous_visit_condition(everyone, own_partnership),
        )
        .order_by(Visit.visit_date.desc(), Visit.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _params(visit: Visit, reader: User) -> dict:
    return {
        "visit_id": visit.id,
        "provider_id": visit.provider_id,
        "visit_date": visit.visit_date,
        **policy.earlier_visit_scope(reader),
    }


def previous_visit(visit: Visit, reader: User) -> Visit | None:
    """The provider's last signed-off visit before this one that `reader` may read."""
    return db.session.scalars(
        select(Visit).where(Visit.id == _previous_statement()), _params(visit, reader)
    ).first()


def _parameters():
    return (
        bindparam("visit_id", type_=Integer),
        bindparam("provider_id", type_=Integer),
        bindparam("visit_date", type_=Date),
        bindparam("everyone", type_=Integer),
        bindparam("own_partnership", type_=Integer),
    )


@cache
def _previous_statement():
    return previous_visit_id(*_parameters())


@cache
def _statement():
    """Built once, with the visit as parameters: the page is opened all day long, and building
    a statement of this size costs more than running it."""
    visit_id, provider_id, visit_date, everyone, own_partnership = _parameters()
    no_text = literal(None, type_=String)
    answers = (
        select(
            literal("answer").label("kind"),
            Answer.id,
            Answer.visit_id,
            Answer.criterion_id,
            Answer.rating,
            Answer.note.label("text"),
            Answer.answered_by_id.label("author_id"),
            User.name.label("author_name"),
            User.role.label("author_role"),
            FrameworkArea.code.label("area_code"),
            Criterion.code.label("criterion_code"),
        )
        .join(Criterion, Criterion.id == Answer.criterion_id)
        .join(FrameworkArea, FrameworkArea.id == Criterion.area_id)
        .outerjoin(User, User.id == Answer.answered_by_id)
        .where(
            or_(
                Answer.visit_id == visit_id,
                Answer.visit_id
                == previous_visit_id(visit_id, provider_id, visit_date, everyone, own_partnership),
            )
        )
    )
    photos = (
        select(
            literal("photo"),
            Photo.id,
            Photo.visit_id,
            Photo.criterion_id,
            null(),
            Photo.caption,
            Photo.author_id,
            User.name,
            User.role,
            no_text,
            no_text,
        )
        .outerjoin(User, User.id == Photo.author_id)
        .where(Photo.visit_id == visit_id)
    )
    observations = (
        select(
            literal("observation"),
            Observation.id,
            Observation.visit_id,
            Observation.criterion_id,
            null(),
            Observation.text,
            Observation.author_id,
            User.name,
            User.role,
            no_text,
            no_text,
        )
        .join(User, User.id == Observation.author_id)
        .where(Observation.visit_id == visit_id, Observation.text != "")
    )
    return union_all(answers, photos, observations)


def load(visit: Visit, reader: User) -> VisitEntries:
    result = VisitEntries()
    answers, previous = result.answers, result.previous
    photos, observations = result.photos, result.observations
    rows = db.session.execute(_statement(), _params(visit, reader)).tuples().all()
    rows.sort(key=itemgetter(0, 1))  # by kind, then in the order they were given
    for kind, id_, visit_id, criterion_id, rating, text, author_id, name, role, area, code in rows:
        entry = Entry(id_, criterion_id, rating, text or "", author_id, name, role)
        if kind == "photo":
            photos.setdefault(criterion_id, []).append(entry)
        elif kind == "observation":
            observations.setdefault(criterion_id, []).append(entry)
        elif visit_id == visit.id:
            answers[criterion_id] = entry
        else:
            previous[(area, code)] = entry
    return result
