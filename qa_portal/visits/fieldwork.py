"""What the visitors record at the provider besides the answers: the pupils they saw (ticked
from the provider's placements, or free text for someone not listed), and what they found of
the follow-up actions the provider's last visit left open."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from qa_portal import audit
from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.partnerships.models import School
from qa_portal.placements.models import Placement
from qa_portal.pupils.models import Pupil, academic_year
from qa_portal.rules import RuleBroken
from qa_portal.visits.entries import previous_visit
from qa_portal.visits.models import ActionCheck, ActionStatus, FollowUpAction, PupilSeen, Visit

PUPIL_NAME_MAX = 120
# The most pupils the tick list shows (a provider has tens placed at once): the page stays
# bounded, and anyone beyond is recorded as someone not listed.
PLACED_SHOWN = 200


class FieldworkError(RuleBroken):
    """A rule of this area was broken."""


def add_pupil(actor: User, visit: Visit, name: str, school: School | None, note: str) -> PupilSeen:
    """Record a pupil seen. Names never go into the phone's offline queue: this needs a signal."""
    if not visit.is_open:
        raise FieldworkError("The visit is signed off: pupils seen can no longer change", "name")
    name = " ".join(name.split())
    if not name:
        raise FieldworkError("Enter the pupil's name or initials", "name")
    if len(name) > PUPIL_NAME_MAX:
        raise FieldworkError(f"Keep the name to {PUPIL_NAME_MAX} characters or fewer", "name")
    pupil = PupilSeen(
        visit_id=visit.id,
        name=name,
        school_id=school.id if school else None,
        note=note.strip()[:500],
        recorded_by_id=actor.id,
    )
    visit.pupils.append(pupil)
    db.session.flush()
    audit.record("pupil_seen_added", actor=actor, target=visit, summary=f"Pupil seen on {visit}")
    return pupil


def remove_pupil(actor: User, visit: Visit, pupil_id: int) -> None:
    if not visit.is_open:
        raise FieldworkError("The visit is signed off: pupils seen can no longer change", "name")
    pupil = next((p for p in visit.pupils if p.id == pupil_id), None)
    if pupil is None:
        raise FieldworkError("That pupil is not recorded on this visit", "name")
    linked = db.session.get(Pupil, pupil.pupil_id) if pupil.pupil_id is not None else None
    visit.pupils.remove(pupil)
    db.session.flush()
    audit.record(
        "pupil_seen_removed",
        actor=actor,
        target=visit,
        summary=f"Pupil removed, {visit}",
        pupil=linked,
    )


def placed_on_visit_day(visit: Visit) -> Select[tuple[int]]:
    """The pupils with a placement at the visit's provider that ran on the visit's date: it
    had started, and had not finished before that day."""
    return select(Placement.pupil_id).where(
        Placement.provider_id == visit.provider_id,
        Placement.start_date <= visit.visit_date,
        or_(Placement.finish_date.is_(None), Placement.finish_date >= visit.visit_date),
    )


@dataclass(frozen=True)
class Placed:
    """A pupil on the tick list: placed at the provider on the visit's date."""

    pupil: Pupil
    year_group: int
    seen: bool  # already recorded as seen on this visit

    @property
    def label(self) -> str:
        return f"{self.pupil.name}, year {self.year_group}, {self.pupil.school.name}"


def placed_pupils(visit: Visit, readable: Select[tuple[Pupil]]) -> list[Placed]:
    """The tick list: the pupils placed at the provider on the visit's date, among the
    `readable` ones (`policy.pupils_for` the user), by name, with their school, in one query
    whatever the number of placements."""
    stmt = (
        readable.where(Pupil.id.in_(placed_on_visit_day(visit)))
        .options(joinedload(Pupil.school))
        .limit(PLACED_SHOWN)
    )
    year = academic_year(visit.visit_date)
    seen = {p.pupil_id for p in visit.pupils if p.pupil_id is not None}
    return [Placed(p, p.year_group(year), p.id in seen) for p in db.session.scalars(stmt)]


def record_placed_pupils(
    actor: User, visit: Visit, listed: list[Placed], ticked: set[int]
) -> tuple[int, int]:
    """Make the pupils seen among `listed` (the tick list the actor was shown) the `ticked`
    ones: a row linked to each newly ticked pupil, with the name and school copied, and the
    linked rows of those unticked removed. Rows the actor was not shown - free text, or
    pupils they may not see - stay as they are. An id not on the list is refused and nothing
    changes. Returns how many were added and removed."""
    if not visit.is_open:
        raise FieldworkError("The visit is signed off: pupils seen can no longer change", "pupils")
    offered = {item.pupil.id: item.pupil for item in listed}
    if not ticked <= offered.keys():
        raise FieldworkError(
            "Tick only pupils placed with this provider on the visit's date", "pupils"
        )
    linked = {p.pupil_id: p for p in visit.pupils if p.pupil_id in offered}
    added = [offered[i] for i in sorted(ticked - linked.keys())]
    removed = [linked[i] for i in sorted(linked.keys() - ticked)]
    for pupil in added:
        visit.pupils.append(
            PupilSeen(
                pupil_id=pupil.id,
                name=pupil.name,
                school_id=pupil.school_id,
                recorded_by_id=actor.id,
            )
        )
    for row in removed:
        visit.pupils.remove(row)
    db.session.flush()
    for pupil in added:
        audit.record(
            "pupil_seen_added",
            actor=actor,
            target=visit,
            summary=f"Pupil seen on {visit}",
            pupil=pupil,
        )
    for row in removed:
        audit.record(
            "pupil_seen_removed",
            actor=actor,
            target=visit,
            summary=f"Pupil removed, {visit}",
            pupil=offered[row.pupil_id],
        )
    return len(added), len(removed)


@dataclass(frozen=True)
class ToCheck:
    action: FollowUpAction
    check: ActionCheck | None  # what this visit found, once recorded


def actions_to_check(visit: Visit, reader: User) -> list[ToCheck]:
    """The follow-up actions the provider's previous signed-off visit (one `reader` may read)
    left not done, each with what this visit found of it."""
    before = previous_visit(visit, reader)
    if before is None:
        return []
    actions = db.session.scalars(
        select(FollowUpAction)
        .where(FollowUpAction.visit_id == before.id, FollowUpAction.status != ActionStatus.DONE)
        .order_by(FollowUpAction.due_on, FollowUpAction.id)
    ).all()
    checks = {
        c.action_id: c
        for c in db.session.scalars(select(ActionCheck).where(ActionCheck.visit_id == visit.id))
    }
    return [ToCheck(action, checks.get(action.id)) for action in actions]


def check_action(actor: User, visit: Visit, action_id: int, status: str, note: str) -> ActionCheck:
    """Record what this visit found of an earlier visit's action: where it stands and a note.
    The earlier visit and the provider's own response are left as they were."""
    if not visit.is_open:
        raise FieldworkError("The visit is signed off: checks can no longer change", "status")
    if action_id not in {item.action.id for item in actions_to_check(visit, actor)}:
        raise FieldworkError("That action is not one of the last visit's", "status")
    try:
        found = ActionStatus(status)
    except ValueError:
        raise FieldworkError("Choose what you found: open, in progress or done", "status") from None
    check = db.session.scalars(
        select(ActionCheck).where(
            ActionCheck.visit_id == visit.id, ActionCheck.action_id == action_id
        )
    ).first()
    if check is None:
        check = ActionCheck(visit_id=visit.id, action_id=action_id)
        db.session.add(check)
    check.status, check.note = found, (note or "").strip()
    check.checked_by_id, check.checked_at = actor.id, utcnow()
    db.session.flush()
    audit.record(
        "action_checked", actor=actor, target=visit, summary=f"Action checked: {found.label}"
    )
    return check
