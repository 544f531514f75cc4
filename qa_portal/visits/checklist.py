"""Checklist answers: each saved as given, exactly once per client id, the latest kept."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from qa_portal.accounts.models import User
from qa_portal.db import db, utcnow
from qa_portal.frameworks.models import Criterion, FrameworkArea, Rating
from qa_portal.inputs import bounded_int, clean_text
from qa_portal.rules import RuleBroken
from qa_portal.visits.models import Answer, AnswerRevision, Observation, Visit, VisitStatus

CLIENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class AnswerRefused(RuleBroken):
    """The answer cannot be stored; `status` is the HTTP status that says why."""

    def __init__(self, message: str, status: int, field: str = ""):
        super().__init__(message, field)
        self.status = status


@dataclass(frozen=True)
class AnswerIn:
    client_id: str
    criterion_id: int
    rating: str | None
    note: str
    answered_at: datetime  # as kept: never later than the server's time
    # What the phone sent, before any capping: a retry of the same answer is the same hash
    # whatever the server's clock says by then.
    payload_hash: str


def decode(body: bytes) -> object:
    """A posted answer's JSON, read strictly: no Infinity or NaN, no nesting without end."""
    if not body.strip():
        raise AnswerRefused("The answer is empty: send it as a JSON object", 400)
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise AnswerRefused("The answer is not valid JSON: send it as a JSON object", 400) from None


def _no_constant(name: str) -> object:
    # Python reads Infinity and NaN by default; JSON has no such numbers, nor has any column.
    raise AnswerRefused(f"The answer holds {name}, which is not a number JSON allows", 400)


def parse(payload: object, now: datetime) -> AnswerIn:
    """Validate the shape of a posted answer; the rules that need the database come later."""
    if not isinstance(payload, dict):
        raise AnswerRefused("Send the answer as a JSON object", 400)
    client_id = str(payload.get("client_id", "")).lower()
    if not CLIENT_ID.fullmatch(client_id):
        raise AnswerRefused("The answer needs a client id (a UUID)", 400)
    if payload.get("criterion_id") is None:
        raise AnswerRefused("The answer does not say which criterion it is for", 400)
    rating = payload.get("rating")
    rating = None if rating == "" else rating
    if rating is not None and not isinstance(rating, str):
        raise AnswerRefused("The rating must be one of the criterion's ratings, as text", 422)
    try:
        criterion_id = bounded_int(
            payload["criterion_id"], field="criterion_id", label="The criterion id"
        )
        note = clean_text(payload.get("note"), field="note", label="A note")
    except RuleBroken as exc:
        raise AnswerRefused(str(exc), 422) from None
    raw_when = payload.get("answered_at")
    sent = _when(raw_when)
    # Hashed as sent (the time as the phone gave it, or whatever stood in its place), kept no
    # later than now: phone clocks drift.
    body = [criterion_id, rating, note, sent.isoformat() if sent else raw_when]
    digest = hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()
    kept = min(sent, now) if sent else now
    return AnswerIn(client_id, criterion_id, rating, note, kept, digest)


def _when(value: object) -> datetime | None:
    """When the phone says the answer was given, to the millisecond; None if it does not say."""
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    try:
        when.astimezone(UTC)
    except OverflowError:
        raise AnswerRefused("The time the answer was given is not a real time", 422) from None
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


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
    previous = repeat_of(visit, answer)
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


def repeat_of(visit: Visit, answer: AnswerIn) -> str | None:
    """ "repeat" if this client id was stored with the same answer on this visit, None if never
    seen; a conflict if it was used for another answer, or on another visit."""
    stored = db.session.execute(
        select(AnswerRevision.payload_hash, AnswerRevision.visit_id).where(
            AnswerRevision.client_id == answer.client_id
        )
    ).first()
    if stored is None:
        return None
    if stored.visit_id != visit.id:
        raise AnswerRefused("This answer id was already used on another visit", 409)
    if stored.payload_hash != answer.payload_hash:
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
    previous = repeat_of(visit, answer)
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
