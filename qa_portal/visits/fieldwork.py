"""What the visitors record at the provider besides the answers: the pupils they saw, and
what they found of the follow-up actions the provider's last visit left open."""

from __future__ import annotations

from sqlalchemy import select

from qa_portal import audit
from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.partnerships.models import School
from qa_portal.rules import RuleBroken
from qa_portal.visits.checklist import previous_visit
from qa_portal.visits.models import ActionStatus, FollowUpAction, PupilSeen, Visit

PUPIL_NAME_MAX = 120


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
    visit.pupils.remove(pupil)
    db.session.flush()
    audit.record("pupil_seen_removed", actor=actor, target=visit, summary=f"Pupil removed, {visit}")


def actions_to_check(visit: Visit) -> list[FollowUpAction]:
    """The follow-up actions the provider's previous signed-off visit left not done."""
    before = previous_visit(visit)
    if before is None:
        return []
    return list(
        db.session.scalars(
            select(FollowUpAction)
            .where(FollowUpAction.visit_id == before.id)
            .order_by(FollowUpAction.status == ActionStatus.DONE, FollowUpAction.due_on)
        )
    )


def check_action(
    actor: User, visit: Visit, action: FollowUpAction, status: str, note: str
) -> FollowUpAction:
    """What this visit found of an earlier visit's action: its status now, and a note."""
    if not visit.is_open:
        raise FieldworkError("The visit is signed off: checks can no longer change", "status")
    if action not in actions_to_check(visit):
        raise FieldworkError("That action is not one of the last visit's", "status")
    try:
        action.status = ActionStatus(status)
    except ValueError:
        raise FieldworkError("Choose what you found: open, in progress or done", "status") from None
    action.check_note, action.checked_at, action.checked_by_id = note.strip(), utcnow(), actor.id
    db.session.flush()
    audit.record(
        "action_checked",
        actor=actor,
        target=action,
        summary=f"Checked on {visit}: {action.status.label}",
    )
    return action
