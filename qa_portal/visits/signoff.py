"""Signing a visit off: its follow-up actions, the area and overall judgements, then the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import update

from qa_portal import audit, inputs, policy
from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.frameworks.models import FrameworkArea
from qa_portal.rules import RuleBroken
from qa_portal.visits.judgements import proposals
from qa_portal.visits.models import (
    AreaJudgement,
    FollowUpAction,
    Judgement,
    Visit,
    VisitStatus,
)
from qa_portal.visits.reports import store_report


class SignOffError(RuleBroken):
    """A rule of this area was broken."""


@dataclass(frozen=True)
class AreaDecision:
    judgement: str | None
    reason: str


def add_action(
    actor: User, visit: Visit, description: str, owner: str, due_on: date, today: date
) -> FollowUpAction:
    if not visit.is_open:
        raise SignOffError("The visit is signed off: actions can no longer be added", "description")
    if due_on < today:
        raise SignOffError("The due date must be today or later", "due_on")
    action = FollowUpAction(
        visit_id=visit.id, description=description.strip(), owner=owner.strip(), due_on=due_on
    )
    db.session.add(action)
    db.session.flush()
    audit.record("action_added", actor=actor, target=action, summary=f"Action on {visit}")
    return action


def sign_off(
    actor: User,
    visit: Visit,
    decisions: dict[int, AreaDecision],
    overall: str | None,
    strengths: str,
    development: str,
) -> None:
    if not visit.is_open:
        raise SignOffError("This visit is already signed off", "overall")
    if not policy.can(actor, "sign_off", visit):
        raise SignOffError("Only the visit's lead can sign it off", "overall")
    strengths = inputs.clean_text(strengths, field="strengths", label="Strengths")
    development = inputs.clean_text(development, field="development", label="Areas for development")
    overall_judgement = _judgement(overall, "overall", "the overall judgement")
    _claim(visit)
    proposed = proposals(visit)
    visit.judgements.clear()
    db.session.flush()
    for area in visit.framework.areas:
        visit.judgements.append(_area_judgement(area, decisions, proposed[area.id]))
    if overall_judgement is None:
        raise SignOffError("Choose the overall judgement", "overall")
    visit.overall = overall_judgement
    visit.strengths, visit.development = strengths, development
    visit.status, visit.signed_off_at, visit.signed_off_by_id = (
        VisitStatus.SIGNED_OFF,
        utcnow(),
        actor.id,
    )
    db.session.flush()
    store_report(visit)
    audit.record("visit_signed_off", actor=actor, target=visit, summary=f"Signed off {visit}")


def _judgement(value: str | None, field: str, label: str) -> Judgement | None:
    if not value:
        return None
    try:
        return Judgement(value)
    except ValueError:
        raise SignOffError(f"Choose green, amber or red for {label}", field) from None


def _area_judgement(
    area: FrameworkArea, decisions: dict[int, AreaDecision], proposed: Judgement | None
) -> AreaJudgement:
    decision = decisions.get(area.id) or AreaDecision(None, "")
    reason = inputs.clean_text(
        decision.reason, field=f"reason-{area.id}", label=f"The reason for {area.name}"
    )
    chosen = _judgement(decision.judgement, f"area-{area.id}", area.name) or proposed
    if chosen is None:
        raise SignOffError(f"Judge {area.name}: nothing in it was rated", f"area-{area.id}")
    if chosen is not proposed and not reason:
        raise SignOffError(
            f"Give the reason for changing the judgement of {area.name}", f"reason-{area.id}"
        )
    return AreaJudgement(
        area_id=area.id, proposed=proposed, judgement=chosen, override_reason=reason
    )


def _claim(visit: Visit) -> None:
    """Mark the visit signed off in the database first, only if it is still open: of two
    sign-offs at once, the second waits for the first (PostgreSQL locks the row) or finds it
    already changed, and is told so instead of meeting the first one's judgements."""
    claimed = db.session.execute(
        update(Visit)
        .where(
            Visit.id == visit.id,
            Visit.status.in_((VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)),
        )
        .values(status=VisitStatus.SIGNED_OFF)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise SignOffError("This visit is already signed off", "overall")
