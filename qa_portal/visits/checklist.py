"""Checklist answers: each saved as given, exactly once per client id, the latest kept."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.frameworks.models import Criterion, FrameworkArea, Rating
from qa_portal.visits.models import Answer, AnswerRevision, Observation, Visit, VisitStatus

CLIENT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NOTE_MAX = 4000


class AnswerRefused(Exception):
    """The answer cannot be stored; `status` is the HTTP status that says why."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class AnswerIn:
    client_id: str
    criterion_id: int
    rating: str | None
    note: str
    answered_at: datetime

    @property
    def payload_hash(self) -> str:
        body = json.dumps(
            [self.criterion_id, self.rating, self.note, self.answered_at.isoformat()],
            separators=(",", ":"),
        )
        return hashlib.sha256(body.encode()).hexdigest()


def parse(payload: object, now: datetime) -> AnswerIn:
    """Validate the shape of a posted answer; the rules that need the database come later."""
    if not isinstance(payload, dict):
        raise AnswerRefused("Send the answer as a JSON object", 400)
    client_id = str(payload.get("client_id", "")).lower()
    if not CLIENT_ID.match(client_id):
        raise AnswerRefused("The answer needs a client id (a UUID)", 400)
    try:
        criterion_id = int(payload.get("criterion_id"))
    except (TypeError, ValueError):
        raise AnswerRefused("The answer does not say which criterion it is for", 400) from None
    rating = payload.get("rating") or None
    note = payload.get("note") or ""
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        raise AnswerRefused(f"A note must be text of {NOTE_MAX} characters or fewer", 422)
    answered_at = _when(payload.get("answered_at"), now)
    return AnswerIn(client_id, criterion_id, rating, note.strip(), answered_at)


def _when(value: object, now: datetime) -> datetime:
    """When the answer was given on the phone: never later than now (phone clocks drift)."""
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return now
    if when.tzinfo is None:
        return now
    return min(when, now).replace(microsecond=when.microsecond // 1000 * 1000)


def criterion_of(visit: Visit, criterion_id: int) -> Criterion:
    criterion = db.session.scalars(
        select(Criterion)
        .join(FrameworkArea)
        .where(Criterion.id == criterion_id, FrameworkArea.framework_id == visit.framework_id)
    ).first()
    if criterion is None:
        raise AnswerRefused("This criterion is not part of this visit's framework version", 422)
    return criterion


def save_answer(actor: User, visit: Visit, answer: AnswerIn) -> str:
    """Store the answer and return "stored"; the same client id again returns "repeat"
    (nothing changes); the same client id with a different answer is refused as a conflict."""
    if not visit.is_open:
        raise AnswerRefused("This visit has been signed off: answers can no longer change", 409)
    previous = repeat_of(answer)
    if previous is not None:
        return previous
    criterion = criterion_of(visit, answer.criterion_id)
    if answer.rating is not None and answer.rating not in {r.value for r in criterion.scale}:
        raise AnswerRefused("That rating is not on this criterion's scale", 422)
    rating = Rating(answer.rating) if answer.rating else None
    _add_revision(actor, visit, criterion, answer, rating)
    # Locked (on PostgreSQL; SQLite has one writer at a time), so two answers for one
    # criterion at once compare their times one after the other. Two first answers at once
    # meet on the unique (visit, criterion) index instead: the caller tries the loser again.
    current = db.session.scalars(
        select(Answer)
        .where(Answer.visit_id == visit.id, Answer.criterion_id == criterion.id)
        .with_for_update()
    ).first()
    if current is None:
        db.session.add(
            Answer(
                visit_id=visit.id,
                criterion_id=criterion.id,
                rating=rating,
                note=answer.note,
                answered_at=answer.answered_at,
                answered_by_id=actor.id,
            )
        )
    elif answer.answered_at >= current.answered_at:
        # Two people on one criterion: the latest answer stands; both stay in the history.
        current.rating, current.note = rating, answer.note
        current.answered_at, current.answered_by_id = answer.answered_at, actor.id
    if visit.status is VisitStatus.SCHEDULED:
        visit.status = VisitStatus.IN_PROGRESS
    db.session.flush()
    return "stored"


def _add_revision(
    actor: User,
    visit: Visit,
    criterion: Criterion,
    answer: AnswerIn,
    rating: Rating | None,
    *,
    observation: bool = False,
) -> None:
    """The answer as it was sent, in the history: also what makes its client id seen."""
    db.session.add(
        AnswerRevision(
            client_id=answer.client_id,
            payload_hash=answer.payload_hash,
            visit_id=visit.id,
            criterion_id=criterion.id,
            rating=rating,
            note=answer.note,
            answered_at=answer.answered_at,
            author_id=actor.id,
            observation=observation,
        )
    )


def repeat_of(answer: AnswerIn) -> str | None:
    """ "repeat" if this client id was stored with the same answer, None if never seen."""
    stored = db.session.scalars(
        select(AnswerRevision.payload_hash).where(AnswerRevision.client_id == answer.client_id)
    ).first()
    if stored is None:
        return None
    if stored != answer.payload_hash:
        raise AnswerRefused("This answer id was already used for a different answer", 409)
    return "repeat"


def answers_by_criterion(visit: Visit) -> dict[int, Answer]:
    return {
        a.criterion_id: a
        for a in db.session.scalars(select(Answer).where(Answer.visit_id == visit.id))
    }


def now_ms() -> datetime:
    now = utcnow()
    return now - timedelta(microseconds=now.microsecond % 1000)


def save_observation(actor: User, visit: Visit, answer: AnswerIn) -> str:
    """An invited head's note on a criterion, kept as theirs beside the team's answer (a head
    does not rate: any rating sent is ignored). Exactly once per client id, like an answer."""
    if not visit.is_open:
        raise AnswerRefused(
            "This visit has been signed off: observations can no longer change", 409
        )
    previous = repeat_of(answer)
    if previous is not None:
        return previous
    criterion = criterion_of(visit, answer.criterion_id)
    _add_revision(actor, visit, criterion, answer, None, observation=True)
    current = db.session.scalars(
        select(Observation).where(
            Observation.visit_id == visit.id,
            Observation.criterion_id == criterion.id,
            Observation.author_id == actor.id,
        )
    ).first()
    if current is None:
        db.session.add(
            Observation(
                visit_id=visit.id,
                criterion_id=criterion.id,
                author_id=actor.id,
                text=answer.note,
                observed_at=answer.answered_at,
            )
        )
    elif answer.answered_at >= current.observed_at:
        current.text, current.observed_at = answer.note, answer.answered_at
    db.session.flush()
    return "stored"


def observations_by_criterion(visit: Visit) -> dict[int, list[Observation]]:
    grouped: dict[int, list[Observation]] = {}
    for observation in db.session.scalars(
        select(Observation)
        .where(Observation.visit_id == visit.id, Observation.text != "")
        .order_by(Observation.observed_at)
    ):
        grouped.setdefault(observation.criterion_id, []).append(observation)
    return grouped
