"""Amending a signed-off visit: one answer at a time, the old and new kept with the reason."""

from __future__ import annotations

import hashlib
import uuid

from sqlalchemy import select, update

from qa_portal import audit
from qa_portal.accounts.models import User
from qa_portal.db import db
from qa_portal.frameworks.models import Rating
from qa_portal.visits.checklist import AnswerRefused, answers_by_criterion, criterion_of, now_ms
from qa_portal.visits.models import Amendment, Answer, AnswerRevision, Visit, VisitStatus
from qa_portal.visits.reports import store_report
from qa_portal.visits.signoff import SignOffError


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
    db.session.refresh(visit, ["provider"])  # the report names it, and it is never lazy-loaded
