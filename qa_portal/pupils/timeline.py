"""A pupil's timeline: everything recorded about the pupil, newest first, from every feature.

A feature adds its events with `@source`: a function of (pupil, user) returning `Event`s
the user may see, in one query. Placements (with their reviews) and the visits a pupil was
seen on add theirs; termly returns will add one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from qa_portal.accounts.models import User
from qa_portal.audit import AuditEvent
from qa_portal.db import db
from qa_portal.pupils.models import Pupil

# The record's own history shown: the latest this many changes (views are in the audit log).
HISTORY_SHOWN = 50


@dataclass(frozen=True)
class Event:
    when: datetime
    kind: str  # what happened, in a word or two: "Record created", "Placement started"
    text: str  # one line about it
    who: str = ""
    href: str = ""  # where to read more, when the event has a page of its own


Source = Callable[[Pupil, User], Iterable[Event]]
SOURCES: list[Source] = []


def source(fn: Source) -> Source:
    """Register a source of timeline events."""
    SOURCES.append(fn)
    return fn


def timeline(pupil: Pupil, user: User) -> list[Event]:
    """Every source's events for this pupil, newest first."""
    events = [event for fn in SOURCES for event in fn(pupil, user)]
    return sorted(events, key=lambda e: e.when, reverse=True)


@source
def record_history(pupil: Pupil, user: User) -> list[Event]:
    """When the record was created and changed, and by whom, from the audit log."""
    stmt = (
        select(AuditEvent)
        .where(
            AuditEvent.pupil_id == pupil.id,
            AuditEvent.action.in_(("pupil_created", "pupil_changed")),
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(HISTORY_SHOWN)
    )
    return [
        Event(
            when=e.created_at,
            kind="Record created" if e.action == "pupil_created" else "Record changed",
            text=e.summary,
            who=e.actor_email,
        )
        for e in db.session.scalars(stmt)
    ]
