"""The end of a visit: area judgements proposed from the ratings, sign-off, the PDF report,
publication to the provider and its responses to follow-up actions."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from qa_portal import audit, inputs, outbox, policy, storage
from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.frameworks.models import FrameworkArea, Rating
from qa_portal.rules import RuleBroken
from qa_portal.visits.checklist import (
    AnswerRefused,
    answers_by_criterion,
    criterion_of,
    now_ms,
    observations_by_criterion,
)
from qa_portal.visits.models import (
    ActionStatus,
    Amendment,
    Answer,
    AnswerRevision,
    AreaJudgement,
    FollowUpAction,
    Judgement,
    Visit,
    VisitStatus,
)
from qa_portal.visits.photos import photos_by_criterion


class SignOffError(RuleBroken):
    """A rule of this area was broken."""


def propose(ratings: list[Rating | None]) -> Judgement | None:
    """The documented rule: any red or unmet compliance check makes the area red; otherwise
    any amber makes it amber; otherwise green if anything was rated; nothing rated, no proposal.
    "Not applicable" and "not seen" do not count."""
    given = set(ratings)
    if given & {Rating.RED, Rating.NOT_MET}:
        return Judgement.RED
    if Rating.AMBER in given:
        return Judgement.AMBER
    if given & {Rating.GREEN, Rating.MET}:
        return Judgement.GREEN
    return None


def proposals(visit: Visit) -> dict[int, Judgement | None]:
    answers = answers_by_criterion(visit)
    return {
        area.id: propose([answers[c.id].rating for c in area.criteria if c.id in answers])
        for area in visit.framework.areas
    }


def overall_proposal(judgements: list[Judgement | None]) -> Judgement | None:
    return propose([Rating(j.value) for j in judgements if j])


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


def publish(actor: User, visit: Visit, link: Callable[[Visit], str]) -> None:
    if visit.status is not VisitStatus.SIGNED_OFF:
        raise SignOffError("Only a signed-off visit can be published", "overall")
    visit.status, visit.published_at = VisitStatus.PUBLISHED, utcnow()
    for email in db.session.scalars(
        select(User.email).where(User.provider_id == visit.provider_id, User.disabled_at.is_(None))
    ):
        outbox.queue(
            email,
            f"QA visit report: {visit.provider.name}",
            f"The report of the {visit.visit_type.label.lower()} QA visit on "
            f"{visit.visit_date:%-d %B %Y} is ready, with "
            f"{len(visit.actions)} follow-up action(s) for you to answer:\n"
            f"{link(visit)}\n",
        )
    db.session.flush()
    audit.record("visit_published", actor=actor, target=visit, summary=f"Published {visit}")


def respond(actor: User, action: FollowUpAction, response: str, status: str) -> None:
    response = inputs.clean_text(response, field="response", label="Your response", max_length=2000)
    if not response:
        raise SignOffError("Enter your response", "response")
    try:
        action.status = ActionStatus(status)
    except ValueError:
        raise SignOffError("Choose where the action stands", "status") from None
    action.provider_response, action.responded_at = response, utcnow()
    db.session.flush()
    audit.record("action_answered", actor=actor, target=action, summary="Provider responded")


def amend(
    actor: User, visit: Visit, criterion_id: int, rating: str | None, note: str, reason: str
) -> Amendment:
    """Change one answer of a signed-off visit: the old and new answer, who and why are kept,
    and the stored report is made again. The signed judgements stand as they were signed."""
    _lock(visit)
    if visit.status not in (VisitStatus.SIGNED_OFF, VisitStatus.PUBLISHED):
        raise SignOffError(
            "The visit is not signed off yet: change the answer in the checklist", "criterion_id"
        )
    if not reason.strip():
        raise SignOffError("Say why the answer is being amended", "reason")
    try:
        criterion = criterion_of(visit, criterion_id)
    except AnswerRefused as exc:
        raise SignOffError(str(exc), "criterion_id") from exc
    if rating and rating not in {r.value for r in criterion.scale}:
        raise SignOffError("Choose a rating on this criterion's scale", "rating")
    new_rating, note = Rating(rating) if rating else None, note.strip()
    answer = answers_by_criterion(visit).get(criterion.id)
    old_rating, old_note = (answer.rating, answer.note) if answer else (None, "")
    if (new_rating, note) == (old_rating, old_note):
        raise SignOffError("That is the answer already recorded: nothing to amend", "rating")
    now = now_ms()
    if answer is None:
        answer = Answer(visit_id=visit.id, criterion_id=criterion.id)
        db.session.add(answer)
    answer.rating, answer.note, answer.answered_at, answer.answered_by_id = (
        new_rating,
        note,
        now,
        actor.id,
    )
    client_id = str(uuid.uuid4())
    db.session.add(
        AnswerRevision(
            client_id=client_id,
            payload_hash=hashlib.sha256(client_id.encode()).hexdigest(),
            visit_id=visit.id,
            criterion_id=criterion.id,
            rating=new_rating,
            note=note,
            answered_at=now,
            author_id=actor.id,
        )
    )
    amendment = Amendment(
        visit_id=visit.id,
        criterion_id=criterion.id,
        old_rating=old_rating,
        new_rating=new_rating,
        old_note=old_note,
        new_note=note,
        reason=reason.strip(),
        author_id=actor.id,
    )
    visit.amendments.append(amendment)
    db.session.flush()
    store_report(visit)
    audit.record(
        "visit_amended",
        actor=actor,
        target=visit,
        summary=f"Amended criterion {criterion.code} of {visit}: {reason.strip()[:200]}",
    )
    return amendment


def _lock(visit: Visit) -> None:
    """Lock the visit's row, then read everything afresh: of two amendments at once the second
    waits here for the first, then sees its answer and replaces the report it made, whatever
    the session had loaded before."""
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite locks the whole database for the first write, not rows for a read.
        db.session.execute(
            update(Visit).where(Visit.id == visit.id).values(report_key=Visit.report_key)
        )
    else:
        db.session.execute(select(Visit.id).where(Visit.id == visit.id).with_for_update()).one()
    db.session.expire_all()


def render_report(visit: Visit) -> bytes:
    # Imported here: WeasyPrint loads Pango when imported, and only reports need it.
    from qa_portal import pdf

    answers = answers_by_criterion(visit)
    grouped = photos_by_criterion(visit)
    backend = storage.get_storage()
    resources = {
        f"photo-{p.id}": (backend.get(p.thumbnail_key), "image/jpeg")
        for photos in grouped.values()
        for p in photos
    }
    areas = db.session.scalars(
        select(FrameworkArea)
        .where(FrameworkArea.framework_id == visit.framework_id)
        .order_by(FrameworkArea.position)
    )
    judgements = {j.area_id: j for j in visit.judgements}
    return pdf.render_pdf(
        "pdf/visit_report.html",
        resources=resources,
        visit=visit,
        areas=list(areas),
        answers=answers,
        photos=grouped,
        judgements=judgements,
        observations=observations_by_criterion(visit),
        criteria={c.id: c for area in visit.framework.areas for c in area.criteria},
    )


def store_report(visit: Visit) -> None:
    """Render and store the report. The file it replaces is deleted only once the new key is
    committed; if the transaction is rolled back, the new file goes instead."""
    data = render_report(visit)
    key = storage.put_pending(
        storage.new_key(f"visits/{visit.id}/reports", ".pdf"), data, "application/pdf"
    )
    if visit.report_key:
        storage.delete_after_commit(visit.report_key)
    visit.report_key = key
    db.session.flush()
