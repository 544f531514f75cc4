"""Saving what is recorded on the checklist - an area's page sent as a form, one answer from
the page's script or the phone's queue, one evidence photo - through one door: each save in a
savepoint, tried once more when it meets another save at the same moment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import IO, TypeVar

from sqlalchemy.exc import IntegrityError

from qa_portal.accounts.models import User
from qa_portal.db import db
from qa_portal.frameworks.outline import AreaOutline
from qa_portal.visits import checklist, photos
from qa_portal.visits.checklist import AnswerRefused
from qa_portal.visits.models import Photo, Visit

T = TypeVar("T")

ATTEMPTS = 2


class AreaRefused(AnswerRefused):
    """Something on an area's page cannot be stored, so none of the page is; the message
    lists every problem."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems), 422)
        self.problems = problems


def save_area(
    actor: User,
    visit: Visit,
    area: AreaOutline,
    form: Mapping[str, str],
    uploads: Mapping[str, IO[bytes]],
    *,
    observing: bool,
    max_bytes: int,
) -> None:
    """The page without JavaScript: each changed criterion saved under the client id the page
    carried, so the same page sent twice stores each answer once; `uploads` holds the photos
    chosen, by field name. An invited head's notes are saved as their observations. Stored
    whole or not at all (AreaRefused)."""
    now = checklist.now_ms()

    def save() -> None:
        problems = _save_area(actor, visit, area, form, uploads, observing, max_bytes, now)
        if problems:
            raise AreaRefused(problems)

    _once(visit, save, "Someone saved this area at the same moment: please send it again.")


def save_answer(actor: User, visit: Visit, body: bytes, *, observing: bool) -> tuple[str, str]:
    """One answer posted as JSON: ("stored" | "repeat", its client id). An observation when
    `observing` (an invited head's note, kept as theirs)."""
    answer = checklist.parse(checklist.decode(body), checklist.now_ms())
    save = checklist.save_observation if observing else checklist.save_answer
    outcome = _once(
        visit,
        lambda: save(actor, visit, answer),
        "The answer met another one at the same moment: sending again",
    )
    return outcome, answer.client_id


def add_photo(
    actor: User,
    visit: Visit,
    *,
    client_id: str,
    criterion_id: int | None,
    caption: str,
    data: bytes,
    max_bytes: int,
) -> tuple[str, Photo]:
    """One evidence photo: ("stored" | "repeat", the photo). Its files follow the savepoint
    they were stored in: a try that meets another leaves none behind."""
    return _once(
        visit,
        lambda: photos.add_photo(
            actor,
            visit,
            client_id=client_id,
            criterion_id=criterion_id,
            caption=caption,
            data=data,
            max_bytes=max_bytes,
        ),
        "The photo met another at the same moment: sending again",
    )


def _once(visit: Visit, save: Callable[[], T], collided: str) -> T:
    """`save` in a savepoint. Two saves at once - the same answer or photo sent twice, or two
    first answers to one criterion - meet on a unique index; the one that loses is rolled back
    to its savepoint and tried again, and then finds what the other stored (by its client id,
    or the criterion's answer to put its own on top of). A third at the same instant is asked
    to send again (503: the phone's queue does)."""
    _write_lock()
    for _ in range(ATTEMPTS):
        try:
            with db.session.begin_nested():
                return save()
        except IntegrityError:
            db.session.expire_all()  # what the other save changed is read afresh
            db.session.refresh(visit, ["provider"])  # named by audit lines, never lazy-loaded
    raise AnswerRefused(collided, 503)


def _write_lock() -> None:
    """On SQLite, take the database's one write lock before the savepoint. SQLite's savepoint
    outside a transaction would be the transaction itself (released means committed), and its
    reads would pin a snapshot that another writer's commit makes too old to write from."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _save_area(actor, visit, area, form, uploads, observing, max_bytes, now) -> list[str]:
    problems = []
    current = _current(actor, visit, observing)
    save = checklist.save_observation if observing else checklist.save_answer
    for criterion in area.criteria:
        if (upload := uploads.get(f"photo-{criterion.id}")) is not None:
            upload.seek(0)  # read again when the area is saved a second time
            try:
                photos.add_photo(
                    actor,
                    visit,
                    client_id=form.get(f"photo-client-{criterion.id}", ""),
                    criterion_id=criterion.id,
                    caption=form.get(f"caption-{criterion.id}", ""),
                    data=upload.read(),
                    max_bytes=max_bytes,
                )
            except AnswerRefused as exc:
                problems.append(f"Photo for criterion {criterion.position}: {exc}")
        rating = None if observing else form.get(f"rating-{criterion.id}") or None
        note = (form.get(f"note-{criterion.id}") or "").strip()
        if (rating, note) == _as_given(current.get(criterion.id), observing):
            continue
        payload = {
            "client_id": form.get(f"client-{criterion.id}"),
            "criterion_id": criterion.id,
            "rating": rating,
            "note": note,
            "answered_at": now.isoformat(),
        }
        try:
            save(actor, visit, checklist.parse(payload, now))
        except AnswerRefused as exc:
            problems.append(str(exc))
    return problems


def _current(actor: User, visit: Visit, observing: bool) -> dict:
    """What the page would change: the team's answers, or this head's own observations."""
    if not observing:
        return checklist.answers_by_criterion(visit)
    return {
        o.criterion_id: o
        for group in checklist.observations_by_criterion(visit).values()
        for o in group
        if o.author_id == actor.id
    }


def _as_given(old, observing: bool) -> tuple[str | None, str]:
    """The (rating, note) the page showed for a criterion, to tell whether it was changed."""
    if observing:
        return None, old.text if old else ""
    return (old.rating.value if old and old.rating else None), old.note if old else ""
